// The one way scaleup replaces a file on a host. The directory it writes in may belong to another
// user (`~ops/.ssh`), who can rename, delete or plant names in it at any moment; root's write must
// then never follow a link that user planted, and never give away anything but the file it wrote:
//   - the target is refused when it is a symbolic link (unless the step says to follow it);
//   - the staged file is created exclusively (noclobber: O_CREAT|O_EXCL, so no planted name or link
//     is opened) under umask 077: root-only from its first byte, whatever it will hold;
//   - owner and mode are set on the open file (`/proc/self/fd/9` names the inode itself, like
//     fchown/fchmod), so renaming something else over the staged name changes nothing but that name;
//   - validation runs on the staged file, then one rename(2) (`mv -T`) puts it in place; the live
//     file is never written in place and never missing.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { StepError, ValidationError } from '../errors.ts';
import { quote } from '../quote.ts';
import type { Remote } from './step.ts';

/** Exit code the write script uses for "validation refused the staged file". */
export const VALIDATION_FAILED = 97;
/** Exit code the write script uses for "the target is a symbolic link". */
export const TARGET_IS_LINK = 96;

export interface SafeWrite {
  dest: string;
  /** `user:group` for the new file; `keep` takes the current file's (root:root when it is new). */
  owner: { user: string; group: string } | 'keep';
  /** Octal mode for the new file; `keep` takes the current file's (`keepDefault` when new). */
  mode: string | 'keep';
  keepDefault?: { user: string; group: string; mode: string };
  /**
   * Shell snippet that prints the new content on stdout; default `cat` (the content is the command's
   * stdin). It may read the current file as `"$live"` (an open descriptor of it, never a link's target).
   */
  fill?: string;
  /** Command run on the staged file before it goes live; `%s` is its path. */
  validate?: string;
  /** Keep the previous version as `dest.<timestamp>~` (a hard link to it: never written through). */
  backup?: boolean;
  /** Write through a symbolic link at `dest` to the file it points to (refused otherwise). */
  follow?: boolean;
}

export function safeWriteScript(w: SafeWrite): string {
  const dir = path.posix.dirname(w.dest);
  const keep = w.keepDefault ?? { user: 'root', group: 'root', mode: '0644' };
  const owner = w.owner === 'keep' ? '"$keep_owner"' : quote(`${w.owner.user}:${w.owner.group}`);
  const mode = w.mode === 'keep' ? '"$keep_mode"' : w.mode;
  const readsLive = w.owner === 'keep' || w.mode === 'keep' || (w.fill ?? '').includes('$live');
  const validate = w.validate ? w.validate.split('%s').join('"$tmp"') : undefined;
  return [
    'set -e',
    'umask 077',
    `dest=${quote(w.dest)}`,
    `[ -d ${quote(dir)} ] || { echo ${quote(`directory ${dir} does not exist`)} >&2; exit 1; }`,
    w.follow
      ? 'if [ -L "$dest" ]; then dest=$(readlink -f -- "$dest"); fi'
      : `if [ -L "$dest" ]; then echo "$dest is a symbolic link (to $(readlink -- "$dest")): refusing to write through it" >&2; exit ${TARGET_IS_LINK}; fi`,
    // Beside the final target (after following a link), so the rename stays in one directory; hidden
    // (daemons skip dot files: sudo in sudoers.d, nginx's globs) and unguessable (128 bits).
    'tmp="$(dirname -- "$dest")/.$(basename -- "$dest").scaleup-' + randomBytes(16).toString('hex') + '"',
    `trap 'rm -f -- "$tmp"' EXIT`,
    // Owner and mode of the current file come from the same open file whose content `fill` reads:
    // the copy never grants more than the file it was made from.
    readsLive
      ? 'if [ -f "$dest" ]; then exec 8<"$dest"; live=/proc/self/fd/8; ' +
        'keep_owner=$(stat -L -c %u:%g "$live"); keep_mode=$(stat -L -c %a "$live"); ' +
        `else live=/dev/null; keep_owner=${quote(`${keep.user}:${keep.group}`)}; keep_mode=${keep.mode}; fi`
      : '',
    'set -C; exec 9>"$tmp"; set +C',
    `${w.fill ?? 'cat'} >&9`,
    `chown ${owner} /proc/self/fd/9`,
    `chmod ${mode} /proc/self/fd/9`,
    'exec 9>&-',
    readsLive ? 'exec 8<&-' : '',
    validate ? `if ! ( ${validate} ) >&2; then exit ${VALIDATION_FAILED}; fi` : '',
    w.backup ? `if [ -f "$dest" ]; then ln -P -- "$dest" "$dest.$(date +%Y%m%d%H%M%S)~" 2>/dev/null || true; fi` : '',
    'mv -T -f -- "$tmp" "$dest"',
    'trap - EXIT',
  ].filter(Boolean).join('\n');
}

/** Runs the write (`stdin` is the content when there is no `fill`); throws ValidationError or StepError. */
export async function runSafeWrite(remote: Remote, w: SafeWrite, stdin?: string | Buffer): Promise<void> {
  const result = await remote.exec(safeWriteScript(w), { stdin: stdin ?? '' });
  const stderr = result.stderr.trim();
  if (result.exitCode === VALIDATION_FAILED) {
    throw new ValidationError(`validation failed (${w.validate}); ${w.dest} left untouched`, {
      command: w.validate, exitCode: result.exitCode, stderr,
    });
  }
  if (result.exitCode !== 0) {
    throw new StepError(`writing ${w.dest} failed: ${stderr || `exit ${result.exitCode}`}`, { exitCode: result.exitCode, stderr });
  }
}
