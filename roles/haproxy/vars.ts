// The haproxy role's variables, the quoting HAProxy's config needs, and the checks before connecting.
import { existsSync, readFileSync } from 'node:fs';
import { type Host, type Inventory, type ValidateContext, type VariableFault, vars, z } from 'scaleup';
import { ipv4ToNumber } from '../lib/net.ts';
import { secretText } from '../lib/secret-value.ts';
import { accountThumbprint } from './acme.ts';
import { certificateProblems, parseCertificates, parsePrivateKey } from './tls-certificate.ts';
import { projectFile, readKey } from './tls.ts';
import { groupHosts, varsFor } from '../lib/vars.ts';
import { sharedVars } from '../shared-vars.ts';

export const haproxyVariables = z.object({
  ...sharedVars('vip', 'web_group', 'nginx_port', 'haproxy_ready_port'),
  haproxy_frontend_port: vars.port(80, 'Port of the public frontend on the VIP.'),
  haproxy_balance: vars.text('roundrobin', 'Load-balancing algorithm of the web backend (roundrobin, leastconn, source…).'),
  haproxy_maxconn: vars.count(4096, 'Global maximum of concurrent connections.'),
  haproxy_timeout_connect: vars.text('5s', 'Time to wait for a TCP connection to a web host.'),
  haproxy_timeout_client: vars.text('30s', 'Client inactivity timeout.'),
  haproxy_timeout_server: vars.text('30s', 'Server inactivity timeout.'),
  haproxy_check_interval: vars.text('2s', 'Interval between health checks of each web host (GET /healthz).'),
  haproxy_check_fall: vars.count(2, 'Failed checks before a web host is taken out of rotation.'),
  haproxy_check_rise: vars.count(2, 'Passed checks before it is put back.'),
  haproxy_stats_port: vars.port(8404, "Port of the stats page, bound to the host's private address (never the VIP)."),
  haproxy_stats_user: vars.text('admin', 'User name of the stats page.'),
  haproxy_stats_password: vars.secret('Password of the stats page (secret).'),
  tls_mode: z.enum(['off', 'files', 'self-signed', 'acme']).default('off')
    .describe('HTTPS on the VIP: off (plain HTTP only), files (your certificate and key), self-signed (a private CA scaleup makes and keeps in .scaleup/tls/), acme (a certificate from an ACME server, e.g. Let\'s Encrypt).'),
  tls_domains: vars.list([], 'Names the certificate covers; the first is the site name. Required unless tls_mode is off.'),
  tls_cert_file: vars.text('', 'files mode: PEM certificate (leaf first, then its chain) on the control node, relative to the project root.'),
  tls_key_file: vars.text('', 'files mode: PEM private key file on the control node (mode 0600), relative to the project root; or set tls_key instead.'),
  tls_key: vars.secret('files mode: the private key as PEM text, from the vault (instead of tls_key_file).'),
  tls_renew_before_days: vars.count(30, 'self-signed and acme modes: make (or issue) the certificate again when it expires within this many days.'),
  tls_hsts_max_age: vars.count(31536000, 'Seconds of Strict-Transport-Security sent with HTTPS answers; 0 = no header.', 0),
  acme_directory_url: vars.text('', "acme mode: the ACME server's directory URL (https://), e.g. Let's Encrypt's."),
  acme_email: vars.text('', "acme mode: the ACME account's contact email."),
  acme_ca_file: vars.text('', "acme mode: PEM bundle to trust the ACME server's HTTPS with (a private ACME server), relative to the project root; empty = the system's CAs."),
  acme_account_key: vars.secret('acme mode: the ACME account key as PEM text, from the vault (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256).'),
  haproxy_tls_port: vars.port(443, 'Port of the HTTPS frontend on the VIP (when tls_mode is not off).'),
});

export type HaproxyVars = z.output<typeof haproxyVariables>;
export const haproxyDefaults: HaproxyVars = haproxyVariables.parse({});

/**
 * One word for haproxy.cfg: single-quoted (no escapes, no `$VAR` expansion inside), with a single
 * quote written as `'\''`, since HAProxy concatenates quoted and escaped parts of a word like sh.
 */
export function haproxyQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const TIME = /^[0-9]+(us|ms|s|m|h|d)?$/;

