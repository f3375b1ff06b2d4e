// The one way scaleup replaces a file on a host. The directory it writes in may belong to another
// user (`~ops/.ssh`), who can rename, delete or plant names in it at any moment; root's write must
// then never follow a link that user planted, and never give away anything but the file it wrote:
//   - the directory is entered first and must be the one named (no link on the way); every later name
//     is relative to it, so renaming a directory on the path cannot send the write elsewhere;
//   - the target is refused when it is a symbolic link (unless the step says to follow it);
//   - the staged file's name is made on the host (not readable in `ps`) and created exclusively
//     (noclobber: O_CREAT|O_EXCL), checked to be a new empty regular file, under umask 077: root-only
//     from its first byte, whatever it will hold;
//   - owner and mode are set on the open file (`/proc/self/fd/9` names the inode itself, like
//     fchown/fchmod), so renaming something else over the staged name changes nothing but that name;
//   - validation runs on the staged file, then one rename(2) (`mv -T`) puts it in place; the live
//     file is never written in place and never missing.
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

/** A shell block that prints `why` (expanded by the shell: it may name variables) on stderr and exits. */
export function refuse(why: string, code = 1): string {
  return `{ echo "${why}" >&2; exit ${code}; }`;
}

/**
 * Enters `$dir` and pins it: from here on every name is relative to the working directory, which a
 * rename of the path (or of any directory above it) can no longer move. Reaching it through a link is
 * refused: another user who owns a directory on the way could point it anywhere.
 */
export function enterDirectory(): string[] {
  return [
    `[ -d "$dir" ] || ${refuse('directory $dir does not exist')}`,
    'cd -P -- "$dir"',
    `[ "$(pwd -P)" = "$dir" ] || ${refuse('$dir is reached through a symbolic link (it is $(pwd -P)): refusing to write there', TARGET_IS_LINK)}`,
  ];
}

/**
 * Sets `$tmp`, the staged name beside `$name`: made on the host (never on a command line another user
 * can read in `ps`), hidden (daemons skip dot files: sudo in sudoers.d, nginx's globs), 128 random bits.
 */
export function stagedName(): string {
  return 'r=$(od -An -N16 -tx1 /dev/urandom); tmp=".$name.scaleup-$(printf %s $r)"';
}

export function safeWriteScript(w: SafeWrite): string {
  const keep = w.keepDefault ?? { user: 'root', group: 'root', mode: '0644' };
  const owner = w.owner === 'keep' ? '"$keep_owner"' : quote(`${w.owner.user}:${w.owner.group}`);
  const mode = w.mode === 'keep' ? '"$keep_mode"' : w.mode;
  const readsLive = w.owner === 'keep' || w.mode === 'keep' || (w.fill ?? '').includes('$live');
  const validate = w.validate ? w.validate.split('%s').join('"$PWD/$tmp"') : undefined;
  return [
    'set -e',
    'umask 077',
    `dest=${quote(w.dest)}`,
    // With `follow`, a link at dest is written through: the rest works on the file it points to.
    w.follow ? 'if [ -L "$dest" ]; then dest=$(readlink -f -- "$dest"); fi' : '',
    'dir=$(dirname -- "$dest"); name=$(basename -- "$dest")',
    ...enterDirectory(),
    w.follow ? '' : `if [ -L "./$name" ]; then ${refuse('$dest is a symbolic link (to $(readlink -- "./$name")): refusing to write through it', TARGET_IS_LINK)}; fi`,
    // Owner and mode of the current file come from the open file whose content `fill` reads, and only
    // when that file is the one named here (not a link renamed over it since): the copy never grants
    // more than the file it was made from.
    readsLive
      ? 'if [ -f "./$name" ]; then exec 8<"./$name"; live=/proc/self/fd/8; ' +
        `[ "$(stat -L -c %F:%d:%i "$live")" = "$(stat -c %F:%d:%i -- "./$name")" ] || ${refuse('$dest changed while it was read (a link?): refusing to copy it', TARGET_IS_LINK)}; ` +
        'keep_owner=$(stat -L -c %u:%g "$live"); keep_mode=$(stat -L -c %a "$live"); ' +
        `else live=/dev/null; keep_owner=${quote(`${keep.user}:${keep.group}`)}; keep_mode=${keep.mode}; fi`
      : '',
    stagedName(),
    `trap 'rm -f -- "./$tmp"' EXIT`,
    // noclobber: a new name is created with O_EXCL; an existing one is refused, or (not a regular
    // file: a device, a FIFO) opened — so the open file is checked to be the new, empty, root-made one.
    'set -C; exec 9>"./$tmp"; set +C',
    `[ "$(stat -L -c %F:%u:%h:%s /proc/self/fd/9)" = "regular empty file:$(id -u):1:0" ] || ${refuse('the staged file $dir/$tmp is not a new empty file: refusing to write')}`,
    `${w.fill ?? 'cat'} >&9`,
    `chown ${owner} /proc/self/fd/9`,
    `chmod ${mode} /proc/self/fd/9`,
    'exec 9>&-',
    readsLive ? 'exec 8<&-' : '',
    validate ? `if ! ( ${validate} ) >&2; then exit ${VALIDATION_FAILED}; fi` : '',
    w.backup ? 'if [ -f "./$name" ]; then ln -P -- "./$name" "./$name.$(date +%Y%m%d%H%M%S)~" 2>/dev/null || true; fi' : '',
    'mv -T -f -- "./$tmp" "./$name"',
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
