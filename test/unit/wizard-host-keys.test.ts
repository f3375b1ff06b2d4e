// Host keys as the wizard shows them (exactly `ssh-keygen -l`), and how a presented key stands
// against known_hosts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import ssh2 from 'ssh2';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KnownHosts } from '../../src/core/connection/known-hosts.ts';
import { describeHostKey, hostKeyFileFor, keyBits, keyStatus, scanHostKey } from '../../src/cli/wizard/host-keys.ts';
import { budget, PROCESS_MS } from './budgets.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-hostkeys-'));

function makeKey(name: string, type: string, bits?: number): { blob: Buffer; keygen: string } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', '', '-f', file]);
  const blob = Buffer.from(readFileSync(`${file}.pub`, 'utf8').split(' ')[1]!, 'base64');
  // `256 SHA256:… no comment (ED25519)` → drop the comment, as the wizard prints none.
  const keygen = execFileSync('ssh-keygen', ['-lf', `${file}.pub`], { encoding: 'utf8' }).trim().replace(/ no comment | /g, (m) => (m === ' no comment ' ? ' ' : m));
  return { blob, keygen };
}

describe('describeHostKey', () => {
  it.each([
    ['ed25519', 'ed25519', undefined],
    ['ecdsa', 'ecdsa', 384],
    ['rsa', 'rsa', 3072],
  ])('prints an %s key the way ssh-keygen -l does', (name, type, bits) => {
    const { blob, keygen } = makeKey(name, type, bits);
    const [size, fp] = keygen.split(' ');
    const kind = /\((\w+)\)$/.exec(keygen)![1];
    expect(describeHostKey(blob)).toBe(`${size} ${fp} (${kind})`);
    expect(keyBits(blob)).toBe(Number(size));
  }, budget({ processes: 2 }));

  it('names the host file to compare with', () => {
    expect(hostKeyFileFor(makeKey('e2', 'ed25519').blob)).toBe('/etc/ssh/ssh_host_ed25519_key.pub');
  }, budget({ processes: 2 }));
});

describe('keyStatus', () => {
  it('trusted, new, changed, revoked', () => {
    const a = makeKey('a', 'ed25519').blob;
    const b = makeKey('b', 'ed25519').blob;
    const file = path.join(dir, 'known_hosts');
    writeFileSync(file, '');
    const known = new KnownHosts(file);
    expect(keyStatus(known, '10.0.0.11', a)).toBe('new');
    known.add('10.0.0.11', a);
    expect(keyStatus(known, '10.0.0.11', a)).toBe('trusted');
    expect(keyStatus(known, '10.0.0.11', b)).toBe('changed');
    expect(keyStatus(known, '[10.0.0.11]:2222', a)).toBe('new');
    writeFileSync(file, `@revoked 10.0.0.12 ssh-ed25519 ${b.toString('base64')}\n`, { flag: 'a' });
    expect(keyStatus(known, '10.0.0.12', b)).toBe('revoked');
  }, budget({ processes: 4 }));
});

describe('scanHostKey', () => {
  it('returns the key an SSH server presents, and never authenticates', async () => {
    const file = path.join(dir, 'server_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
    const expected = Buffer.from(readFileSync(`${file}.pub`, 'utf8').split(' ')[1]!, 'base64');
    let authAttempts = 0;
    const server = new ssh2.Server({ hostKeys: [readFileSync(file)] }, (client) => {
      client.on('authentication', (ctx) => {
        authAttempts++;
        ctx.reject();
      });
      client.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      // The handshake with a server in this very process: as long as a process may take.
      const key = await scanHostKey({ name: 'web-01', address: '127.0.0.1', port, user: 'deploy' }, PROCESS_MS);
      expect(key.equals(expected)).toBe(true);
      expect(authAttempts).toBe(0);
    } finally {
      server.close();
    }
  }, budget({ processes: 2 }));

  it('reports a host that does not speak SSH as unreachable, naming it', async () => {
    const server = createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      await expect(scanHostKey({ name: 'web-01', address: '127.0.0.1', port, user: 'deploy' }, 2000)).rejects.toThrow(/^web-01: cannot reach 127\.0\.0\.1:\d+/);
    } finally {
      server.close();
    }
  });
});
