// Reading a file that holds a private key (an age identity, an SSH key): refused when its mode lets
// the group or others read or change it, as OpenSSH refuses an unprotected private key. A key others
// can read is no longer private, and one they can change decrypts (or logs in as) whoever wrote it.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';

/** Why a file's mode is too open for a private key (with the command that fixes it), or undefined. */
export function looseModeProblem(mode: number, file: string): string | undefined {
  // Windows has no such bits: Node reports 0666 for every writable file there.
  if (process.platform === 'win32' || (mode & 0o077) === 0) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return `may be read or changed by other users (mode ${octal}); make it private: chmod 600 ${file}`;
}

/**
 * The bytes of a private-key file. The mode is checked on the open file, so the file that is read is
 * the one that was checked. `refuse` builds the caller's error from the reason; a failure to open or
 * read the file is thrown as Node's error, for the caller to word. `shown` is the file's name in the
 * message (a path relative to the working directory, as the person typed it).
 */
export function readPrivateFile(file: string, refuse: (reason: string) => Error, shown = file): Buffer {
  const fd = openSync(file, 'r');
  try {
    const problem = looseModeProblem(fstatSync(fd).mode, shown);
    if (problem) throw refuse(problem);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
