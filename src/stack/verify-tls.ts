// HTTPS on the VIP as a client sees it (tls_mode files, self-signed or acme): the chain verifies for the
// site's name, how long it has left, plain HTTP redirects to https://, HSTS as configured, and both
// load balancers serve the same certificate. Read-only, like the rest of verify.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Connection } from '../core/connection/connection.ts';
import type { Host } from '../core/model.ts';
import { quote } from '../core/quote.ts';
import { displayPath } from '../core/yaml-source.ts';
import { selfSignedFiles } from '../../roles/haproxy/self-signed.ts';
import { parseCertificates } from '../../roles/haproxy/tls-certificate.ts';

const TIMEOUT_MS = 5000;

/** What verify needs to know of the site's TLS, from the lb hosts' variables. */
export interface SiteTls {
  mode: 'files' | 'self-signed' | 'acme';
  /** The site's name (tls_domains[0]): the SNI sent and the name the chain must verify for. */
  domain: string;
  vip: string;
  httpPort: number;
  httpsPort: number;
  hstsMaxAge: number;
  renewBeforeDays: number;
  /** PEM of the CA to trust the site with (self-signed); undefined = the system's CAs. */
  ca?: string;
  /** The file `ca` was read from when a person named it. */
  caFile?: string;
}

/**
 * The site's TLS from an lb's variables; `caFile` (verify --tls-ca-file) is trusted instead of the
 * system's CAs, for files mode with a certificate from a private CA.
 */
export function siteTls(vars: Record<string, unknown>, projectRoot: string, caFile?: string): SiteTls | undefined {
  const mode = vars.tls_mode;
  if (mode !== 'files' && mode !== 'self-signed' && mode !== 'acme') return undefined;
  const domain = String((vars.tls_domains as string[] | undefined)?.[0] ?? '');
  let ca: string | undefined;
  if (caFile) {
    ca = readFileSync(caFile, 'utf8');
  } else if (mode === 'self-signed') {
    try {
      ca = readFileSync(selfSignedFiles(projectRoot, domain).caCert, 'utf8');
    } catch {
      ca = undefined; // Reported by the chain check: it will not verify against the system's CAs.
    }
  }
  return {
    mode, domain, ca, caFile,
    vip: String(vars.vip),
    httpPort: Number(vars.haproxy_frontend_port),
    httpsPort: Number(vars.haproxy_tls_port),
    hstsMaxAge: Number(vars.tls_hsts_max_age),
    renewBeforeDays: Number(vars.tls_renew_before_days),
  };
}

export interface TlsHandshake {
  authorized: boolean;
  /** Why the chain did not verify (Node's code, e.g. ERR_TLS_CERT_ALTNAME_INVALID). */
  error?: string;
  fingerprint?: string;
  validTo?: string;
  protocol?: string;
  alpn?: string;
}

/**
 * A TLS handshake with `address:port` asking for `servername`, verified against `ca` (or the
 * system's CAs). Never throws: a connection that fails is `authorized: false` with the reason.
 */
export function tlsHandshake(address: string, port: number, servername: string, options: { ca?: string; minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion; ciphers?: string } = {}): Promise<TlsHandshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: address, port, servername, ca: options.ca, ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false,
      minVersion: options.minVersion, maxVersion: options.maxVersion, ciphers: options.ciphers, timeout: TIMEOUT_MS,
    });
    const done = (result: TlsHandshake) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => {
      const peer = socket.getPeerX509Certificate();
      // rejectUnauthorized is off to read the certificate either way; the name is checked here.
      const nameError = peer && !peer.checkHost(servername) ? `the certificate does not cover ${servername}` : undefined;
      const error = socket.authorizationError ? String(socket.authorizationError) : nameError;
      done({
        authorized: !error, error, fingerprint: peer?.fingerprint256, validTo: peer?.validTo,
        protocol: socket.getProtocol() ?? undefined, alpn: socket.alpnProtocol || undefined,
      });
    });
    socket.once('timeout', () => done({ authorized: false, error: `no TLS answer within ${TIMEOUT_MS / 1000} s` }));
    socket.once('error', (err) => done({ authorized: false, error: err.message }));
  });
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  error?: string;
}

/**
 * GET `path` from `address:port` with `Host: servername`, over HTTPS (verified with `ca`) or plain
 * HTTP; redirects are not followed. Never throws.
 */
