// HTTPS on the VIP (issue 16), tls_mode self-signed: the lb pair converged from inventory/lab.yml with
// tls_mode self-signed for lab.scaleup.test, then checked from the control node as a client would:
//   - the chain verifies for the name with the project's CA (kept in .scaleup/tls/), connecting to the
//     VIP's address with that name as SNI;
//   - plain HTTP answers 301 to https://, HSTS is sent, TLS 1.1 is refused, h2 is negotiated by ALPN;
//   - both load balancers serve the same certificate (each one's stats listener, which uses the site's
//     PEM, is asked directly: only the VIP holder answers on the VIP);
//   - the stats page no longer answers plain HTTP;
//   - `provision verify` passes, and a second apply changes nothing (the CA and certificate are kept).
// Puts the lab back to tls_mode off (inventory/lab.yml) afterwards.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedFiles } from '../../roles/haproxy/self-signed.ts';
import { packageRoot } from '../../src/package-root.ts';
import { getFrom, tlsHandshake } from '../../src/stack/verify-tls.ts';
import { labInventory } from './lab-paths.ts';
import { apply, inventoryVariant, LAB_ADDRESSES, provision, VIP } from './support.ts';

const SITE = 'lab.scaleup.test';
const LB_ONLY = ['--limit', 'lb'];
const STATS_PORT = 8404;
const APPLY_TIMEOUT = 600_000;

const variant = inventoryVariant('tls', (doc) => {
  doc.setIn(['vars', 'tls_mode'], 'self-signed');
  doc.setIn(['vars', 'tls_domains'], [SITE]);
});
let ca = '';

describe('HTTPS on the VIP (tls_mode self-signed)', () => {
  beforeAll(async () => {
    const run = await apply(LB_ONLY, variant.file);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    ca = readFileSync(selfSignedFiles(packageRoot, SITE).caCert, 'utf8');
  }, APPLY_TIMEOUT);

  afterAll(async () => {
    variant.remove();
    const back = await apply(LB_ONLY, labInventory);
    expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
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
});
