// Kernel limits that many hosts outgrow. All hosts run as the same (root) user, and each systemd host
// holds about ten inotify instances; with Debian's default fs.inotify.max_user_instances = 128 the
// twelfth-or-so host dies at boot with "Failed to allocate manager object: Too many open files".
// `lab up` raises such limits (never lowers them) and records the old value; teardown puts it back if
// nobody changed it meanwhile.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabPaths } from './paths.ts';

interface Limit {
  /** Path under /proc/sys. */
  key: string;
  /** Needed for `hosts` hosts, on top of what the machine itself uses. */
  need(hosts: number): number;
}

export const LIMITS: Limit[] = [
  // ~10 per idle host, 3 more per user with an open SSH session; Debian's 128 fits the five-host lab.
  { key: 'fs/inotify/max_user_instances', need: (n) => 48 + 16 * n },
  { key: 'fs/inotify/max_user_watches', need: (n) => 65_536 + 4_096 * n },
];

interface Raised {
  key: string;
  original: number;
  set: number;
}

const recordFile = (paths: LabPaths) => join(paths.run, 'kernel-limits.json');

async function readLimit(key: string): Promise<number> {
  return Number((await readFile(join('/proc/sys', key), 'utf8')).trim());
}

async function readRecord(paths: LabPaths): Promise<Raised[]> {
  try {
    return JSON.parse(await readFile(recordFile(paths), 'utf8')) as Raised[];
  } catch {
    return [];
  }
}

/** Raises the limits `hosts` hosts need; returns the keys it changed. */
export async function raiseKernelLimits(paths: LabPaths, hosts: number): Promise<string[]> {
  const record = await readRecord(paths);
  const changed: string[] = [];
  for (const limit of LIMITS) {
    const current = await readLimit(limit.key);
    const wanted = limit.need(hosts);
    if (current >= wanted) continue;
    await writeFile(join('/proc/sys', limit.key), String(wanted));
    const earlier = record.find((r) => r.key === limit.key);
    if (earlier) earlier.set = wanted;
    else record.push({ key: limit.key, original: current, set: wanted });
    changed.push(`${limit.key.replaceAll('/', '.')}=${wanted}`);
  }
  if (changed.length) await writeFile(recordFile(paths), JSON.stringify(record));
  return changed;
}

/** Puts back the values `raiseKernelLimits` replaced, unless something else changed them since. */
export async function restoreKernelLimits(paths: LabPaths): Promise<void> {
  for (const r of await readRecord(paths)) {
    if ((await readLimit(r.key)) === r.set) await writeFile(join('/proc/sys', r.key), String(r.original));
  }
}
