// A real certificate from a real ACME server: pebble and pebble-challtestsrv (Debian's `pebble`) on
// loopback, started with the lab's own start/stop functions; pebble's HTTP-01 validation connects to a
// challenge server this suite runs. Needs no root and no lab.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AcmeError, createAcmeAccountKey, issueCertificate, needsIssue } from '../../src/acme/index.ts';
import { startAcmeServer, stopAcmeServer, type AcmeServerRecord, type AcmeServerSpec } from '../../src/lab/acme-server.ts';
import { labPaths } from '../../src/lab/paths.ts';
import { isRunning } from '../../src/lab/processes.ts';
import { readState, writeState } from '../../src/lab/state.ts';
import { labStatus } from '../../src/lab/status.ts';

const LOOPBACK = '127.0.0.1';
const DOMAIN = 'test.scaleup.test';

/** A port free on loopback for TCP, and for UDP too when `udp` (challtestsrv's DNS listens on both). */
async function freePort(udp = false): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createNetServer();
      s.once('error', reject);
      s.listen(0, LOOPBACK, () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    if (!udp) return port;
    const ok = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, LOOPBACK, () => u.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

/** The challenge answers the "site" serves, as a load balancer would from what publishChallenge gave it. */
const answers = new Map<string, string>();
let challengeServer: Server;
let server: AcmeServerRecord;
let spec: AcmeServerSpec;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'scaleup-acme-'));
  challengeServer = createServer((req, res) => {
    const token = /^\/\.well-known\/acme-challenge\/([\w-]+)$/.exec(req.url ?? '')?.[1];
    const answer = token === undefined ? undefined : answers.get(token);
    res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'text/plain' }).end(answer ?? 'not found');
  });
  await new Promise<void>((resolve) => challengeServer.listen(0, LOOPBACK, resolve));
  const httpChallengePort = (challengeServer.address() as { port: number }).port;
  spec = {
    dir: path.join(dir, 'server'),
    address: LOOPBACK,
    ports: { acme: await freePort(), management: await freePort(), dns: await freePort(true), dnsManagement: await freePort() },
    domain: DOMAIN,
    siteAddress: LOOPBACK,
    httpChallengePort,
    tlsChallengePort: await freePort(),
  };
  server = await startAcmeServer(spec);
}, 120_000);

