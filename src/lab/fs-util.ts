// Small filesystem helpers the cache and runtime code share.
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { run } from './exec.ts';

/** Mount points at or below `dir`, deepest first (from /proc/self/mounts, octal escapes decoded). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mounts', 'utf8');
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return text
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m): m is string => m !== undefined)
    .map((m) => m.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m === dir || m.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** Removes a directory tree, unmounting anything mounted inside it first so `rm` never crosses into a mount. */
export async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const m of await mountsUnder(dir)) await run('umount', ['-l', m], { allowFail: true });
  await rm(dir, { recursive: true, force: true });
}
