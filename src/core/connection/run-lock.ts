// The host's run lock: a remote `flock` held by a command that waits on its stdin. When the channel
// closes (the run ends, the controller dies, the link drops), sshd closes that stdin and the lock goes
// with it — no stale lock to clean up after a crash. An unprivileged script (the facts) may run on the
// same channel once the lock is held, so lock and facts cost one round trip.
import { randomBytes } from 'node:crypto';
import { ConnectError, LockedError } from '../errors.ts';
import { quote } from '../quote.ts';

const LOCK_DIR = '/run/lock/scaleup';

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
  // flock on a directory opened read-only works for every user (root runs and sudo runs alike); the
  // holder's description goes in a per-user file beside it, for the "busy" message. /run/lock is
  // world-writable: no sudo needed (each sudo costs a PAM session on the host).
  const end = `__scaleup_end_${randomBytes(8).toString('hex')}`;
  const then = thenRun === undefined ? '' : `( ${thenRun}\n) </dev/null 2>/dev/null; echo; echo ${end}; `;
  const script = `mkdir -p -m 1777 ${LOCK_DIR} 2>/dev/null; exec 9<${LOCK_DIR} || exit 1; ` +
    `if flock -n 9; then printf '%s\\n' ${quote(holder)} > ${LOCK_DIR}/holder-$(id -un) 2>/dev/null; echo locked; ${then}exec cat >/dev/null; ` +
    `else echo "busy $(ls -t ${LOCK_DIR}/holder-* 2>/dev/null | head -1 | xargs cat 2>/dev/null)"; fi`;
  return {
    script,
    read(out) {
      if (out.startsWith('locked\n')) {
        if (thenRun === undefined) return { state: 'locked' };
        const at = out.indexOf(`\n${end}\n`);
        return at >= 0 ? { state: 'locked', output: out.slice('locked\n'.length, at) } : { state: 'pending' };
      }
      if (out.includes('\n') && out.startsWith('busy')) return { state: 'busy', holder: out.slice(5).trim() };
      return { state: 'pending' };
    },
    busyMessage: (h) => `another run holds the lock ${LOCK_DIR} (${h || 'unknown holder'}); wait for it to finish`,
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