/** A DNS name, or a wildcard one (`*.example.com`), as a certificate's subjectAltName holds it. */
const DNS_NAME = /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** The TLS variables of one host, checked; files mode reads the certificate and key it names. */
function tlsFaults(host: Host, v: HaproxyVars, ctx: ValidateContext, now: Date): VariableFault[] {
  const fault = (variable: string, problem: string): VariableFault => ({ host: host.name, variable, problem });
  if (v.tls_mode === 'off') return [];
  const faults: VariableFault[] = [];
  const domains = v.tls_domains;
  // Pointed at tls_mode, which is set where the missing list is wanted.
  if (domains.length === 0) faults.push(fault('tls_mode', `is '${v.tls_mode}' but tls_domains is empty: give the site's name (its first entry)`));
  for (const [i, name] of domains.entries()) {
    if (!DNS_NAME.test(name) || name.length > 253) faults.push(fault('tls_domains', `entry ${i + 1} '${name}' is not a DNS name`));
  }
  if (v.haproxy_tls_port === v.haproxy_frontend_port || v.haproxy_tls_port === v.haproxy_stats_port || v.haproxy_tls_port === v.haproxy_ready_port) {
    faults.push(fault('haproxy_tls_port', 'must differ from haproxy_frontend_port, haproxy_stats_port and haproxy_ready_port'));
  }
  if (v.tls_mode === 'acme' && !faults.length) return acmeFaults(v, ctx, fault);
  if (v.tls_mode !== 'files' || faults.length) return faults;

  const keyVariable = secretText(v.tls_key) ? 'tls_key' : 'tls_key_file';
  if (!v.tls_cert_file) faults.push(fault('tls_cert_file', "is not set: tls_mode 'files' needs the certificate's PEM file"));
  if (!v.tls_key_file && !secretText(v.tls_key)) faults.push(fault('tls_key_file', "is not set: tls_mode 'files' needs the private key (tls_key_file, or tls_key in the vault)"));
  if (v.tls_key_file && secretText(v.tls_key)) faults.push(fault('tls_key', 'and tls_key_file are both set: give the key once'));
  if (faults.length) return faults;

  const certPath = projectFile(ctx.projectRoot, v.tls_cert_file);
  if (!existsSync(certPath)) return [fault('tls_cert_file', `'${v.tls_cert_file}': no such file (looked for ${certPath})`)];
  let certPem: string, keyPem: string;
  try {
    certPem = readFileSync(certPath, 'utf8');
  } catch (err) {
    return [fault('tls_cert_file', `'${v.tls_cert_file}' cannot be read: ${(err as Error).message}`)];
  }
  try {
    keyPem = readKey(ctx.projectRoot, v.tls_key_file, v.tls_key);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return [fault('tls_key_file', `'${v.tls_key_file}' ${e.code === 'ENOENT' ? `: no such file (looked for ${projectFile(ctx.projectRoot, v.tls_key_file)})` : e.message}`)];
  }
  return certificateProblems({ certPem, keyPem, domains, now }).map(({ field, problem }) =>
    field === 'cert' ? fault('tls_cert_file', `'${v.tls_cert_file}' ${problem}`) : fault(keyVariable, keyVariable === 'tls_key' ? problem : `'${v.tls_key_file}' ${problem}`));
}

