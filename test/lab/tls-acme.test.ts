// HTTPS on the VIP with tls_mode acme (issue 16): the lb pair converged from an inventory variant in
// acme mode against the lab's ACME server (pebble; started here when the kept lab has none), with an
// account key put in a secrets file of the test's own by `provision vault set`, as a person would.
//   - from tls off and no certificate on the hosts, one apply ends with HTTPS on the VIP, a chain that
//     verifies for lab.scaleup.test with pebble's root, the same certificate on both load balancers
//     (HTTP-01 answered by HAProxy itself: whichever lb holds the VIP answers);
//   - a second apply changes nothing and asks the ACME server nothing (pebble's log of requests, the
//     cached certificate, the hosts' certificate and the reported changes are all unchanged);
//   - a forced renewal (tls_renew_before_days above the certificate's lifetime) under HTTPS load puts
//     one new certificate on both load balancers by a reload, with no request lost;
//   - no output holds a private key.
// Puts the lab back to tls_mode off (inventory/lab.yml) and removes the certificates afterwards.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeCacheFiles } from '../../roles/haproxy/acme.ts';
import { TLS_PEM_DIR } from '../../roles/haproxy/tls.ts';
import { labAcmeServerSpec, startAcmeServer, stopAcmeServer, type AcmeServerRecord } from '../../src/lab/acme-server.ts';
import { labPaths } from '../../src/lab/paths.ts';
import type { LabStatus, LabTlsStatus } from '../../src/lab/status.ts';
import { packageRoot } from '../../src/package-root.ts';
import { getFrom, tlsHandshake } from '../../src/stack/verify-tls.ts';
import { labInventory } from './lab-paths.ts';
import { apply, inventoryVariant, LAB_ADDRESSES, onHost, provision, VIP } from './support.ts';

const SITE = 'lab.scaleup.test';
const LB_ONLY = ['--limit', 'lb'];
const STATS_PORT = 8404;
const APPLY_TIMEOUT = 600_000;

const inventoryDir = path.dirname(labInventory);
const secretsFile = path.join(inventoryDir, '.test-acme.secrets.age');
// The vault finds a secrets file's identity beside it, by its name.
const identityFile = path.join(inventoryDir, '.test-acme.agekey');

let tls: LabTlsStatus;
let ownServer: AcmeServerRecord | undefined;
let variant: { file: string; remove: () => void } | undefined;
let root = '';
let accountKey = '';

async function removeCertificates(): Promise<void> {
  for (const lb of ['lb-01', 'lb-02']) await onHost(lb, `rm -rf ${TLS_PEM_DIR}`);
}

/**
 * The requests pebble has handled so far (it logs one `METHOD PATH -> calling handler()` line each);
 * `orders` counts only new orders (pebble's new-order path is /order-plz).
 */
function acmeRequests(only?: 'orders'): number {
  let log = '';
  try {
    log = readFileSync(path.join(labAcmeServerSpec(labPaths()).dir, 'pebble.log'), 'utf8');
  } catch {
    return -1;
  }
  return log.split('\n').filter((line) => line.includes('-> calling handler()') && (!only || line.includes('/order-plz'))).length;
}

function keyLines(pem: string): string[] {
  return pem.split('\n').filter((l) => l && !l.startsWith('-----'));
}

beforeAll(async () => {
  const res = await provision(['lab', 'status', '--json']);
  expect(res.code, res.stderr).toBe(0);
  const status = JSON.parse(res.stdout) as LabStatus;
  if (status.tls) {
    tls = status.tls;
  } else {
    ownServer = await startAcmeServer(labAcmeServerSpec(labPaths()));
    tls = { domain: ownServer.domain, caFile: ownServer.caFile, acmeDirectory: ownServer.directoryUrl, acmeCaFile: ownServer.acmeCaFile, dnsServer: ownServer.dnsAddress };
  }
  root = readFileSync(tls.caFile, 'utf8');

  // The lab's secrets plus an ACME account key, in a file of the test's own.
  copyFileSync(path.join(inventoryDir, 'lab.secrets.age'), secretsFile);
  copyFileSync(path.join(inventoryDir, 'lab.agekey'), identityFile);
  accountKey = execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], { encoding: 'utf8' });
  // What the role's README says to do: the key from openssl, piped into `provision vault set`.
  execFileSync(process.execPath, [path.join(packageRoot, 'bin', 'provision.js'), 'vault', 'set', secretsFile, 'acme_account_key'], { input: accountKey, stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, CI: 'true' } });

  variant = inventoryVariant('acme', (doc) => {
    doc.set('secrets', path.basename(secretsFile));
    doc.setIn(['vars', 'tls_mode'], 'acme');
    doc.setIn(['vars', 'tls_domains'], [SITE]);
    doc.setIn(['vars', 'acme_directory_url'], tls.acmeDirectory);
    doc.setIn(['vars', 'acme_ca_file'], tls.acmeCaFile);
    doc.setIn(['vars', 'acme_email'], 'ops@scaleup.test');
  });
  // From tls off: no certificate on the hosts, none cached.
  await removeCertificates();
  rmSync(acmeCacheFiles(packageRoot, SITE).dir, { recursive: true, force: true });
}, 180_000);

