// TLS on the VIP, the parts that need no host: the certificate checks, the self-signed CA kept in the
// project (made once, made again only when it must be), the refusals before connecting (located at
// the inventory line), and what the haproxy and firewall roles write when tls_mode is set.
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import firewall from '../../roles/firewall/index.ts';
import haproxy from '../../roles/haproxy/index.ts';
import { ensureSelfSigned, selfSignedFiles } from '../../roles/haproxy/self-signed.ts';
import { certificateProblems, daysLeft, renewalReason } from '../../roles/haproxy/tls-certificate.ts';
import { filesMaterial, TLS_PEM_PATH } from '../../roles/haproxy/tls.ts';
import { InventoryError, InventoryErrors } from '../../src/core/errors.ts';
import { readInventory } from '../../src/core/inventory.ts';
import type { Inventory } from '../../src/core/model.ts';
import { preflight } from '../../src/core/preflight.ts';
import type { Role } from '../../src/core/role.ts';
import { labInventory, roleOn, stepNamed, written } from './roles-fixtures.ts';

const OPENSSL_TIMEOUT = 60_000;
const root = mkdtempSync(path.join(os.tmpdir(), 'scaleup-tls-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const read = (file: string) => readFileSync(file, 'utf8');
const DAY = 24 * 60 * 60 * 1000;

describe('the self-signed CA kept in the project', () => {
  let first: Awaited<ReturnType<typeof ensureSelfSigned>>;
  beforeAll(async () => {
    first = await ensureSelfSigned(root, ['shop.example.test', 'www.shop.example.test'], 30);
  }, OPENSSL_TIMEOUT);

  it('makes a CA and a certificate for every name, signed by it, keys private in a private folder', () => {
    expect(first.made).toEqual(['CA', 'site certificate']);
    expect(first.dir).toBe(path.join(root, '.scaleup', 'tls', 'shop.example.test'));
    const site = new X509Certificate(read(first.cert));
    const ca = new X509Certificate(read(first.caCert));
    expect(site.verify(ca.publicKey)).toBe(true);
    expect(site.checkHost('www.shop.example.test')).toBe('www.shop.example.test');
    expect(ca.ca).toBe(true);
    expect(site.ca).toBe(false);
    expect(statSync(first.dir).mode & 0o777).toBe(0o700);
    expect(statSync(first.key).mode & 0o777).toBe(0o600);
    expect(statSync(first.caKey).mode & 0o777).toBe(0o600);
  });

  it('a second run makes nothing and keeps the same bytes', async () => {
    const before = read(first.cert) + read(first.key);
    const again = await ensureSelfSigned(root, ['shop.example.test', 'www.shop.example.test'], 30);
    expect(again.made).toEqual([]);
    expect(read(again.cert) + read(again.key)).toBe(before);
  }, OPENSSL_TIMEOUT);

  it('a name the certificate does not cover makes a new certificate from the same CA', async () => {
    const ca = read(first.caCert);
    const wider = await ensureSelfSigned(root, ['shop.example.test', 'api.shop.example.test'], 30);
    expect(wider.made).toEqual(['site certificate']);
    expect(read(wider.caCert)).toBe(ca);
    expect(new X509Certificate(read(wider.cert)).checkHost('api.shop.example.test')).toBe('api.shop.example.test');
  }, OPENSSL_TIMEOUT);

  it('a certificate expiring within tls_renew_before_days is made again', async () => {
    const renewed = await ensureSelfSigned(root, ['shop.example.test', 'api.shop.example.test'], 400);
    expect(renewed.made).toEqual(['site certificate']);
  }, OPENSSL_TIMEOUT);

  it('a missing key is made again', async () => {
    rmSync(selfSignedFiles(root, 'shop.example.test').key);
    const remade = await ensureSelfSigned(root, ['shop.example.test'], 30);
    expect(remade.made).toEqual(['site certificate']);
  }, OPENSSL_TIMEOUT);
});

describe('certificate checks', () => {
  let site: { cert: string; key: string; caKey: string };
  beforeAll(async () => {
    const files = await ensureSelfSigned(path.join(root, 'checks'), ['checks.example.test'], 30);
    site = { cert: read(files.cert), key: read(files.key), caKey: read(files.caKey) };
    // A day after it was made: its validity starts at the second it was made.
    now = new Date(Date.now() + DAY);
  }, OPENSSL_TIMEOUT);
  let now: Date;

  it('a certificate, its key and a name it covers pass', () => {
    expect(certificateProblems({ certPem: site.cert, keyPem: site.key, domains: ['checks.example.test'], now })).toEqual([]);
    expect(renewalReason(site.cert, ['checks.example.test'], 30, now)).toBeUndefined();
  });

  it('a key that is not the certificate\'s is refused, without showing it', () => {
    const problems = certificateProblems({ certPem: site.cert, keyPem: site.caKey, domains: ['checks.example.test'], now });
    expect(problems).toEqual([{ field: 'key', problem: 'does not match the certificate (subject CN=checks.example.test)' }]);
    expect(JSON.stringify(problems)).not.toContain('PRIVATE KEY');
  });

  it('a name it does not cover, an expired certificate, bad PEM', () => {
    expect(certificateProblems({ certPem: site.cert, keyPem: site.key, domains: ['other.example.test'], now }))
      .toEqual([{ field: 'cert', problem: 'does not cover other.example.test (it covers DNS:checks.example.test)' }]);
    const later = new Date(Date.now() + 400 * DAY);
    expect(certificateProblems({ certPem: site.cert, keyPem: site.key, domains: ['checks.example.test'], now: later })[0]!.problem).toMatch(/^expired on /);
    expect(certificateProblems({ certPem: 'hello', keyPem: site.key, domains: [], now })).toEqual([{ field: 'cert', problem: 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)' }]);
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(certificateProblems({ certPem: broken, keyPem: site.key, domains: [], now })[0]!.problem).toBe('certificate 1 of the file is not a valid PEM certificate');
    expect(certificateProblems({ certPem: site.cert, keyPem: 'nope', domains: [], now })).toEqual([{ field: 'key', problem: 'holds no PEM private key (-----BEGIN … PRIVATE KEY-----)' }]);
  });

  it('days to expiry and the renewal window', () => {
    expect(daysLeft(new X509Certificate(site.cert), now)).toBeGreaterThanOrEqual(394);
    expect(renewalReason(site.cert, ['checks.example.test'], 500, now)).toMatch(/^it expires in 39\d day\(s\), within tls_renew_before_days \(500\)$/);
    expect(renewalReason(site.cert, ['x.example.test'], 30, now)).toBe('it does not cover x.example.test');
  });
});

describe('files mode is refused before connecting, at the line that sets the variable', () => {
  let project: string;
  beforeAll(async () => {
    project = path.join(root, 'project');
    const good = await ensureSelfSigned(path.join(root, 'good'), ['site.example.test'], 30);
    const other = await ensureSelfSigned(path.join(root, 'other'), ['site.example.test'], 30);
    rmSync(path.join(project, 'tls'), { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(path.join(project, 'tls'), { recursive: true });
    writeFileSync(path.join(project, 'tls', 'site.crt'), read(good.cert));
    writeFileSync(path.join(project, 'tls', 'site.key'), read(good.key), { mode: 0o600 });
    writeFileSync(path.join(project, 'tls', 'other.key'), read(other.key), { mode: 0o600 });
    writeFileSync(path.join(project, 'tls', 'open.key'), read(good.key));
    chmodSync(path.join(project, 'tls', 'open.key'), 0o644);
  }, OPENSSL_TIMEOUT);

  function refusals(vars: string): string[] {
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
    const inventory: Inventory = readInventory(file);
    const hosts = ['lb-01', 'lb-02'].map((n) => inventory.hosts.get(n)!);
    try {
      preflight(inventory, [{ name: 'lb', hosts, roles: [haproxy as unknown as Role] }], { projectRoot: project });
      return [];
    } catch (err) {
      if (err instanceof InventoryErrors) return err.errors.map((e) => e.message.replace(`${file}`, 'inventory.yml').replace(path.relative(process.cwd(), file), 'inventory.yml'));
      if (err instanceof InventoryError) return [err.message.replace(`${file}`, 'inventory.yml').replace(path.relative(process.cwd(), file), 'inventory.yml')];
      throw err;
    }
  }

  it('good files pass', () => {
    expect(refusals('tls_mode: files\ntls_domains: [site.example.test]\ntls_cert_file: tls/site.crt\ntls_key_file: tls/site.key')).toEqual([]);
  });

  it('a key that is not the certificate\'s: tls_key_file, its line and column, once for the pair', () => {
    const said = refusals('tls_mode: files\ntls_domains: [site.example.test]\ntls_cert_file: tls/site.crt\ntls_key_file: tls/other.key');
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^inventory\.yml:10:21: .*tls_key_file.*'tls\/other\.key' does not match the certificate/);
    expect(said[0]).not.toContain('PRIVATE KEY');
  });

  it('a missing file, a name not covered, a readable key, no domains', () => {
    expect(refusals('tls_mode: files\ntls_domains: [site.example.test]\ntls_cert_file: tls/none.crt\ntls_key_file: tls/site.key')[0])
      .toMatch(/^inventory\.yml:9:22: .*tls_cert_file.*'tls\/none\.crt': no such file/);
    expect(refusals('tls_mode: files\ntls_domains: [shop.example.test]\ntls_cert_file: tls/site.crt\ntls_key_file: tls/site.key')[0])
      .toMatch(/^inventory\.yml:9:22: .*tls_cert_file.*does not cover shop\.example\.test/);
    expect(refusals('tls_mode: files\ntls_domains: [site.example.test]\ntls_cert_file: tls/site.crt\ntls_key_file: tls/open.key')[0])
      .toMatch(/^inventory\.yml:10:21: .*tls_key_file.*chmod 600/);
    expect(refusals('tls_mode: self-signed')[0]).toMatch(/^inventory\.yml:7:17: .*'tls_mode' is 'self-signed' but tls_domains is empty/);
    expect(refusals('tls_mode: self-signed\ntls_domains: ["bad name"]')[0]).toMatch(/tls_domains.*entry 1 'bad name' is not a DNS name/);
    expect(refusals('tls_mode: acmee\ntls_domains: [site.example.test]')[0]).toMatch(/^inventory\.yml:7:17: .*tls_mode.*must be "off", "files", "self-signed" or "acme"/);
  });

  it('both load balancers must serve the same certificate', () => {
    const file = path.join(project, 'pair.yml');
    writeFileSync(file, [
      'vars:',
      '  vip: 10.77.0.100',
      '  haproxy_stats_password: s3cret-stats',
      'groups:',
      '  lb:',
      '    hosts:',
      '      lb-01: { address: 10.77.0.11, vars: { tls_mode: self-signed, tls_domains: [site.example.test] } }',
      '      lb-02: { address: 10.77.0.12 }',
      '  web:',
      '    hosts:',
      '      web-01: { address: 10.77.0.21 }',
      '',
    ].join('\n'));
    const inventory = readInventory(file);
    const hosts = ['lb-01', 'lb-02'].map((n) => inventory.hosts.get(n)!);
    expect(() => preflight(inventory, [{ name: 'lb', hosts, roles: [haproxy as unknown as Role] }], { projectRoot: project }))
      .toThrow(/lb-02.*'tls_mode' \(with tls_domains, tls_cert_file, tls_key_file, acme_directory_url\) differs from lb-01's: both load balancers must serve the same certificate/);
  });

  it('the key may come from the vault (tls_key) instead of a file', () => {
    const material = filesMaterial(project, 'tls/site.crt', '', read(path.join(project, 'tls', 'site.key')));
    expect(material.pem.reveal()).toBe(read(path.join(project, 'tls', 'site.crt')) + read(path.join(project, 'tls', 'site.key')));
    expect(String(material.pem)).not.toContain('PRIVATE KEY');
  });
});

describe('what the roles write with tls_mode set', () => {
  const tlsLab = (extra: Record<string, unknown> = {}) => labInventory({ all: { tls_mode: 'self-signed', tls_domains: ['lab.scaleup.test'], ...extra } as never });

  it('haproxy.cfg: HTTPS on the VIP with ALPN, Mozilla intermediate, redirect, HSTS, stats over TLS', async () => {
    const { content } = await written(roleOn(haproxy, tlsLab(), 'lb-01'), '/etc/haproxy/haproxy.cfg');
    expect(content).toContain(`    bind 10.77.0.100:80\n    bind 10.77.0.100:443 ssl crt ${TLS_PEM_PATH} alpn h2,http/1.1\n`);
    expect(content).toContain('    ssl-default-bind-options prefer-client-ciphers ssl-min-ver TLSv1.2 no-tls-tickets\n');
    expect(content).toContain('    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256\n');
    expect(content).toContain('    http-request redirect scheme https code 301 if !{ ssl_fc } !acme_challenge\n');
    expect(content).toContain('    acl acme_challenge path_beg /.well-known/acme-challenge/\n');
    expect(content).toContain('    http-request set-header X-Forwarded-Proto https if { ssl_fc }\n');
    expect(content).toContain('    http-response set-header Strict-Transport-Security "max-age=31536000" if { ssl_fc }\n');
    expect(content).toContain(`    bind 10.77.0.11:8404 ssl crt ${TLS_PEM_PATH}\n`);
    expect(content).toContain('backend acme_challenge\n');
  });

  it('tls_hsts_max_age 0 sends no header; another port redirects to it', async () => {
    const { content } = await written(roleOn(haproxy, tlsLab({ tls_hsts_max_age: 0, haproxy_tls_port: 8443 }), 'lb-01'), '/etc/haproxy/haproxy.cfg');
    expect(content).not.toContain('Strict-Transport-Security');
    expect(content).toContain('https://%[req.hdr(host),field(1,:)]:8443%[capture.req.uri] code 301');
  });

  it('tls_mode off writes no TLS at all', async () => {
    const { content } = await written(roleOn(haproxy, labInventory(), 'lb-01'), '/etc/haproxy/haproxy.cfg');
    expect(content).not.toMatch(/ssl|443|acme|Strict-Transport/);
    expect(roleOn(haproxy, labInventory(), 'lb-01').steps.map((s) => s.name)).not.toContain(`file ${TLS_PEM_PATH}`);
  });

  it('the PEM: root:haproxy 0640, validated by haproxy -c before it goes live, reloads, never shown', async () => {
    const material = filesMaterial(path.join(root, 'project'), 'tls/site.crt', 'tls/site.key', undefined);
    const run = roleOn(haproxy, tlsLab(), 'lb-01', { prepared: material });
    const step = stepNamed(run, `file ${TLS_PEM_PATH}`);
    expect(step.notify).toEqual(['reload haproxy']);
    const { content, script } = await written(run, TLS_PEM_PATH);
    expect(content).toBe(material.pem.reveal());
    expect(script).toContain('haproxy -c -q -f "$c"');
    expect(script).toContain(' ssl crt ""$PWD/$tmp"');
    expect(script).not.toContain('PRIVATE KEY');
    const diff = await step.decide({ stdout: 'exists=0\n', exitCode: 0 }, { ...run.ctx, diff: true });
    expect(JSON.stringify(diff)).not.toContain('PRIVATE KEY');
    const names = run.steps.map((s) => s.name);
    expect(names.indexOf(`file ${TLS_PEM_PATH}`)).toBeLessThan(names.indexOf('template /etc/haproxy/haproxy.cfg'));
  });

  it('the firewall opens the HTTPS port on the load balancers only when TLS is on', async () => {
    const on = (await written(roleOn(firewall, tlsLab(), 'lb-01'), '/etc/nftables.conf')).content;
    expect(on).toContain('tcp dport 443 accept comment "https on the VIP from anyone"');
    const off = (await written(roleOn(firewall, labInventory(), 'lb-01'), '/etc/nftables.conf')).content;
    expect(off).not.toContain('443');
  });
});
