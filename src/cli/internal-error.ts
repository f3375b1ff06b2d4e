// A real bug (an error that is no ScaleupError): the person sees one line, and the full trace goes
// to a file they can attach to a report. The file is created new (O_EXCL: no file or symlink
// another user put there first is followed) under a random name with mode 0600, since a trace
// can hold paths, host names and values.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';

/** Writes what is known about `err` to a new private file in `dir`; returns the file's path. */
export function saveTrace(err: unknown, argv: string[], dir = tmpdir()): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `scaleup-internal-error-${stamp}-${randomBytes(6).toString('hex')}.txt`);
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, [
      `scaleup internal error, ${new Date().toISOString()}`,
      `command: provision ${argv.slice(2).join(' ')}`,
      `node ${process.version} on ${process.platform}-${process.arch}`,
      '',
      // inspect() gives the stack, the `cause` chain and any fields the error carries.
      inspect(err, { depth: 6 }),
      '',
    ].join('\n'));
  } finally {
    closeSync(fd);
  }
  return file;
}

/** The one line for the person: the error's first line and where its trace is. */
export function internalErrorLine(err: unknown, argv: string[], dir?: string): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] || (err instanceof Error ? err.name : 'unknown');
  let where: string;
  try {
    where = `full trace in ${saveTrace(err, argv, dir)}`;
  } catch (e) {
    where = `the trace could not be saved: ${e instanceof Error ? e.message : String(e)}`;
  }
  return `internal error: ${message} (${where})`;
}
