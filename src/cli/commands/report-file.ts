// Where `--json FILE`, `--junit FILE` and `--report FILE` go. The report is written after the run, so a path that
// cannot be written is found out before the run starts: else the changes are made and the report
// CI reads to learn what they were is lost, with a stack trace instead.
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, lstatSync, openSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ScaleupError } from '../../core/errors.ts';

const REASONS: Record<string, string> = {
  ENOENT: 'its directory does not exist',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  ENAMETOOLONG: 'the name is too long',
};

function cannotWrite(flag: string, target: string, err: unknown): ScaleupError {
  const e = err as NodeJS.ErrnoException;
  return new ScaleupError(`${flag} ${target}: cannot write the report there: ${(e.code && REASONS[e.code]) ?? e.message}`);
}

/**
 * Throws unless `target` can be created or appended to, by opening it as the write will; leaves
 * things as they were: a new file is removed again, an existing one is neither truncated nor touched.
 */
export function assertReportWritable(flag: string, target: string | undefined): void {
  if (target === undefined || target === '-') return;
  let created = false;
  try {
    // 'ax' creates only a new file (and follows no symlink), so `created` says the file is ours.
    closeSync(openSync(target, 'ax', 0o600));
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotWrite(flag, target, err);
    try {
      closeSync(openSync(target, 'a'));
      // A file is replaced (see writeReport): its folder must take a new entry.
      if (replaces(target)) accessSync(path.dirname(path.resolve(target)), constants.W_OK);
    } catch (again) {
      throw cannotWrite(flag, target, again);
    }
  }
  if (created) unlinkSync(target);
}

/** Whether the report replaces what is at `target`: a file or a link, not a pipe or a device (`/dev/stderr`). */
function replaces(target: string): boolean {
  try {
    const st = lstatSync(target);
    return st.isFile() || st.isSymbolicLink();
  } catch {
    return true;
  }
}

/** Writes a report to `target` (`-`: stdout); a failure is the person's to act on, not a bug. */
export function writeReport(flag: string, target: string, text: string): void {
  if (target === '-') return void process.stdout.write(text);
  try {
    if (!replaces(target)) return void writeFileSync(target, text);
    // The person's own: a result names hosts, paths and what changed, diffs of config files among
    // them (secrets masked). A new private file is renamed over the old one, so the report is 0600
    // even where an earlier file was readable by others, and never written into a file (or through a
    // link) another user put at that path.
    const abs = path.resolve(target);
    const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
      renameSync(tmp, abs);
    } finally {
      rmSync(tmp, { force: true });
    }
  } catch (err) {
    throw cannotWrite(flag, target, err);
  }
}