afterAll(async () => {
  if (server) await stopAcmeServer(server, server.dir);
  await new Promise((resolve) => challengeServer?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('issueCertificate against pebble', () => {
  test('issues a certificate for the name that chains to pebble\'s root; needsIssue then says no', async () => {
    const accountKeyPem = await createAcmeAccountKey();
    const published: string[] = [];
    const issued = await issueCertificate({
      directoryUrl: server.directoryUrl,
      caFile: server.acmeCaFile,
      email: 'ops@scaleup.test',
      accountKeyPem,
      domains: [DOMAIN],
      publishChallenge: async (token, keyAuthorization) => {
        published.push(token);
        answers.set(token, keyAuthorization);
      },
      removeChallenge: async (token) => {
        answers.delete(token);
      },
      pollMs: [200, 2_000],
    });
    expect(published).toHaveLength(1);
    expect(answers.size).toBe(0); // removed once the server had decided

    const chain = issued.certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!.map((p) => new X509Certificate(p));
    const root = new X509Certificate(readFileSync(server.caFile));
    // Leaf → intermediate(s) → pebble's root, each signed by the next.
    const path_ = [...chain, root];
    for (let i = 0; i + 1 < path_.length; i++) expect(path_[i]!.verify(path_[i + 1]!.publicKey)).toBe(true);
    expect(chain[chain.length - 1]!.checkIssued(root)).toBe(true);
    expect(chain[0]!.checkHost(DOMAIN)).toBe(DOMAIN);
    expect(issued.notAfter.getTime()).toBe(new Date(chain[0]!.validTo).getTime());
    // The key is a Secret (never printed) and belongs to the certificate.
    expect(String(issued.keyPem)).toBe('***');
    expect(JSON.stringify(issued)).not.toContain('PRIVATE KEY');
    expect(chain[0]!.checkPrivateKey((await import('node:crypto')).createPrivateKey(issued.keyPem.reveal()))).toBe(true);

    expect(needsIssue(issued.certPem, [DOMAIN], 30, new Date())).toBeNull();
    expect(needsIssue(issued.certPem, [DOMAIN, 'www.scaleup.test'], 30, new Date())).toEqual({ reason: 'uncovered', names: ['www.scaleup.test'] });
  }, 180_000);

  test('a challenge the site does not answer fails with the server\'s problem type and detail, and no key', async () => {
    const accountKeyPem = await createAcmeAccountKey();
    let removed = 0;
    const failure = await issueCertificate({
      directoryUrl: server.directoryUrl,
      caFile: server.acmeCaFile,
      email: 'ops@scaleup.test',
      accountKeyPem,
      domains: [DOMAIN],
      publishChallenge: async () => undefined, // the site never serves the answer: 404
      removeChallenge: async () => {
        removed++;
      },
      pollMs: [200, 2_000],
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AcmeError);
    const message = (failure as AcmeError).message;
    expect(message).toContain(server.directoryUrl);
    expect(message).toContain(`validating ${DOMAIN}`);
    expect(message).toMatch(/urn:ietf:params:acme:error:\w+/);
    expect((failure as AcmeError).problem?.detail).toBeTruthy();
    expect(message).not.toContain(accountKeyPem.reveal().split('\n')[1]!);
    expect(message).not.toContain('PRIVATE KEY');
    expect(removed).toBe(1);
  }, 180_000);

  test('an ACME server whose HTTPS is not signed by the given CA is refused at once, naming the CA file', async () => {
    // pebble's issuing root did not sign its HTTPS certificate: trusting it alone must fail.
    const failure = await issueCertificate({
      directoryUrl: server.directoryUrl,
      caFile: server.caFile,
      email: 'ops@scaleup.test',
      accountKeyPem: await createAcmeAccountKey(),
      domains: [DOMAIN],
      publishChallenge: async () => undefined,
      removeChallenge: async () => undefined,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AcmeError);
    expect((failure as Error).message).toContain('not trusted');
    expect((failure as Error).message).toContain(server.caFile);
    // Issuing trusted acmeCaFile for that client only: the process's default agent still refuses pebble's HTTPS.
    const plain = await new Promise<string>((resolve) => {
      httpsGet(server.directoryUrl, (res) => resolve(`answered ${res.statusCode}`)).on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(plain).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  }, 60_000);

  test('without a CA file the system store decides, and the error says which setting trusts a private server', async () => {
    const base = {
      email: 'ops@scaleup.test', accountKeyPem: await createAcmeAccountKey(), domains: [DOMAIN],
      publishChallenge: async () => undefined, removeChallenge: async () => undefined,
    };
    await expect(issueCertificate({ ...base, directoryUrl: server.directoryUrl })).rejects.toThrow(
      /its HTTPS certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*\); give the CA that signs a private ACME server \(acme_ca_file\)/,
    );
    // Nothing listens there: refused at once, not after the HTTP client's retries.
    const closed = await freePort();
    await expect(issueCertificate({ ...base, directoryUrl: `https://${LOOPBACK}:${closed}/dir`, caFile: server.acmeCaFile })).rejects.toThrow(
      `ACME server https://${LOOPBACK}:${closed}/dir: cannot be reached (ECONNREFUSED`,
    );
  }, 60_000);

  test('bad input is refused before any traffic', async () => {
    const base = {
      directoryUrl: server.directoryUrl,
      email: 'ops@scaleup.test',
      accountKeyPem: 'not a key',
      domains: [DOMAIN],
      publishChallenge: async () => undefined,
      removeChallenge: async () => undefined,
    };
    await expect(issueCertificate({ ...base, directoryUrl: 'http://127.0.0.1:1/dir' })).rejects.toThrow(/must be https/);
    await expect(issueCertificate({ ...base, domains: ['*.scaleup.test'] })).rejects.toThrow(/DNS-01/);
    await expect(issueCertificate({ ...base, domains: [] })).rejects.toThrow(/no domain/);
    await expect(issueCertificate({ ...base, email: 'nobody' })).rejects.toThrow(/not an email/);
    await expect(issueCertificate({ ...base, caFile: path.join(dir, 'absent.pem') })).rejects.toThrow(/cannot read the CA file/);
  });

  test('lab status reports the recorded server under tls while both its processes run, and null after', async () => {
    const run = path.join(dir, 'run');
    mkdirSync(run);
    const paths = { ...labPaths(), run, stateFile: path.join(run, 'state.json') };
    await writeState(paths, {
      version: 1, init: 'systemd', startedAt: new Date().toISOString(), lowerDir: '', repoDir: '',
      sshKey: paths.sshKey, knownHosts: paths.knownHosts, inventory: paths.inventory, hosts: [], acme: server,
    });
    expect((await labStatus(paths)).tls).toEqual({
      domain: DOMAIN, caFile: server.caFile, acmeDirectory: server.directoryUrl, acmeCaFile: server.acmeCaFile, dnsServer: server.dnsAddress,
    });
    await writeState(paths, { ...(await readState(paths))!, acme: { ...server, pebble: { pid: server.pebble.pid, start: server.pebble.start + 1 } } });
    // A recorded PID that is no longer the process the lab started is not the ACME server.
    expect((await labStatus(paths)).tls).toBeNull();
  });

  test('stopping the server ends exactly its two processes and removes its files; a second stop is harmless', async () => {
    expect(isRunning(server.pebble)).toBe(true);
    expect(isRunning(server.dnsServer)).toBe(true);
    // The throwaway CA's key and the server's key are for pebble alone.
    for (const key of ['https-ca.key', 'https-server.key']) expect(statSync(path.join(server.dir, key)).mode & 0o077).toBe(0);
    // From the record alone (what the lab state holds).
    rmSync(path.join(server.dir, 'processes.json'));
    await stopAcmeServer(server, server.dir);
    expect(isRunning(server.pebble)).toBe(false);
    expect(isRunning(server.dnsServer)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
    await stopAcmeServer(server, server.dir);
  }, 60_000);

  test('a server whose record was never saved (a killed lab up) is still stopped, from its directory', async () => {
    const again = await startAcmeServer({ ...spec, dir: path.join(dir, 'server-2') });
    await stopAcmeServer(undefined, again.dir);
    expect(isRunning(again.pebble)).toBe(false);
    expect(isRunning(again.dnsServer)).toBe(false);
    expect(existsSync(again.dir)).toBe(false);
  }, 120_000);
});
