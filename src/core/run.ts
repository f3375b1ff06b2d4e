// Runs plays: hosts of a play in parallel up to `forks`, in serial batches when the play asks for
// them; roles in order on each host; a failed or unreachable host stops there while others go on.
// The parts: host-session.ts (connect, lock, facts, prefetched probes), batches.ts (serial batches,
// forks), host-play.ts (one play on one host), run-tally.ts (totals and the result).
import { parallel, serialBatches } from './batches.ts';
import type { Connection } from './connection/connection.ts';
import { hostsInGroup } from './host-groups.ts';
import { playOnHost } from './host-play.ts';
import { HostSessions } from './host-session.ts';
import type { Host, Inventory } from './model.ts';
import type { EventSink, RunResult } from './results.ts';
import type { Role } from './role.ts';
import { RunTally } from './run-tally.ts';
import { prepareRoles, type PreparedRoles } from './role-preparation.ts';
import type { Redactor } from './secret.ts';
import type { RunTrace } from './trace.ts';

export interface PlannedPlay {
  name: string;
  hosts: Host[];
  roles: Role[];
  /** Hosts per batch: a count, or a percentage like "50%". */
  serial?: number | string;
  maxFailPercentage?: number;
}

export interface RunOptions {
  inventory: Inventory;
  plays: PlannedPlay[];
  connect: (host: Host) => Promise<Connection>;
  redactor: Redactor;
  check?: boolean;
  diff?: boolean;
  forks?: number;
  tags?: string[];
  skipTags?: string[];
  stepTimeoutMs?: number;
  emit?: EventSink;
  /** Polled between steps; true stops starting new work (Ctrl-C). */
  stopRequested?: () => boolean;
  /** What the run reports about its workings through `emit` (`-vv`, `-vvv`); nothing by default. */
  trace?: RunTrace;
  /** The project's root on the control node (default: the working directory). */
  projectRoot?: string;
  /**
   * What the roles prepared on the control node (role-preparation.ts); prepared here, before any
   * host is contacted, when not given. A caller running the plays twice (check, then apply) prepares once.
   */
  prepared?: PreparedRoles;
}

export async function runPlays(options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const startedAt = new Date();
  const emit = options.emit ?? (() => {});
  const forks = options.forks ?? 10;
  const check = options.check ?? false;
  const tally = new RunTally();
  const projectRoot = options.projectRoot ?? process.cwd();
  // Before any connection: a build that fails leaves every host untouched.
  const prepared = options.prepared ?? await prepareRoles(options.plays, projectRoot);
  const sessions = new HostSessions({
    connect: options.connect,
    plays: options.plays,
    plan: { inventory: options.inventory, hostsIn: hostsInGroup(options.inventory), tags: options.tags, skipTags: options.skipTags, diff: options.diff ?? false, projectRoot, prepared },
    check,
    stepTimeoutMs: options.stepTimeoutMs,
    ...(options.trace?.commands ? { traceCommands: { emit, redactor: options.redactor } } : {}),
    runStart: started,
  });
  // Hosts that run nothing more in this run: failed, unreachable, or held back by max_fail_percentage.
  const stopped = new Set<string>();
  let interrupted = false;

  // Every host of the run is connected, locked and its facts gathered up front, in parallel: the
  // SSH handshakes overlap instead of adding up play after play. Failures surface in the host's play.
  sessions.openAll(forks);
  try {
    for (const [playIndex, play] of options.plays.entries()) {
      emit({ type: 'play', name: play.name, hosts: play.hosts.map((h) => h.name) });
      for (const h of play.hosts) tally.host(h.name);
      for (const batch of serialBatches(play.hosts, play.serial)) {
        const before = new Set(stopped);
        await parallel(batch, forks, async (host) => {
          if (stopped.has(host.name)) return;
          if (options.stopRequested?.()) {
            interrupted = true;
            return;
          }
          const outcome = await playOnHost({
            host, roles: play.roles, playIndex, sessions, tally, emit, redactor: options.redactor, check, runStart: started,
            stepTimeoutMs: options.stepTimeoutMs, stopRequested: options.stopRequested,
            traceDecisions: Boolean(options.trace?.decisions || options.trace?.commands),
          });
          if (outcome === 'stopped') stopped.add(host.name);
          if (outcome === 'interrupted') interrupted = true;
        });
        const newlyFailed = batch.filter((h) => stopped.has(h.name) && !before.has(h.name)).length;
        if (play.maxFailPercentage !== undefined && (newlyFailed * 100) / batch.length > play.maxFailPercentage) {
          // Too many failures in a rolling batch: do not roll the change onto more hosts.
          for (const h of play.hosts) stopped.add(h.name);
          break;
        }
        if (interrupted) break;
      }
      if (interrupted) break;
    }
  } finally {
    tally.recordConnections(await sessions.closeAll());
    tally.recordPhases(sessions.phases());
  }
  return tally.result({ check, startedAt, durationMs: performance.now() - started, interrupted });
}
