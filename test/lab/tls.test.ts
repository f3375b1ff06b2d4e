// HTTPS on the VIP (issue 16), tls_mode self-signed: the lb pair converged from inventory/lab.yml with
// tls_mode self-signed for lab.scaleup.test, then checked from the control node as a client would:
//   - the chain verifies for the name with the project's CA (kept in .scaleup/tls/), connecting to the
//     VIP's address with that name as SNI;
//   - plain HTTP answers 301 to https://, HSTS is sent, TLS 1.1 is refused, h2 is negotiated by ALPN;
//   - both load balancers serve the same certificate (each one's stats listener, which uses the site's
//     PEM, is asked directly: only the VIP holder answers on the VIP);
//   - the stats page no longer answers plain HTTP;
//   - `provision verify` passes, and a second apply changes nothing (the CA and certificate are kept);
//   - a forced renewal puts a new certificate on both, by a reload, with no HTTPS request lost.
// tls_mode files: a key that is not the certificate's is refused before any host is touched, naming
// the inventory line; the user's own files converge and verify (with their CA given to verify).
// Puts the lab back to tls_mode off (inventory/lab.yml) after each part.
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSelfSigned, selfSignedFiles } from '../../roles/haproxy/self-signed.ts';
import { TLS_PEM_DIR } from '../../roles/haproxy/tls.ts';
import { packageRoot } from '../../src/package-root.ts';
import { getFrom, tlsHandshake } from '../../src/stack/verify-tls.ts';
import { labInventory } from './lab-paths.ts';
import { apply, inventoryVariant, LAB_ADDRESSES, onHost, provision, VIP } from './support.ts';

const SITE = 'lab.scaleup.test';
const LB_ONLY = ['--limit', 'lb'];
const STATS_PORT = 8404;
const APPLY_TIMEOUT = 600_000;

const variant = inventoryVariant('tls', (doc) => {
  doc.setIn(['vars', 'tls_mode'], 'self-signed');
  doc.setIn(['vars', 'tls_domains'], [SITE]);
});
let ca = '';

/** Back to the lab's own state: inventory/lab.yml (tls_mode off) applied, and no certificate left. */
async function backToPlainHttp(): Promise<void> {
  const back = await apply(LB_ONLY, labInventory);
  expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
  // tls_mode off does not manage the PEM: a run with TLS off leaves it, the lab should not keep it.
  for (const lb of ['lb-01', 'lb-02']) await onHost(lb, `rm -rf ${TLS_PEM_DIR}`);
}

/** The lines of the site key's PEM body: none may appear in any output. */
function keyLines(): string[] {
  return readFileSync(selfSignedFiles(packageRoot, SITE).key, 'utf8').split('\n').filter((l) => l && !l.startsWith('-----'));
}

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
      const r = await getFrom('https', VIP, 443, SITE, '/healthz', ca);
      if (r.status !== 200) failed.push(`${r.status} ${r.error ?? ''}`.trim());
    }
  };
  const all = Promise.all([worker(), worker()]).then(() => failed);
  return { stop: () => (stopped = true), failures: all, count: () => sent };
}

