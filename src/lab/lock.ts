// One lab per machine: every command that changes the lab holds an flock(2) on /run/scaleup-lab.lock.
// Node has no flock, so flock(1) takes it on a file descriptor this process opened and passes down; the
// lock belongs to the open file description and so stays held by this process after flock(1) exits,
// until the descriptor is closed (or the process dies — a crash never leaves the lab locked).
// Node opens files close-on-exec, so the hosts the lab starts never inherit it.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { LabError } from './errors.ts';
import type { LabPaths } from './paths.ts';

export async function withLabLock<T>(paths: LabPaths, fn: () => Promise<T>, waitSeconds = 600): Promise<T> {
  const fd = openSync(paths.lockFile, 'a', 0o644);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('flock', ['--exclusive', '--wait', String(waitSeconds), '3'], {
        stdio: ['ignore', 'ignore', 'inherit', fd],
      });
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) {
      throw new LabError(`another lab command holds ${paths.lockFile} (waited ${waitSeconds} s)`);
    }
    return await fn();
  } finally {
    closeSync(fd);
  }
}
