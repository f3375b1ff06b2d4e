// The host's run lock: a remote `flock` held by a command that waits on its stdin. When the channel
// closes (the run ends, the controller dies, the link drops), sshd closes that stdin and the lock goes
// with it — no stale lock to clean up after a crash. An unprivileged script (the facts) may run on the
// same channel once the lock is held, so lock and facts cost one round trip.
//
// Only the people who may run scaleup on the host may open the lock: anyone who can open it can hold
// it and block every run, and a directory others can write lets them plant links the lock script would
// write through. So the lock lives in root's own directory (the lock channel goes through sudo when the
// run becomes root), or, for a run that does not become root, in the SSH user's own 0700 directory;
// either is refused when it is a link or has another owner. Its holder text is a host's word: it is
// shown only made safe for a terminal.
import { randomBytes } from 'node:crypto';
import { ConnectError, LockedError } from '../errors.ts';
import { safeHostLine } from '../host-text.ts';
import { quote } from '../quote.ts';

/** root's lock directory (beside the pending handlers, under /run/scaleup, 0700). */
export const ROOT_LOCK_DIR = '/run/scaleup/lock';
/** The lock directory of a run that does not become root, in the SSH user's home. */
const USER_LOCK_DIR = '$HOME/.scaleup-lock';

export type LockReply =
  | { state: 'pending' }
  | { state: 'locked'; output?: string }
  | { state: 'busy'; holder: string };

export interface RunLockScript {
  script: string;
  /** Reads everything the channel printed so far. */
  read(out: string): LockReply;
  busyMessage(holder: string): string;
}

export function runLockScript(holder: string, thenRun?: string): RunLockScript {
  // flock on the directory itself, opened read-only; the holder's description goes in a file in it,
  // for the "busy" message of the next run.
  const end = `__scaleup_end_${randomBytes(8).toString('hex')}`;
  const then = thenRun === undefined ? '' : `( ${thenRun}\n) </dev/null 2>/dev/null; echo; echo ${end}; `;
  // Every run on every host runs this: tests are the shell's own (`[ -O / ]`: only root owns `/`;
  // `-O`: owned by whoever we run as), the directory is made only when missing, and the lock is held
  // by the shell reading its stdin to the end rather than by a `cat`.
  const script = 'umask 077; ' +
    `if [ -O / ]; then d=${ROOT_LOCK_DIR}; else d="${USER_LOCK_DIR}"; fi; ` +
    '[ -d "$d" ] || mkdir -p -- "$d" 2>/dev/null; ' +
    `if [ -L "$d" ] || [ ! -d "$d" ] || [ ! -O "$d" ]; then echo "unsafe $d is a link, missing, or not owned by $(id -un)"; exit 1; fi; ` +
    'chmod 0700 -- "$d"; exec 9<"$d" || exit 1; ' +
    `if flock -n 9; then printf '%s\\n' ${quote(holder)} > "$d/holder"; echo locked; ${then}while read -r _line; do :; done; ` +
    'else echo "busy $(head -c 300 "$d/holder" 2>/dev/null | head -1)"; fi';
  return {
    script,
    read(out) {
      if (out.startsWith('locked\n')) {
        if (thenRun === undefined) return { state: 'locked' };
        const at = out.indexOf(`\n${end}\n`);
        return at >= 0 ? { state: 'locked', output: out.slice('locked\n'.length, at) } : { state: 'pending' };
      }
      if (out.includes('\n') && out.startsWith('busy')) return { state: 'busy', holder: safeHostLine(out.slice(5, out.indexOf('\n')).trim()) };
      return { state: 'pending' };
    },
    busyMessage: (h) => `another run holds the host's run lock (${h || 'unknown holder'}); wait for it to finish`,
  };
}

/**
 * Follows the lock channel's output as it arrives, whatever carries it: `feed` returns the outcome once
 * the lock is held (with the facts output, if any) and throws LockedError when another run holds it;
 * `failure` is the error for a channel that closed before either.
 */
export function lockReader(lock: RunLockScript, hostName: string): {
  feed(chunk: string): { output?: string } | undefined;
  failure(): ConnectError;
} {
  let out = '';
  return {
    feed(chunk) {
      out += chunk;
      const reply = lock.read(out);
      if (reply.state === 'busy') throw new LockedError(hostName, lock.busyMessage(reply.holder));
      return reply.state === 'locked' ? { output: reply.output } : undefined;
    },
    failure: () => new ConnectError(hostName, `cannot take the run lock: ${out.trim() || 'no answer'}`),
  };
}