describe('HTTPS on the VIP (tls_mode self-signed)', () => {
  beforeAll(async () => {
    const run = await apply(LB_ONLY, variant.file);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    ca = readFileSync(selfSignedFiles(packageRoot, SITE).caCert, 'utf8');
  }, APPLY_TIMEOUT);

  afterAll(async () => {
    variant.remove();
    await backToPlainHttp();
  }, APPLY_TIMEOUT);

  it('the VIP serves a chain that verifies for the site name with the CA, TLS 1.2+, h2 by ALPN', async () => {
    const hello = await tlsHandshake(VIP, 443, SITE, { ca });
    expect(hello).toMatchObject({ authorized: true, alpn: 'h2' });
    expect(['TLSv1.2', 'TLSv1.3']).toContain(hello.protocol);
    // Without the CA the same chain does not verify: it is the project's own.
    expect((await tlsHandshake(VIP, 443, SITE)).authorized).toBe(false);
    const page = await getFrom('https', VIP, 443, SITE, '/', ca);
    expect(page.status).toBe(200);
    expect(page.body).toContain('id="visits"');
  });

  it('plain HTTP answers 301 to https://, HTTPS answers carry HSTS', async () => {
    const plain = await getFrom('http', VIP, 80, SITE, '/some/page?x=1');
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`https://${SITE}/some/page?x=1`);
    const secure = await getFrom('https', VIP, 443, SITE, '/', ca);
    expect(secure.headers['strict-transport-security']).toBe('max-age=31536000');
    // ACME's HTTP-01 path is not redirected (nothing answers it yet).
    const challenge = await getFrom('http', VIP, 80, SITE, '/.well-known/acme-challenge/token');
    expect(challenge.status).toBe(404);
  });

  it('TLS 1.1 is refused by the server (the same client settings get TLS 1.2)', async () => {
    // SECLEVEL=0 lets this client offer TLS 1.1 at all: the refusal is the server's.
    const old = await tlsHandshake(VIP, 443, SITE, { ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    expect(old.authorized).toBe(false);
    expect(old.error).toMatch(/protocol version|unsupported protocol/i);
    const ok = await tlsHandshake(VIP, 443, SITE, { ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.2', ciphers: 'DEFAULT:@SECLEVEL=0' });
    expect(ok).toMatchObject({ authorized: true, protocol: 'TLSv1.2' });
  });

  it('both load balancers serve the same certificate; their stats pages only over TLS', async () => {
    const vip = await tlsHandshake(VIP, 443, SITE, { ca });
    for (const lb of ['lb-01', 'lb-02']) {
      const direct = await tlsHandshake(LAB_ADDRESSES[lb]!, STATS_PORT, SITE, { ca });
      expect(direct, lb).toMatchObject({ authorized: true, fingerprint: vip.fingerprint });
      const plain = await getFrom('http', LAB_ADDRESSES[lb]!, STATS_PORT, SITE, '/');
      // A TLS listener: a plain HTTP request gets no HTTP answer at all (the password is never asked in clear).
      expect(plain.status, `${lb}: stats over plain HTTP`).toBe(0);
    }
  });

  it('provision verify checks HTTPS and passes', async () => {
    const run = await provision(['verify', '-i', variant.file, '--json']);
    const report = JSON.parse(run.stdout) as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    const names = report.checks.map((c) => c.name);
    expect(names).toContain(`HTTPS on the VIP: the certificate verifies for ${SITE} (with the project's self-signed CA)`);
    expect(names).toContain(`HTTP on the VIP answers 301 to https://${SITE}/`);
    expect(names).toContain('every load balancer serves the same certificate as the VIP');
    expect(run.stdout + run.stderr).not.toContain('PRIVATE KEY');
  });

  it('a second apply changes nothing and prints no key', async () => {
    const again = await apply([...LB_ONLY, '--diff'], variant.file);
    expect(again.code, again.stderr).toBe(0);
    for (const [name, host] of Object.entries(again.result.hosts)) expect(host.changed, name).toBe(0);
    expect(again.stdout + again.stderr).not.toContain('PRIVATE KEY');
    expect(path.basename(selfSignedFiles(packageRoot, SITE).dir)).toBe(SITE);
  }, APPLY_TIMEOUT);

  it('forced renewal: a new certificate on both load balancers, reloaded (not restarted), no request lost, no key shown', async () => {
    const before = (await tlsHandshake(VIP, 443, SITE, { ca })).fingerprint;
    const masters = await Promise.all(['lb-01', 'lb-02'].map(haproxyMaster));
    // Above the certificate's lifetime (397 days): the run must make a new one.
    const renew = inventoryVariant('tls-renew', (doc) => {
      doc.setIn(['vars', 'tls_mode'], 'self-signed');
      doc.setIn(['vars', 'tls_domains'], [SITE]);
      doc.setIn(['vars', 'tls_renew_before_days'], 400);
    });
    const load = httpsLoad();
    try {
      const run = await apply([...LB_ONLY, '--diff', '-vvv'], renew.file);
      expect(run.code, run.stderr).toBe(0);
      const output = run.stdout + run.stderr + JSON.stringify(run.result);
      expect(keyLines().filter((line) => output.includes(line))).toEqual([]);
      expect(output).not.toContain('PRIVATE KEY');
    } finally {
      load.stop();
      renew.remove();
    }
    expect(await load.failures, `${load.count()} HTTPS requests during the renewal`).toEqual([]);
    expect(load.count()).toBeGreaterThan(0);
    const after = await tlsHandshake(VIP, 443, SITE, { ca });
    expect(after.authorized).toBe(true);
    expect(after.fingerprint).not.toBe(before);
    for (const lb of ['lb-01', 'lb-02']) {
      expect((await tlsHandshake(LAB_ADDRESSES[lb]!, STATS_PORT, SITE, { ca })).fingerprint, lb).toBe(after.fingerprint);
    }
    expect(await Promise.all(['lb-01', 'lb-02'].map(haproxyMaster))).toEqual(masters);
    // The renewed certificate is kept: the usual window changes nothing.
    const again = await apply(LB_ONLY, variant.file);
    for (const [name, host] of Object.entries(again.result.hosts)) expect(host.changed, name).toBe(0);
  }, APPLY_TIMEOUT);
});

describe('HTTPS on the VIP (tls_mode files)', () => {
  // The user's own PEM files, in the project (here: a CA and certificate made for the test).
  const own = path.join(packageRoot, '.scaleup', 'test-tls-files');
  const rel = (file: string) => path.relative(packageRoot, file);
  let files: Awaited<ReturnType<typeof ensureSelfSigned>>;
  const variantWith = (keyFile: string) => inventoryVariant('tls-files', (doc) => {
    doc.setIn(['vars', 'tls_mode'], 'files');
    doc.setIn(['vars', 'tls_domains'], [SITE]);
    doc.setIn(['vars', 'tls_cert_file'], rel(files.cert));
    doc.setIn(['vars', 'tls_key_file'], keyFile);
  });

  beforeAll(async () => {
    files = await ensureSelfSigned(own, [SITE], 30);
  });

  afterAll(async () => {
    await backToPlainHttp();
    rmSync(own, { recursive: true, force: true });
  }, APPLY_TIMEOUT);

  it('a key that is not the certificate\'s is refused before any host is touched, at its inventory line', async () => {
    const wrong = variantWith(rel(files.caKey));
    try {
      const run = await provision(['apply', '-i', wrong.file, '--yes', ...LB_ONLY]);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/inventory\/\.test-tls-files\.yml:\d+:\d+: .*'tls_key_file' '.*ca\.key' does not match the certificate/);
      expect(run.stdout + run.stderr).not.toContain('PRIVATE KEY');
      // Nothing reached the hosts: HAProxy still serves plain HTTP only.
      expect((await onHost('lb-01', 'grep -c "ssl crt" /etc/haproxy/haproxy.cfg || true')).stdout.trim()).toBe('0');
    } finally {
      wrong.remove();
    }
  });

  it('the user\'s files converge on both load balancers, verify with their CA, and a second run changes nothing', async () => {
    const good = variantWith(rel(files.key));
    try {
      const run = await apply(LB_ONLY, good.file);
      expect(run.code, run.stderr).toBe(0);
      const served = await tlsHandshake(VIP, 443, SITE, { ca: readFileSync(files.caCert, 'utf8') });
      expect(served).toMatchObject({ authorized: true, fingerprint: new X509Certificate(readFileSync(files.cert)).fingerprint256 });
      const verify = await provision(['verify', '-i', good.file, '--json', '--tls-ca-file', files.caCert]);
      const report = JSON.parse(verify.stdout) as { checks: { name: string; ok: boolean }[] };
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      const again = await apply(LB_ONLY, good.file);
      for (const [name, host] of Object.entries(again.result.hosts)) expect(host.changed, name).toBe(0);
    } finally {
      good.remove();
    }
  }, APPLY_TIMEOUT);
});
