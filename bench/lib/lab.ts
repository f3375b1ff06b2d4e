// The lab as the benchmark drives it: through the CLI (`provision lab up|reset|status`), like a person
// would, so that the benchmark needs nothing the CLI does not offer.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { DEFAULT_HOSTS, parseHostList } from '../../src/lab/addresses.ts';
import { mustRun } from './measure.ts';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const CLI = path.join(ROOT, 'bin', 'provision.js');

export interface LabStatusJson {
  hosts: { name: string; address: string; init: string; up: boolean }[];
  vip: string;
  vipHolder: string | null;
  sshKey: string;
  knownHosts: string;
  inventory: string;
}

export function labStatus(): LabStatusJson {
  let out: string;
  try {
    out = execFileSync(process.execPath, [CLI, 'lab', 'status', '--json'], { cwd: ROOT, encoding: 'utf8' });
  } catch (err) {
    // Exit 1 = not every host is up; the JSON is still on stdout.
    out = (err as { stdout?: string }).stdout ?? '';
  }
  return JSON.parse(out) as LabStatusJson;
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
export async function ensureLab(spec: string, init: string, log: string): Promise<{ status: LabStatusJson; upSeconds: number }> {
  const wanted = hostNames(spec);
  const current = labStatus();
  const same = current.hosts.length === wanted.length &&
    current.hosts.every((h) => h.up && h.init === init && wanted.includes(h.name));
  if (same) return { status: current, upSeconds: 0 };
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
