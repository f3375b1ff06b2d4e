// The lab as the benchmark drives it: through the CLI (`provision lab up|reset|status`), like a person
// would, so that the benchmark needs nothing the CLI does not offer.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_HOSTS, isLabNetns, parseHostList } from '../../src/lab/addresses.ts';
import { cgroupRoots, LAB_CGROUP } from '../../src/lab/cgroups.ts';
import type { LabStatus } from '../../src/lab/status.ts';
import { mustRun } from './measure.ts';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const CLI = path.join(ROOT, 'bin', 'provision.js');

export function labStatus(): LabStatus {
  let out: string;
  try {
    out = execFileSync(process.execPath, [CLI, 'lab', 'status', '--json'], { cwd: ROOT, encoding: 'utf8' });
  } catch (err) {
    // Exit 1 = not every host is up; the JSON is still on stdout.
    out = (err as { stdout?: string }).stdout ?? '';
  }
  return JSON.parse(out) as LabStatus;
}

export const DEFAULT_SPEC = DEFAULT_HOSTS.join(',');

/** The host names a `--hosts` spec stands for. */
export function hostNames(spec: string): string[] {
  return parseHostList(spec).map((h) => h.name);
}

/**
 * A lab with exactly the hosts of `spec`, all up, with init system `init`: the running one when it is
 * that, else a new one (`lab up` tears down whatever runs first). Returns its status and how long
 * `lab up` took (0 when the running lab was reused).
 */
export async function ensureLab(spec: string, init: string, log: string, runningOnly = false): Promise<{ status: LabStatus; upSeconds: number }> {
  const wanted = hostNames(spec);
  const current = labStatus();
  const same = current.hosts.length === wanted.length &&
    current.hosts.every((h) => h.up && h.init === init && wanted.includes(h.name));
  if (same) return { status: current, upSeconds: 0 };
  if (runningOnly) {
    // A lab others use too: measured as it runs, with any extra hosts, never brought up again.
    const missing = wanted.filter((n) => !current.hosts.some((h) => h.name === n && h.up && h.init === init));
    if (missing.length) throw new Error(`--running-lab: the running lab lacks ${missing.join(', ')} (up, ${init})`);
    return { status: current, upSeconds: 0 };
  }
  const started = performance.now();
  await mustRun(process.execPath, [CLI, 'lab', 'up', '--hosts', spec, '--init', init], { cwd: ROOT, log });
  const upSeconds = (performance.now() - started) / 1000;
  const status = labStatus();
  if (!status.hosts.length || !status.hosts.every((h) => h.up)) throw new Error(`lab up returned, but not every host is up; see ${log}`);
  return { status, upSeconds };
}

/** Pristine root filesystems for `names` (same addresses and host keys). */
export async function resetHosts(names: string[], log: string): Promise<void> {
  await mustRun(process.execPath, [CLI, 'lab', 'reset', ...names], { cwd: ROOT, log });
}

/**
 * CPU seconds used so far by every process of the lab's hosts (sshd, sudo, PAM, logind, the probes…):
 * the sum of `usage_usec` in their cgroup v2 `cpu.stat`. NaN when this machine has no such files.
 */
export function labHostsCpuS(): number {
  const root = cgroupRoots().map((r) => path.join(r, LAB_CGROUP)).find((d) => existsSync(path.join(d, 'cgroup.procs')) && existsSync(path.join(d, 'cpu.stat')));
  if (!root) return NaN;
  let usec = 0;
  for (const name of readdirSync(root)) {
    if (!isLabNetns(`lab-${name}`)) continue;
    const stat = path.join(root, name, 'cpu.stat');
    if (existsSync(stat)) usec += Number(/^usage_usec (\d+)/m.exec(readFileSync(stat, 'utf8'))?.[1] ?? 0);
  }
  return usec / 1e6;
}

/** CPU seconds the whole machine has been busy (all CPUs; user, nice, system, irq, softirq, steal). */
export function machineCpuS(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100; // USER_HZ
}