afterAll(async () => {
  variant?.remove();
  rmSync(secretsFile, { force: true });
  rmSync(identityFile, { force: true });
  const back = await apply(LB_ONLY, labInventory);
  expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
  await removeCertificates();
  rmSync(acmeCacheFiles(packageRoot, SITE).dir, { recursive: true, force: true });
  if (ownServer) await stopAcmeServer(ownServer, ownServer.dir);
}, APPLY_TIMEOUT);

describe('HTTPS on the VIP (tls_mode acme)', () => {
  let fingerprint = '';

  it('from tls off, one apply: a certificate from the ACME server on both load balancers, no key in any output', async () => {
    const requestsBefore = acmeRequests();
    const ordersBefore = acmeRequests('orders');
    const run = await apply([...LB_ONLY, '--diff', '-vv'], variant!.file);
    const output = run.stdout + run.stderr + JSON.stringify(run.result);
    expect(run.code, output).toBe(0);
    expect(output).not.toContain('PRIVATE KEY');
    expect(keyLines(accountKey).filter((line) => output.includes(line))).toEqual([]);
    const cached = acmeCacheFiles(packageRoot, SITE);
    expect(keyLines(readFileSync(cached.key, 'utf8')).filter((line) => output.includes(line))).toEqual([]);
    expect(statSync(cached.dir).mode & 0o777).toBe(0o700);
    expect(statSync(cached.key).mode & 0o777).toBe(0o600);
    // The ACME server's log counts the requests (what the second run must not make).
    expect(requestsBefore).toBeGreaterThanOrEqual(0);
    expect(acmeRequests()).toBeGreaterThan(requestsBefore);
    // Two load balancers, one order.
    expect(acmeRequests('orders') - ordersBefore).toBe(1);

    const hello = await tlsHandshake(VIP, 443, SITE, { ca: root });
    expect(hello).toMatchObject({ authorized: true, alpn: 'h2' });
    fingerprint = hello.fingerprint!;
    // Not the placeholder: without pebble's root the chain does not verify.
    expect((await tlsHandshake(VIP, 443, SITE)).authorized).toBe(false);
    for (const lb of ['lb-01', 'lb-02']) {
      expect(await tlsHandshake(LAB_ADDRESSES[lb]!, STATS_PORT, SITE, { ca: root }), lb).toMatchObject({ authorized: true, fingerprint });
    }
    const page = await getFrom('https', VIP, 443, SITE, '/', root);
    expect(page.status).toBe(200);
    expect((await getFrom('http', VIP, 80, SITE, '/x')).status).toBe(301);
  }, APPLY_TIMEOUT);

  it('provision verify, trusting the ACME server\'s root, passes', async () => {
    const run = await provision(['verify', '-i', variant!.file, '--json', '--tls-ca-file', tls.caFile]);
    const report = JSON.parse(run.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toContain('every load balancer serves the same certificate as the VIP');
    expect(run.stdout + run.stderr).not.toContain('PRIVATE KEY');
  });

  it('HAProxy answers any base64url token with the account thumbprint, and nothing else', async () => {
    const answer = await getFrom('http', VIP, 80, SITE, '/.well-known/acme-challenge/abc_DEF-123');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^abc_DEF-123\.[A-Za-z0-9_-]{43}$/);
    expect((await getFrom('http', VIP, 80, SITE, '/.well-known/acme-challenge/a.b')).status).toBe(404);
  });

  it('a second apply changes nothing and asks the ACME server nothing', async () => {
    const cached = acmeCacheFiles(packageRoot, SITE);
    const before = { cert: readFileSync(cached.cert, 'utf8'), mtime: statSync(cached.cert).mtimeMs };
    const requestsBefore = acmeRequests();
    const again = await apply(LB_ONLY, variant!.file);
    expect(again.code, again.stderr).toBe(0);
    for (const [name, host] of Object.entries(again.result.hosts)) expect(host.changed, name).toBe(0);
    expect(again.stdout + again.stderr).not.toMatch(/issue a certificate/);
    expect(acmeRequests()).toBe(requestsBefore);
    expect(readFileSync(cached.cert, 'utf8')).toBe(before.cert);
    expect(statSync(cached.cert).mtimeMs).toBe(before.mtime);
    expect((await tlsHandshake(VIP, 443, SITE, { ca: root })).fingerprint).toBe(fingerprint);
  }, APPLY_TIMEOUT);

  it('forced renewal under HTTPS load: one new certificate on both load balancers, reloaded, no request lost', async () => {
    const masters = await Promise.all(['lb-01', 'lb-02'].map(haproxyMaster));
    // Longer than any certificate the ACME server issues: the run must order a new one.
    const renew = inventoryVariant('acme-renew', (doc) => {
      doc.set('secrets', path.basename(secretsFile));
      doc.setIn(['vars', 'tls_mode'], 'acme');
      doc.setIn(['vars', 'tls_domains'], [SITE]);
      doc.setIn(['vars', 'acme_directory_url'], tls.acmeDirectory);
      doc.setIn(['vars', 'acme_ca_file'], tls.acmeCaFile);
      doc.setIn(['vars', 'acme_email'], 'ops@scaleup.test');
      doc.setIn(['vars', 'tls_renew_before_days'], 36500);
    });
    const load = httpsLoad();
    try {
      const run = await apply(LB_ONLY, renew.file);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout + run.stderr + JSON.stringify(run.result)).not.toContain('PRIVATE KEY');
    } finally {
      load.stop();
      renew.remove();
    }
    expect(await load.failures, `${load.count()} HTTPS requests during the renewal`).toEqual([]);
    expect(load.count()).toBeGreaterThan(0);
    const after = await tlsHandshake(VIP, 443, SITE, { ca: root });
    expect(after.authorized).toBe(true);
    expect(after.fingerprint).not.toBe(fingerprint);
    for (const lb of ['lb-01', 'lb-02']) {
      expect((await tlsHandshake(LAB_ADDRESSES[lb]!, STATS_PORT, SITE, { ca: root })).fingerprint, lb).toBe(after.fingerprint);
    }
    expect(await Promise.all(['lb-01', 'lb-02'].map(haproxyMaster))).toEqual(masters);
    // The renewed certificate is the cached one: the usual window changes nothing.
    const again = await apply(LB_ONLY, variant!.file);
    for (const [name, host] of Object.entries(again.result.hosts)) expect(host.changed, name).toBe(0);
  }, APPLY_TIMEOUT);
});

/** HAProxy's master process on a load balancer: a reload keeps it, a restart replaces it. */
async function haproxyMaster(lb: string): Promise<string> {
  return (await onHost(lb, 'systemctl show -p MainPID --value haproxy 2>/dev/null || cat /run/haproxy.pid')).stdout.trim();
}

/** HTTPS GETs through the VIP, two at a time, until `stop` (bounded: 60 s, 5000 requests); the failed ones. */
function httpsLoad(): { stop: () => void; failures: Promise<string[]>; count: () => number } {
  let stopped = false;
  let sent = 0;
  const failed: string[] = [];
  const until = Date.now() + 60_000;
  const worker = async () => {
    while (!stopped && Date.now() < until && sent < 5000) {
      sent++;
      const r = await getFrom('https', VIP, 443, SITE, '/healthz', root);
      if (r.status !== 200) failed.push(`${r.status} ${r.error ?? ''}`.trim());
    }
  };
  const all = Promise.all([worker(), worker()]).then(() => failed);
  return { stop: () => (stopped = true), failures: all, count: () => sent };
}
