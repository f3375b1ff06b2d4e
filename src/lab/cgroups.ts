// One cgroup per host, under `scaleup-lab/` in the hierarchies systemd uses (name=systemd and the
// unified one on a hybrid machine; the single one on pure cgroup v2). The host's launcher moves itself in
// before it starts the host, so everything a host ever runs is in its cgroup: systemd-nspawn needs that
// (with --keep-unit it runs in the cgroup it is in), and teardown uses it to find every lab process, even
// after a crash lost the state file — a process in these cgroups was started by the lab.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

export const LAB_CGROUP = 'scaleup-lab';

/** The cgroup hierarchies a host joins. */
export function cgroupRoots(): string[] {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return ['/sys/fs/cgroup'];
  return ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'].filter((r) => existsSync(join(r, 'cgroup.procs')));
}

export function hostCgroupDirs(name: string): string[] {
  return cgroupRoots().map((r) => join(r, LAB_CGROUP, name));
}

export async function createHostCgroups(name: string): Promise<string[]> {
  const dirs = hostCgroupDirs(name);
  for (const d of dirs) await mkdir(d, { recursive: true });
  return dirs;
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
}

async function procsBelow(dir: string, into: Set<number>): Promise<void> {
  const text = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  for (const p of text.split('\n')) if (p) into.add(Number(p));
  for (const sub of await subdirs(dir)) await procsBelow(sub, into);
}

/** PIDs in a host's cgroups (or in all lab cgroups when `name` is omitted), nested cgroups included. */
export async function labProcesses(name?: string): Promise<number[]> {
  const pids = new Set<number>();
  for (const root of cgroupRoots()) await procsBelow(join(root, LAB_CGROUP, name ?? ''), pids);
  return [...pids].sort((a, b) => a - b);
}

/** Names of hosts that have a cgroup (running or left behind by a crash). */
export async function labCgroupHosts(): Promise<string[]> {
  const names = new Set<string>();
  for (const root of cgroupRoots()) {
    for (const d of await subdirs(join(root, LAB_CGROUP))) names.add(d.slice(d.lastIndexOf('/') + 1));
  }
  return [...names];
}

async function removeDeep(dir: string): Promise<void> {
  for (const sub of await subdirs(dir)) await removeDeep(sub);
  await rmdir(dir).catch(() => undefined);
}

/** Removes a host's (empty) cgroups, or every lab cgroup and the `scaleup-lab` parent when `name` is omitted. */
export async function removeCgroups(name?: string): Promise<void> {
  for (const root of cgroupRoots()) {
    const dir = join(root, LAB_CGROUP, name ?? '');
    if (existsSync(dir)) await removeDeep(dir);
  }
}
