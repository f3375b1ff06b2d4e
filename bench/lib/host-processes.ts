// What a run costs each lab host, counted from the controller without installing anything on the hosts:
// the processes it starts (strace -f attached to the host's sshd processes, which every command of a
// run descends from: its listener for new connections, the session processes of kept ones) and the
// CPU its cgroup used. Background work that is no run's (keepalived's checks, timers) is not counted
// as processes: it descends from the host's init, not from sshd.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cgroupRoots, LAB_CGROUP } from '../../src/lab/cgroups.ts';

export const STRACE = '/usr/bin/strace';

/** One host's share of one run. */
export interface HostProcesses {
  host: string;
  /** Processes started (forks, subshells included). */
  processes: number;
  /** Programs executed (successful execve), by name: `sha256sum` ×4… */
  programs: Record<string, number>;
}

/** The host's cgroup (v2) directory, where `cpu.stat` and `cgroup.procs` cover everything it runs. */
function hostCgroup(host: string): string | undefined {
  return cgroupRoots().map((r) => path.join(r, LAB_CGROUP, host)).find((d) => existsSync(path.join(d, 'cpu.stat')));
}

/** CPU seconds one lab host has used so far (its cgroup's usage_usec); NaN without cgroup v2 files. */
export function labHostCpuS(host: string): number {
  const dir = hostCgroup(host);
  if (!dir) return NaN;
  return Number(/^usage_usec (\d+)/m.exec(readFileSync(path.join(dir, 'cpu.stat'), 'utf8'))?.[1] ?? NaN) / 1e6;
}

function pidsBelow(dir: string): number[] {
  const pids = readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) pids.push(...pidsBelow(path.join(dir, e.name)));
  return pids;
}

/** The host's sshd processes (listener and sessions), as PIDs seen from the controller. */
function sshdPids(host: string): number[] {
  const dir = hostCgroup(host) ?? cgroupRoots().map((r) => path.join(r, LAB_CGROUP, host)).find((d) => existsSync(d));
  if (!dir) return [];
  return pidsBelow(dir).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sshd';
    } catch {
      return false;
    }
  });
}

/** Counts from `strace -f -e trace=execve,…` output: each line starts with the PID that made the call. */
export function parseStrace(text: string, attached: number[]): Omit<HostProcesses, 'host'> {
  const pids = new Set<number>();
  const programs: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\d+) +(.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    if (!attached.includes(pid)) pids.add(pid);
    // A PATH search tries several directories: only the execve that succeeded started a program. A call
    // another process interrupted ends on a later `<... execve resumed>` line, counted where it began.
    const exec = /^execve\("([^"]+)"/.exec(m[2]!);
    if (exec && !/= -1 /.test(m[2]!)) {
      const name = path.basename(exec[1]!);
      programs[name] = (programs[name] ?? 0) + 1;
    }
  }
  return { processes: pids.size, programs };
}

/**
 * Runs `work` with strace attached to every given host's sshd processes, and returns what each host
 * started meanwhile. strace slows what it traces: time nothing measured this way.
 */
export async function traceHostProcesses(hosts: string[], dir: string, work: () => Promise<unknown>): Promise<HostProcesses[]> {
  const tracers: { host: string; file: string; attached: number[]; child: ChildProcess; exited: Promise<void> }[] = [];
  for (const host of hosts) {
    const attached = sshdPids(host);
    if (!attached.length) continue;
    const file = path.join(dir, `strace-${host}.txt`);
    rmSync(file, { force: true });
    const child = spawn(STRACE, ['-f', '-qq', '-e', 'trace=execve,clone,clone3,fork,vfork', '-o', file, ...attached.flatMap((p) => ['-p', String(p)])], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    tracers.push({ host, file, attached, child, exited });
  }
  // strace attaches to each PID before it traces; a moment lets it finish before the run begins.
  await new Promise((r) => setTimeout(r, 1000));
  try {
    await work();
  } finally {
    await new Promise((r) => setTimeout(r, 500));
    for (const t of tracers) t.child.kill('SIGINT');
    await Promise.all(tracers.map((t) => t.exited));
  }
  return tracers.map((t) => ({ host: t.host, ...parseStrace(existsSync(t.file) ? readFileSync(t.file, 'utf8') : '', t.attached) }));
}

/** `sha256sum ×4, stat ×7…`, most frequent first. */
export function programList(programs: Record<string, number>): string {
  return Object.entries(programs).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([name, n]) => (n > 1 ? `${name} ×${n}` : name)).join(', ');
}