export function getFrom(scheme: 'http' | 'https', address: string, port: number, servername: string, path: string, ca?: string): Promise<Answer> {
  return new Promise((resolve) => {
    const request = (scheme === 'https' ? https : http).request({
      host: address, port, path, method: 'GET', headers: { host: servername }, timeout: TIMEOUT_MS,
      ...(scheme === 'https' ? { servername, ca, agent: false } : { agent: false }),
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c.length + body.length > 1_000_000 ? '' : c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', (err) => resolve({ status: 0, headers: {}, body: '', error: err.message }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    request.on('error', (err) => resolve({ status: 0, headers: {}, body: '', error: err.message }));
    request.end();
  });
}

/**
 * The SHA-256 fingerprint of the certificate a load balancer's HAProxy serves, asked on the lb itself
 * from its stats listener (on its private address, with the site's PEM): the frontend on the VIP only
 * answers on the VIP holder. curl prints the chain (`%{certs}`); the leaf is parsed here.
 */
export async function servedFingerprint(conn: Connection, lb: Host, statsPort: number): Promise<{ fingerprint?: string; error?: string }> {
  const url = `https://${lb.privateAddress}:${statsPort}/`;
  // -k: the stats listener is reached by address, which the site's certificate does not name; only its
  // fingerprint is read, and the connection stays on the host.
  const r = await conn.exec(`curl -sk -o /dev/null -m 5 -w '%{certs}' ${quote(url)}`);
  try {
    return { fingerprint: parseCertificates(r.stdout)[0]!.fingerprint256 };
  } catch {
    return { error: `no certificate from ${url} (curl exit ${r.exitCode})` };
  }
}

/** Whole days left of a certificate's validity, from its `validTo` (negative once expired). */
export function daysUntil(validTo: string, now = new Date()): number {
  return Math.floor((Date.parse(validTo) - now.getTime()) / (24 * 60 * 60 * 1000));
}

export type AddCheck = (name: string, ok: boolean, detail: string) => void;

/** The HTTPS checks of `provision verify` for a site served over TLS. */
export async function verifySiteTls(site: SiteTls, lbs: Host[], conns: Map<string, Connection>, statsPortOf: (lb: Host) => number, add: AddCheck): Promise<void> {
  const trust = site.caFile ? displayPath(site.caFile) : site.mode === 'self-signed' ? "the project's self-signed CA" : "the system's CAs";
  const vip = await tlsHandshake(site.vip, site.httpsPort, site.domain, { ca: site.ca });
  add(`HTTPS on the VIP: the certificate verifies for ${site.domain} (with ${trust})`, vip.authorized,
    vip.authorized ? `${vip.protocol ?? '?'}, ALPN ${vip.alpn ?? 'none'}, SHA-256 ${vip.fingerprint}` : vip.error ?? 'no certificate');
  if (vip.validTo) {
    const days = daysUntil(vip.validTo);
    add('HTTPS on the VIP: the certificate has not expired', days >= 0,
      `${days} day(s) left (until ${vip.validTo})${days < site.renewBeforeDays ? `: within tls_renew_before_days (${site.renewBeforeDays}), renew it` : ''}`);
  }
  const plain = await getFrom('http', site.vip, site.httpPort, site.domain, '/');
  const location = String(plain.headers.location ?? '');
  add(`HTTP on the VIP answers 301 to https://${site.domain}/`, plain.status === 301 && location.startsWith(`https://${site.domain}`),
    plain.status ? `${plain.status}${location ? ` → ${location}` : ''}` : plain.error ?? 'no answer');
  const secure = await getFrom('https', site.vip, site.httpsPort, site.domain, '/', site.ca);
  const hsts = secure.headers['strict-transport-security'];
  const wanted = site.hstsMaxAge > 0 ? `max-age=${site.hstsMaxAge}` : undefined;
  add(wanted ? `HTTPS answers carry HSTS (${wanted})` : 'HTTPS answers carry no HSTS (tls_hsts_max_age 0)', secure.status > 0 && hsts === wanted,
    secure.status ? `status ${secure.status}, Strict-Transport-Security: ${hsts ?? '(none)'}` : secure.error ?? 'no answer');
  const served = await Promise.all(lbs.map(async (lb) => ({ lb, ...(await servedFingerprint(conns.get(lb.name)!, lb, statsPortOf(lb))) })));
  const fingerprints = new Set(served.map((s) => s.fingerprint ?? `error: ${s.error}`));
  if (vip.fingerprint) fingerprints.add(vip.fingerprint);
  add('every load balancer serves the same certificate as the VIP', fingerprints.size === 1 && served.every((s) => s.fingerprint),
    served.map((s) => `${s.lb.name} (${s.lb.privateAddress}) ${s.fingerprint ? s.fingerprint.slice(0, 23) + '…' : s.error}`).join(', '));
}
