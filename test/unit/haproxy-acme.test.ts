// tls_mode acme, the parts that need no host: the account key's thumbprint HAProxy answers challenges
// with, what haproxy.cfg says, the order of the steps, when the certificate on a host is replaced and
// from where (the cache, or an order), and the refusals before connecting.
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import haproxy from '../../roles/haproxy/index.ts';
import { accountThumbprint, acmeCacheFiles, AcmeSite, certificateBlocks, isSelfIssued, placeholderPem, replaceReason } from '../../roles/haproxy/acme.ts';
import { ensureSelfSigned } from '../../roles/haproxy/self-signed.ts';
import { TLS_PEM_PATH } from '../../roles/haproxy/tls.ts';
import { validateHaproxy } from '../../roles/haproxy/vars.ts';
import { InventoryError, InventoryErrors } from '../../src/core/errors.ts';
import { readInventory } from '../../src/core/inventory.ts';
import { preflight } from '../../src/core/preflight.ts';
import type { Role } from '../../src/core/role.ts';
import { Secret } from '../../src/core/secret.ts';
import { labInventory, roleOn, stepNamed, written } from './roles-fixtures.ts';

const OPENSSL_TIMEOUT = 60_000;
const SITE = 'lab.scaleup.test';
const root = mkdtempSync(path.join(os.tmpdir(), 'scaleup-acme-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const read = (file: string) => readFileSync(file, 'utf8');

const accountKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('the account key thumbprint (RFC 7638)', () => {
  it('is the RFC\'s own example for its RSA key', () => {
    const jwk = {
      kty: 'RSA', e: 'AQAB',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
    };
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    expect(accountThumbprint(pem)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('is what acme-client puts after the token in an HTTP-01 key authorization', async () => {
    const acme = (await import('acme-client')).default;
    const client = new acme.Client({ directoryUrl: 'https://127.0.0.1:9/dir', accountKey });
    const keyAuthorization = await client.getChallengeKeyAuthorization({ type: 'http-01', token: 'tok_EN-1', url: 'https://127.0.0.1:9/c', status: 'pending' });
    expect(keyAuthorization).toBe(`tok_EN-1.${accountThumbprint(accountKey)}`);
  });
});

describe('when the certificate on a host is replaced', () => {
  let caSigned = '';
  beforeAll(async () => {
    caSigned = read((await ensureSelfSigned(path.join(root, 'ca'), [SITE], 30)).cert);
  }, OPENSSL_TIMEOUT);

  it('none, the first run\'s placeholder, a name not covered, or the renewal window: replaced; a CA-signed one covering the site: kept', async () => {
    const placeholder = certificateBlocks((await placeholderPem([SITE])).reveal());
    expect(isSelfIssued(placeholder)).toBe(true);
    expect(new X509Certificate(placeholder).checkHost(SITE)).toBe(SITE);
    const now = new Date();
    expect(replaceReason(undefined, [SITE], 30, now)).toBe('no certificate yet');
    expect(replaceReason(placeholder, [SITE], 0, now)).toMatch(/placeholder/);
    expect(replaceReason(caSigned, ['other.scaleup.test'], 30, now)).toMatch(/does not cover other\.scaleup\.test/);
    expect(replaceReason(caSigned, [SITE], 400, now)).toMatch(/within tls_renew_before_days \(400\)/);
    expect(replaceReason(caSigned, [SITE], 30, now)).toBeUndefined();
  }, OPENSSL_TIMEOUT);

  it('only the certificate blocks of a PEM are read, never its key', () => {
    const pem = `${caSigned}\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`;
    expect(certificateBlocks(pem)).not.toContain('PRIVATE KEY');
    expect(certificateBlocks(pem)).toContain('-----BEGIN CERTIFICATE-----');
  });
});

describe('what the role does in acme mode', () => {
  const acmeLab = () => labInventory({
    all: { tls_mode: 'acme', tls_domains: [SITE], acme_directory_url: 'https://127.0.0.1:9/dir', acme_email: 'ops@scaleup.test', acme_account_key: new Secret(accountKey) } as never,
  });
  const settings = (projectRoot: string) => ({
    projectRoot, domains: [SITE], renewBeforeDays: 30, directoryUrl: 'https://127.0.0.1:9/dir', caFile: '', email: 'ops@scaleup.test',
    accountKey: new Secret(accountKey), vip: '127.0.0.1', httpPort: 9,
  });

  it('haproxy.cfg answers a base64url token with token.thumbprint on plain HTTP, anything else 404', async () => {
    const { content } = await written(roleOn(haproxy, acmeLab(), 'lb-01'), '/etc/haproxy/haproxy.cfg');
    expect(content).toContain("    acl acme_token path -m reg '^/[.]well-known/acme-challenge/[A-Za-z0-9_-]+$'\n");
    expect(content).toContain(`    http-request return status 200 content-type text/plain lf-string "%[path,field(-1,/)].${accountThumbprint(accountKey)}" if acme_token\n    http-request deny deny_status 404\n`);
    expect(content).toContain('    use_backend acme_challenge if acme_challenge !{ ssl_fc }\n');
    expect(content).not.toContain('PRIVATE KEY');
  });

  it('steps: placeholder before the config that loads it, the ACME certificate once the config is live', () => {
    const names = roleOn(haproxy, acmeLab(), 'lb-01').steps.map((s) => s.name);
    const at = (name: string) => names.indexOf(name);
    expect(at(`acme placeholder ${TLS_PEM_PATH}`)).toBeGreaterThan(-1);
    expect(at(`acme placeholder ${TLS_PEM_PATH}`)).toBeLessThan(at('template /etc/haproxy/haproxy.cfg'));
    expect(at('service haproxy')).toBeLessThan(at(`acme certificate ${TLS_PEM_PATH}`));
    expect(names).not.toContain(`file ${TLS_PEM_PATH}`);
  });

  it('a host with a good certificate needs nothing; one with the placeholder is issued one, or given the cached one', async () => {
    const project = path.join(root, 'decide');
    mkdirSync(project, { recursive: true });
    const site = new AcmeSite(settings(project), await placeholderPem([SITE]));
    const step = stepNamed(roleOn(haproxy, acmeLab(), 'lb-01', { prepared: site }), `acme certificate ${TLS_PEM_PATH}`);
    expect(step.notify).toEqual(['reload haproxy']);
    // The probe, run against a PEM like the host's (chain and key): only the certificate comes out.
    const pemFile = path.join(project, 'site.pem');
    writeFileSync(pemFile, site.placeholder.reveal(), { mode: 0o600 });
    const probed = execFileSync('sh', ['-c', step.probe({} as never).split(TLS_PEM_PATH).join(pemFile)], { encoding: 'utf8' });
    expect(probed).toContain('-----BEGIN CERTIFICATE-----');
    expect(probed).not.toContain('PRIVATE KEY');
    const ctx = roleOn(haproxy, acmeLab(), 'lb-01').ctx;
    const placeholder = certificateBlocks(site.placeholder.reveal());
    expect((await step.decide({ stdout: placeholder, exitCode: 0 }, ctx)).map((c) => c.summary)).toEqual([expect.stringMatching(/^issue a certificate for lab\.scaleup\.test \(.*placeholder/)]);
    expect((await step.decide({ stdout: '', exitCode: 0 }, ctx)).map((c) => c.summary)).toEqual(['issue a certificate for lab.scaleup.test (no certificate yet)']);

    // A certificate issued earlier (a CA-signed one stands in for it) is in the cache: installed, no order.
    const issued = await ensureSelfSigned(path.join(root, 'issued'), [SITE], 30);
    const cache = acmeCacheFiles(project, SITE);
    mkdirSync(cache.dir, { recursive: true, mode: 0o700 });
    writeFileSync(cache.cert, read(issued.cert));
    writeFileSync(cache.key, read(issued.key), { mode: 0o600 });
    expect((await step.decide({ stdout: placeholder, exitCode: 0 }, ctx)).map((c) => c.summary)).toEqual([expect.stringMatching(/^install the certificate issued earlier/)]);
    expect(await step.decide({ stdout: read(issued.cert), exitCode: 0 }, ctx)).toEqual([]);

    // Both load balancers are handed the same certificate; the ACME server (nothing listens there) is not asked.
    const [a, b] = await Promise.all([site.certificate(), site.certificate()]);
    expect(a).toBe(b);
    expect(a.issued).toBe(false);
    expect(a.pem.reveal()).toBe(read(issued.cert) + read(issued.key));
    expect(String(a.pem)).not.toContain('PRIVATE KEY');
  }, OPENSSL_TIMEOUT);
});

describe('an order that fails', () => {
  it('names the ACME server, keeps nothing in the cache, and both load balancers get the same failure', async () => {
    const project = path.join(root, 'unreachable');
    mkdirSync(project, { recursive: true });
    const site = new AcmeSite({
      projectRoot: project, domains: [SITE], renewBeforeDays: 30, directoryUrl: 'https://127.0.0.1:9/dir', caFile: '', email: 'ops@scaleup.test',
      accountKey: new Secret(accountKey), vip: '127.0.0.1', httpPort: 9,
    }, await placeholderPem([SITE]));
    const [a, b] = await Promise.allSettled([site.certificate(), site.certificate()]);
    expect(a.status).toBe('rejected');
    expect(b).toEqual(a);
    expect(String((a as PromiseRejectedResult).reason)).toMatch(/ACME server https:\/\/127\.0\.0\.1:9\/dir/);
    expect(String((a as PromiseRejectedResult).reason)).not.toContain('PRIVATE KEY');
    expect(site.cached()).toBeUndefined();
  }, OPENSSL_TIMEOUT);
});

describe('acme mode is refused before connecting, at the line that sets the variable', () => {
  const project = path.join(root, 'project');

  function refusals(vars: string): string[] {
    mkdirSync(project, { recursive: true });
    const file = path.join(project, 'inventory.yml');
    writeFileSync(file, [
      'vars:',
      '  vip: 10.77.0.100',
      '  haproxy_stats_password: s3cret-stats',
      'groups:',
      '  lb:',
      '    vars:',
      ...vars.trim().split('\n').map((l) => `      ${l}`),
      '    hosts:',
      '      lb-01: { address: 10.77.0.11 }',
      '      lb-02: { address: 10.77.0.12 }',
      '  web:',
      '    hosts:',
      '      web-01: { address: 10.77.0.21 }',
      '',
    ].join('\n'));
    const inventory = readInventory(file);
    const hosts = ['lb-01', 'lb-02'].map((n) => inventory.hosts.get(n)!);
    try {
      preflight(inventory, [{ name: 'lb', hosts, roles: [haproxy as unknown as Role] }], { projectRoot: project });
      return [];
    } catch (err) {
      const clean = (m: string) => m.replace(file, 'inventory.yml').replace(path.relative(process.cwd(), file), 'inventory.yml');
      if (err instanceof InventoryErrors) return err.errors.map((e) => clean(e.message));
      if (err instanceof InventoryError) return [clean(err.message)];
      throw err;
    }
  }
  const base = `tls_mode: acme\ntls_domains: [${SITE}]\nacme_email: ops@scaleup.test`;

  it('a complete acme setting passes (the key from the vault)', () => {
    const inventory = labInventory({ all: { tls_mode: 'acme', tls_domains: [SITE], acme_directory_url: 'https://acme.example.test/dir', acme_email: 'ops@scaleup.test', acme_account_key: new Secret(accountKey) } as never });
    const lbs = ['lb-01', 'lb-02'].map((n) => inventory.hosts.get(n)!);
    expect(validateHaproxy(inventory, lbs, { projectRoot: project })).toEqual([]);
  });

  it('no account key, an http:// directory, a missing CA file, a wildcard name, a bad contact', () => {
    const all = (vars: string) => refusals(vars).join('\n');
    expect(all(`${base}\nacme_directory_url: https://acme.example.test/dir`)).toMatch(/acme_account_key.*is not set: tls_mode 'acme' needs the ACME account key in the vault/);
    expect(all(`${base}\nacme_directory_url: http://acme.example.test/dir`)).toMatch(/^inventory\.yml:10:27: .*acme_directory_url.*must be an https:\/\/ URL/m);
    expect(all(`${base}\nacme_directory_url: https://acme.example.test/dir\nacme_ca_file: ca/none.pem`)).toMatch(/^inventory\.yml:11:21: .*acme_ca_file.*'ca\/none\.pem': no such file/m);
    expect(all(`tls_mode: acme\ntls_domains: ['*.scaleup.test']\nacme_email: ops@scaleup.test\nacme_directory_url: https://acme.example.test/dir`)).toMatch(/tls_domains.*wildcard.*DNS-01/);
    expect(all(`tls_mode: acme\ntls_domains: [${SITE}]\nacme_email: ops\nacme_directory_url: https://acme.example.test/dir`)).toMatch(/acme_email.*'ops' is not an email address/);
    const badKey = refusals(`${base}\nacme_directory_url: https://acme.example.test/dir\nacme_account_key: not-a-key`);
    expect(badKey.join('\n')).toMatch(/acme_account_key.*holds no PEM private key/);
  });
});