/** acme mode: a server to ask, a contact, a CA file that exists, an account key that is one. */
function acmeFaults(v: HaproxyVars, ctx: ValidateContext, fault: (variable: string, problem: string) => VariableFault): VariableFault[] {
  const faults: VariableFault[] = [];
  for (const [i, name] of v.tls_domains.entries()) {
    if (name.startsWith('*.')) faults.push(fault('tls_domains', `entry ${i + 1} '${name}' is a wildcard: ACME issues it only with a DNS-01 challenge, and scaleup answers HTTP-01`));
  }
  if (!v.acme_directory_url) {
    faults.push(fault('acme_directory_url', "is not set: tls_mode 'acme' needs the ACME server's directory URL (https://…/directory)"));
  } else {
    let url: URL | undefined;
    try {
      url = new URL(v.acme_directory_url);
    } catch {
      faults.push(fault('acme_directory_url', `'${v.acme_directory_url}' is not a URL`));
    }
    if (url && url.protocol !== 'https:') faults.push(fault('acme_directory_url', `'${v.acme_directory_url}' must be an https:// URL (RFC 8555 §6.1)`));
  }
  if (!/^[^@\s:]+@[^@\s]+\.[^@\s]+$/.test(v.acme_email)) {
    faults.push(fault('acme_email', v.acme_email ? `'${v.acme_email}' is not an email address` : "is not set: tls_mode 'acme' needs the account's contact email"));
  }
  if (v.acme_ca_file) {
    const caPath = projectFile(ctx.projectRoot, v.acme_ca_file);
    if (!existsSync(caPath)) faults.push(fault('acme_ca_file', `'${v.acme_ca_file}': no such file (looked for ${caPath})`));
    else {
      try {
        parseCertificates(readFileSync(caPath, 'utf8'));
      } catch (err) {
        faults.push(fault('acme_ca_file', `'${v.acme_ca_file}' ${(err as Error).message}`));
      }
    }
  }
  const accountKey = secretText(v.acme_account_key);
  if (!accountKey) {
    faults.push(fault('acme_account_key', "is not set: tls_mode 'acme' needs the ACME account key in the vault (see the haproxy role's README)"));
  } else {
    try {
      parsePrivateKey(accountKey);
      accountThumbprint(accountKey);
    } catch (err) {
      faults.push(fault('acme_account_key', (err as Error).message));
    }
  }
  return faults;
}

/** Checks made before connecting. */
export function validateHaproxy(inventory: Inventory, hosts: Host[], ctx: ValidateContext, defaults: HaproxyVars = haproxyDefaults, now = new Date()): (string | VariableFault)[] {
  const problems: (string | VariableFault)[] = [];
  for (const host of hosts) {
    const v = varsFor(defaults, host);
    if (ipv4ToNumber(String(v.vip)) === null) problems.push(`${host.name}: vip '${v.vip}' is not an IPv4 address`);
    if (groupHosts(inventory, String(v.web_group)).length === 0) {
      problems.push(`${host.name}: group '${v.web_group}' has no hosts: HAProxy's backend would be empty`);
    }
    for (const key of ['haproxy_timeout_connect', 'haproxy_timeout_client', 'haproxy_timeout_server', 'haproxy_check_interval'] as const) {
      if (!TIME.test(String(v[key]))) problems.push(`${host.name}: ${key} '${v[key]}' is not an HAProxy time (e.g. 5s, 500ms)`);
    }
    if (!/^[A-Za-z0-9._-]+$/.test(String(v.haproxy_stats_user))) {
      problems.push(`${host.name}: haproxy_stats_user '${v.haproxy_stats_user}' must be letters, digits, . _ or -`);
    }
    for (const key of ['haproxy_frontend_port', 'haproxy_stats_port', 'haproxy_ready_port'] as const) {
      const port = v[key];
      if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`${host.name}: ${key} ${String(port)} is not a TCP port (1–65535)`);
    }
    if (v.haproxy_stats_port === v.haproxy_frontend_port) {
      problems.push(`${host.name}: haproxy_stats_port must differ from haproxy_frontend_port`);
    }
    if (v.haproxy_ready_port === v.haproxy_frontend_port || v.haproxy_ready_port === v.haproxy_stats_port) {
      problems.push(`${host.name}: haproxy_ready_port must differ from haproxy_frontend_port and haproxy_stats_port`);
    }
    problems.push(...tlsFaults(host, v, ctx, now));
  }
  // A failover must not change what clients see: the pair serves one certificate.
  const tlsOf = (host: Host) => {
    const v = varsFor(defaults, host);
    return JSON.stringify([v.tls_mode, v.tls_domains, v.tls_cert_file, v.tls_key_file, v.acme_directory_url]);
  };
  const first = hosts[0];
  for (const host of hosts.slice(1)) {
    if (tlsOf(host) !== tlsOf(first!)) {
      problems.push({ host: host.name, variable: 'tls_mode', problem: `(with tls_domains, tls_cert_file, tls_key_file, acme_directory_url) differs from ${first!.name}'s: both load balancers must serve the same certificate` });
    }
  }
  return [...new Set(problems)];
}
