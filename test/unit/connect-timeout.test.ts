// --connect-timeout is the whole wait for a host that does not answer: a handshake that times out is
// not tried again (three attempts made `--connect-timeout 10` wait 31 s), while a refused or reset
// connection still is.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../../src/core/connection/ssh.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-connect-timeout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A TCP server on loopback that accepts connections and never says a word (a host's SSH port behind a hung sshd). */
async function silentServer(): Promise<{ port: number; accepted: () => number; close: () => Promise<void> }> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

describe('a host that never answers the SSH handshake', () => {
  it('is unreachable after one attempt of --connect-timeout, not three', async () => {
    const server = await silentServer();
    try {
      const host = { name: 'web-01', address: '127.0.0.1', privateAddress: '127.0.0.1', port: server.port, user: 'deploy', become: false, groups: [], vars: {} };
      await expect(SshConnection.open(host, {
        knownHostsFile: path.join(dir, 'known_hosts'),
        acceptNewHostKeys: false,
        agentSocket: path.join(dir, 'no-agent'),
        connectTimeoutMs: 300,
      })).rejects.toThrow(/^web-01: cannot connect to 127\.0\.0\.1:\d+: Timed out while waiting for handshake/);
      expect(server.accepted()).toBe(1);
    } finally {
      await server.close();
    }
  });
});
