import { describe, expect, test } from 'vitest';
import { missingPackages } from '../../src/lab/prereqs.ts';
import { parseStat } from '../../src/lab/processes.ts';
import { baseRootfsKey, customizeScript } from '../../src/lab/rootfs.ts';
import { repoKey } from '../../src/lab/apt-repo.ts';
import { sshTimeoutMs } from '../../src/lab/lab.ts';

describe('lab internals', () => {
  test('/proc/PID/stat: a command name with spaces and parentheses does not shift the fields', () => {
    const stat = '4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10';
    expect(parseStat(stat)).toEqual({ state: 'S', ppid: 1, start: 987654 });
    expect(parseStat('garbage')).toBeNull();
  });

  test('missing commands map to the Debian packages that provide them, each once', () => {
    const present = new Set(['ip', 'nsenter', 'unshare', 'flock', 'ssh', 'ssh-keygen', 'apt-get', 'dpkg-scanpackages', 'openssl']);
    expect(missingPackages((c) => present.has(c))).toEqual(['mmdebstrap', 'systemd-container', 'pebble']);
    expect(missingPackages(() => false)).toContain('openssh-client');
    expect(missingPackages(() => true)).toEqual([]);
  });

  test('cache keys differ per flavor and change with the recipe', () => {
    expect(baseRootfsKey('systemd')).toMatch(/^[0-9a-f]{12}$/);
    expect(baseRootfsKey('systemd')).not.toBe(baseRootfsKey('sysv'));
    expect(repoKey('systemd')).not.toBe(repoKey('sysv'));
    expect(customizeScript('systemd')).toContain('systemctl mask apt-daily.timer');
    expect(customizeScript('sysv')).toContain('/usr/sbin/runlevel');
    expect(customizeScript('sysv')).not.toContain('systemctl');
  });

  test('the SSH deadline grows with the number of hosts booting together', () => {
    expect(sshTimeoutMs(50)).toBeGreaterThan(sshTimeoutMs(5));
  });
});
