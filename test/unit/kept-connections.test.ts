// The pure parts of keeping SSH connections between runs: where the keeper's socket may live, which
// connection may serve which host, how long connections are kept, and reading the run lock's answer.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sshPersistFlag } from '../../src/cli/commands/numeric-flags.ts';
import { DEFAULT_SSH_PERSIST_SECONDS } from '../../src/cli/connection-keeper.ts';
import { resolveSettings } from '../../src/cli/settings.ts';

const sshPersistSeconds = (flag?: number) => resolveSettings({ sshPersist: flag }).sshPersistSeconds;
import { KeeperUnavailable, KeptConnection } from '../../src/core/connection/kept/kept-connection.ts';
import { keeperDir, keeperSocketPath, targetKey } from '../../src/core/connection/kept/protocol.ts';
import { runLockScript } from '../../src/core/connection/run-lock.ts';
import { InventoryError } from '../../src/core/errors.ts';
import { errorOf } from './thrown-errors.ts';

const base = mkdtempSync(path.join(tmpdir(), 'scaleup-keeper-'));
const uid = process.getuid!();
afterEach(() => rmSync(path.join(base, `scaleup-${uid}`), { recursive: true, force: true }));

describe('the keeper socket directory', () => {
  it('is created private (0700) and used', () => {
    const dir = keeperDir(base)!;
    expect(dir).toBe(path.join(base, `scaleup-${uid}`));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('is refused when others may enter it, or someone else owns it: runs then connect directly', () => {
    const dir = path.join(base, `scaleup-${uid}`);
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    expect(keeperDir(base)).toBeUndefined();
    chmodSync(dir, 0o700);
    expect(keeperDir(base)).toBe(dir);
    if (uid === 0) {
      chownSync(dir, 4242, 4242);
      expect(keeperDir(base)).toBeUndefined();
    }
  });

  it('holds one socket per installation, short enough for a Unix socket address', () => {
    const a = keeperSocketPath('/run/user/1000/scaleup-1000', '/opt/scaleup/bin/provision.js')!;
    const b = keeperSocketPath('/run/user/1000/scaleup-1000', '/home/me/scaleup/bin/provision.js')!;
    expect(a).not.toBe(b);
    expect(Buffer.byteLength(a)).toBeLessThan(108);
    // A directory too deep for a socket address: no keeper, runs connect directly.
    expect(keeperSocketPath(`/${'d'.repeat(90)}/scaleup-1000`, '/opt/scaleup/bin/provision.js')).toBeUndefined();
  });

  it('is not used where it cannot be created', () => {
    const file = path.join(base, 'a-file');
    writeFileSync(file, '');
    expect(keeperDir(file)).toBeUndefined();
  });
});

describe('which kept connection may serve a host', () => {
  const parts = { address: '10.0.0.5', port: 22, user: 'deploy', privateKey: '/k', knownHostsFile: '/kh' };
  const pinned = ['{"type":"ssh-ed25519","key":"AAA"}'];

  it('the same address, user, key and pinned host keys share one', () => {
    expect(targetKey({ ...parts }, '1:2:3', [...pinned])).toBe(targetKey(parts, '1:2:3', pinned));
  });

  it('another user, a replaced private key or a changed known_hosts entry do not', () => {
    const key = targetKey(parts, '1:2:3', pinned);
    expect(targetKey({ ...parts, user: 'root' }, '1:2:3', pinned)).not.toBe(key);
    expect(targetKey(parts, '1:9:3', pinned)).not.toBe(key);
    expect(targetKey(parts, '1:2:3', ['{"type":"ssh-ed25519","key":"BBB"}'])).not.toBe(key);
    expect(targetKey(parts, '1:2:3', [])).not.toBe(key);
  });
});

describe('how long connections are kept', () => {
  const saved = process.env.SCALEUP_SSH_PERSIST;
  afterEach(() => {
    if (saved === undefined) delete process.env.SCALEUP_SSH_PERSIST;
    else process.env.SCALEUP_SSH_PERSIST = saved;
  });

  it('--ssh-persist wins over $SCALEUP_SSH_PERSIST, which wins over the default', () => {
    process.env.SCALEUP_SSH_PERSIST = '5';
    expect(sshPersistSeconds(0)).toBe(0);
    expect(sshPersistSeconds()).toBe(5);
    delete process.env.SCALEUP_SSH_PERSIST;
    expect(sshPersistSeconds()).toBe(DEFAULT_SSH_PERSIST_SECONDS);
  });

  it('anything but whole seconds is refused, naming where it came from', () => {
    // The flag is checked by commander as it reads the command line (test/unit/cli-inputs.test.ts).
    expect(() => sshPersistFlag('1m')).toThrow('--ssh-persist must be a whole number of seconds from 0 to 2147483 (0 keeps no connection).');
    process.env.SCALEUP_SSH_PERSIST = '-3';
    const env = errorOf(() => sshPersistSeconds());
    expect(env).toBeInstanceOf(InventoryError);
    expect(env.message).toMatch(/SCALEUP_SSH_PERSIST: '-3' is not a whole number of seconds/);
  });
});

describe('the run lock answer', () => {
  it('waits for the whole facts output, then hands it over', () => {
    const lock = runLockScript('me@ctl', 'uname -a');
    const end = /echo (__scaleup_end_[0-9a-f]+)/.exec(lock.script)![1];
    expect(lock.read('locked\nLinux web-01')).toEqual({ state: 'pending' });
    expect(lock.read(`locked\nLinux web-01\n\n${end}\n`)).toEqual({ state: 'locked', output: 'Linux web-01\n' });
  });

  it('names the run that holds it', () => {
    const lock = runLockScript('me@ctl');
    expect(lock.read('locked\n')).toEqual({ state: 'locked' });
    const busy = lock.read('busy ops@laptop pid 42\n');
    expect(busy).toEqual({ state: 'busy', holder: 'ops@laptop pid 42' });
    expect(lock.busyMessage('ops@laptop pid 42')).toMatch(/another run holds the host's run lock \(ops@laptop pid 42\)/);
  });

  it('shows a holder text made safe: a host cannot send a terminal escape through it', () => {
    // Fails on the old reader, which passed the holder's text on raw.
    const busy = runLockScript('me@ctl').read('busy \x1b]0;owned\x07\x1b[2Jevil\rhidden\nmore\n');
    expect(busy).toEqual({ state: 'busy', holder: '\\x1b]0;owned\\x07\\x1b[2Jevil\\x0dhidden' });
  });

  it('is kept in root\'s own directory (or the user\'s own), never in a world-writable one', () => {
    // Fails on the old script, which locked /run/lock/scaleup (mode 1777).
    const { script } = runLockScript('me@ctl');
    expect(script).not.toContain('/run/lock');
    expect(script).toContain('d=/run/scaleup/lock');
    expect(script).toContain('d="$HOME/.scaleup-lock"');
  });
});

describe('a keeper that cannot start', () => {
  it('is given up as soon as its process has exited: the run connects directly instead of waiting', async () => {
    const host = { name: 'web-01', address: '10.77.0.21', privateAddress: '10.77.0.21', port: 22, user: 'deploy', become: true, groups: [], vars: {} };
    let started = 0;
    const access = {
      socketPath: path.join(base, 'nobody-listens.sock'),
      persistSeconds: 60,
      start: () => {
        started++;
        return () => true;
      },
    };
    const opening = KeptConnection.open(host, { knownHostsFile: path.join(base, 'known_hosts'), acceptNewHostKeys: false }, access);
    await expect(opening).rejects.toBeInstanceOf(KeeperUnavailable);
    expect(started).toBe(1);
  });
});
