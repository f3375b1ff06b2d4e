// What one benchmark run found: kept in bench/.work/results.json (a partial re-run with --only keeps
// the other phases' earlier numbers) and turned into docs/benchmarks.md by report.ts.
import type { Summary } from './measure.ts';
import type { ProfileSummary } from './profile.ts';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  os: string;
  node: string;
  ansible: string;
  labFlavor: string;
  loadBefore: string;
  loadAfter?: string;
}

/** Per host: SSH exec round trips, roles applied, and round trips per role. */
export interface RoundTrips {
  host: string;
  roundTrips: number;
  roles: number;
  perRole: number;
}

export interface ScaleupNoop {
  command: string;
  summary: Summary;
  /** Median of the run's own durationMs (--json): the run without process start and module loading. */
  inRunMs: number;
  /** Steps that changed, per run (all 0 when converged). */
  changed: number[];
  roundTrips: RoundTrips[];
  /** Median CPU seconds the lab hosts used during a run (their cgroups), and the whole machine. */
  hostsCpuS?: number;
  machineCpuS?: number;
  /** CPU seconds per second the lab hosts use when nobody runs anything (their own background). */
  hostsIdleCpuPerS?: number;
  /** The connection keeper's share of the controller: median CPU seconds per run, and its peak RSS. */
  keeperCpuS?: number;
  keeperPeakRssMb?: number;
  /** Every run found its connections kept (hosts.*.connection = 'reused'). */
  reused?: boolean;
  /** Each host's share of a run: median CPU seconds (its cgroup), and processes from one traced run. */
  perHost?: { host: string; cpuS: number; processes?: number; programs?: Record<string, number> }[];
  /** The machine's load average (1, 5, 15 min) when the series began. */
  loadAverage?: string;
  /** The same runs connecting afresh (`--ssh-persist 0`), interleaved with them. */
  direct?: { summary: Summary; inRunMs: number; hostsCpuS: number; machineCpuS: number };
}

export interface FirstConverge {
  command: string;
  summary: Summary;
  inRunMs: number;
  /** Host-seconds (summed over hosts) in `package …` steps vs. the rest of the hosts' time; medians. */
  aptHostS: number;
  otherHostS: number;
  /** Other / (apt + other). */
  otherFraction: number;
  /** The same split on the host that took longest (the critical path of its plays). */
  slowestHost: { host: string; aptS: number; otherS: number };
  /**
   * "Other", in host-seconds: the other steps (files, users, services, SQL…), the handlers, and the
   * time between steps (connecting, facts, the first probe batch, the re-check after each change).
   */
  otherBreakdown?: { stepsS: number; handlersS: number; betweenS: number; roundTrips: number; changedSteps: number };
  changed: number;
}

export interface ToolResult {
  id: string;
  label: string;
  firstCommand: string;
  first: Summary;
  firstChanged: number[];
  noopCommand: string;
  noop: Summary;
  noopChanged: number[];
}

export interface ScalePoint {
  hosts: number;
  spec: string;
  labUpS: number;
  converge: { wallMs: number; changed: number; ok: boolean };
  noop: ScaleupNoop;
  forks: number;
  /** Median controller CPU (user+sys) per host, whole process. */
  cpuPerHostMs: number;
}

export interface Results {
  startedAt: string;
  finishedAt?: string;
  runs: number;
  machine?: Machine;
  errors: Record<string, string>;
  first?: FirstConverge;
  noop?: ScaleupNoop;
  role?: ScaleupNoop;
  /** `node -e 0` and `provision --version`: what every run pays before it does anything. */
  startup?: { nodeBare: Summary; cliVersion: Summary };
  profile?: ProfileSummary & { command: string; file: string };
  ansible?: { tools: ToolResult[]; crossChecks: { description: string; changed: number }[]; hosts: string[] };
  scale?: { points: ScalePoint[] };
  restore?: { command: string; wallMs: number; ok: boolean; changed: number };
  /** When each phase's numbers were taken (they may come from different runs with --only). */
  takenAt: Record<string, string>;
}
