// Process identity for the processes the lab starts. A PID alone can be reused after a crash or reboot,
// so a host process is known by (pid, start time); the lab signals only processes that match.
import { readFileSync } from 'node:fs';

export interface ProcessId {
  pid: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
  start: number;
}

interface StatFields {
  state: string;
  ppid: number;
  start: number;
}

function readStat(pid: number): StatFields | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return parseStat(text);
}

/** Parses /proc/PID/stat; the command name (field 2) may contain spaces and parentheses. */
export function parseStat(text: string): StatFields | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  const start = Number(rest[19]);
  const ppid = Number(rest[1]);
  if (!rest[0] || !Number.isFinite(start)) return null;
  return { state: rest[0], ppid, start };
}

export function processId(pid: number): ProcessId | null {
  const stat = readStat(pid);
  return stat ? { pid, start: stat.start } : null;
}

/** Whether the very process `id` still runs (not exited, not a zombie, PID not reused). */
export function isRunning(id: ProcessId): boolean {
  const stat = readStat(id.pid);
  return stat !== null && stat.start === id.start && stat.state !== 'Z' && stat.state !== 'X';
}

/** Direct children of a process (from /proc/PID/task/*\/children). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until none of `ids` runs; returns those still running at the deadline. */
export async function waitGone(ids: ProcessId[], timeoutMs: number): Promise<ProcessId[]> {
  const deadline = Date.now() + timeoutMs;
  let left = ids.filter(isRunning);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    left = left.filter(isRunning);
  }
  return left;
}
