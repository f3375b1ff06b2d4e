// The connection keeper seen from the benchmark: its process (CPU and memory belong to the
// controller's side of a run, though GNU time sees only the CLI), and closing its connections so a
// first run starts without one, as Ansible's first runs start without a ControlPersist master.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { CLI, ROOT } from './lab.ts';

export function keeperPid(): number | undefined {
  const out = execFileSync(process.execPath, [CLI, 'connections', '--json'], { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(out) as { keeperPid?: number }).keeperPid;
}

export function closeKeptConnections(): void {
  execFileSync(process.execPath, [CLI, 'connections', '--close'], { cwd: ROOT, stdio: 'ignore' });
}

/** User + system CPU seconds of a process so far (0 once it is gone). */
export function processCpuS(pid: number | undefined): number {
  if (!pid || !existsSync(`/proc/${pid}/stat`)) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  // After "pid (comm) ", field 3 of stat is the first: utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak resident set of a process (VmHWM), in MB. */
export function processPeakRssMb(pid: number | undefined): number {
  if (!pid || !existsSync(`/proc/${pid}/status`)) return NaN;
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Number(kb) / 1024 : NaN;
}
