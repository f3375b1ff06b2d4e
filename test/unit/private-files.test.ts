// Private keys on the control node (issue 12, finding 10): a key file the group or others may read or
// change is refused, as OpenSSH refuses an unprotected private key; the committed lab identity, which
// git checks out with the umask's mode, is made private by the lab before it is used.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labPaths } from '../../src/lab/paths.ts';
import { packageRoot as projectRoot } from '../../src/package-root.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-private-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the lab age identity', () => {
  it('is the committed inventory/lab.agekey, and `lab up` makes it 0600 before the lab uses it', async () => {
    expect((labPaths() as { ageKey?: string }).ageKey).toBe(path.join(projectRoot, 'inventory', 'lab.agekey'));
    const { protectLabAgeKey } = await import('../../src/lab/keys.ts');
    const ageKey = path.join(dir, 'lab.agekey');
    writeFileSync(ageKey, '# LAB ONLY\n');
    chmodSync(ageKey, 0o644); // as a checkout leaves it
    await protectLabAgeKey({ ...labPaths(), ageKey });
    expect(statSync(ageKey).mode & 0o777).toBe(0o600);
  });
});

describe('reading a private key file', () => {
  it('refuses a loose mode on the open file, naming the chmod that fixes it; a private one is read', async () => {
    const { readPrivateFile } = await import('../../src/core/private-file.ts');
    const key = path.join(dir, 'id_test');
    writeFileSync(key, 'KEY\n');
    const refuse = (reason: string) => new Error(`key ${reason}`);
    chmodSync(key, 0o640);
    expect(() => readPrivateFile(key, refuse)).toThrow(`key may be read or changed by other users (mode 0640); make it private: chmod 600 ${key}`);
    chmodSync(key, 0o600);
    expect(readPrivateFile(key, refuse).toString()).toBe('KEY\n');
  });
});

describe('an SSH private key given in the inventory', () => {
  it('is refused before any connection when others may read it', async () => {
    const { SshConnection } = await import('../../src/core/connection/ssh.ts');
    const key = path.join(dir, 'id_loose');
    writeFileSync(key, 'not even a key\n');
    chmodSync(key, 0o644);
    const host = { name: 'web-01', address: '127.0.0.1', privateAddress: '127.0.0.1', port: 9, user: 'deploy', become: false, groups: [], vars: {}, privateKey: key };
    await expect(SshConnection.open(host, { knownHostsFile: path.join(dir, 'known_hosts'), acceptNewHostKeys: false, connectAttempts: 1 }))
      .rejects.toThrow(`web-01: private key ${key}: may be read or changed by other users (mode 0644); make it private: chmod 600 ${key}`);
  });
});
