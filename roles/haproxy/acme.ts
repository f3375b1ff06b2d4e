// `tls_mode: acme`: one certificate for the pair from an ACME server (RFC 8555), issued from the
// control node. HTTP-01 is answered statelessly by HAProxy on both load balancers: the answer to a
// challenge is `<token>.<thumbprint of the account key>` (RFC 8555 §8.1), so haproxy.cfg carries the
// thumbprint and echoes the token back; nothing is published per challenge, and whichever lb holds the
// VIP answers. The issued certificate is kept in `.scaleup/tls/<site>/acme/` (0700, key 0600), so the
// second lb installs the bytes the first one caused to be issued, and a later run reuses them.
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { issueCertificate, needsIssue, readPrivateFile, Secret, StepError } from 'scaleup';
import { openssl, selfSignedDir } from './self-signed.ts';
import { combinedPem, projectFile } from './tls.ts';

/** The characters of an ACME token (base64url, RFC 8555 §8.3): what haproxy.cfg accepts in the path. */
export const ACME_TOKEN_PATTERN = '^/[.]well-known/acme-challenge/[A-Za-z0-9_-]+$';

/**
 * The account key's JWK thumbprint (RFC 7638: SHA-256 of the required members in lexical order,
 * base64url), the second half of every HTTP-01 key authorization. Throws on a key that is not one.
 */
export function accountThumbprint(accountKeyPem: string): string {
  const jwk = createPublicKey(accountKeyPem).export({ format: 'jwk' });
  const members =
    jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
    : jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
    : undefined;
  if (!members) throw new Error(`an ACME account key must be EC or RSA (this one is ${String(jwk.kty)})`);
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/**
 * The certificate blocks of a PEM text (never its key): what a probe prints of the host's PEM file
 * and what a change may show.
 */
export function certificateBlocks(pem: string): string {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).join('\n');
}

/** Whether the leaf of `certPem` signed itself: the placeholder of a first run, never an ACME certificate. */
export function isSelfIssued(certPem: string): boolean {
  try {
    const leaf = new X509Certificate(certPem);
    return leaf.issuer === leaf.subject && leaf.verify(leaf.publicKey);
  } catch {
    return false;
  }
}

/** Why the certificate on a host must be replaced, in words, or undefined when it can stay. */
export function replaceReason(hostCertPem: string | undefined, domains: string[], renewBeforeDays: number, now: Date): string | undefined {
  // The placeholder first: it is valid a day only, but what matters is that it is not the site's.
  if (hostCertPem && isSelfIssued(hostCertPem)) return 'the host has the placeholder certificate of a first run';
  const reason = needsIssue(hostCertPem, domains, renewBeforeDays, now);
  if (reason) {
    switch (reason.reason) {
      case 'missing': return 'no certificate yet';
      case 'unreadable': return 'the certificate on the host cannot be read';
      case 'uncovered': return `the certificate does not cover ${reason.names.join(', ')}`;
      case 'expiring': return `the certificate expires in ${reason.daysLeft} day(s), within tls_renew_before_days (${renewBeforeDays})`;
    }
  }
  return undefined;
}

export interface AcmeSettings {
  projectRoot: string;
  domains: string[];
  renewBeforeDays: number;
  directoryUrl: string;
  /** Relative to the project root; empty = the system's CAs. */
  caFile: string;
  email: string;
  accountKey: Secret;
  /** Where the VIP answers plain HTTP: checked to serve a challenge before the server is asked to validate it. */
  vip: string;
  httpPort: number;
}

export interface AcmeCertificate {
  /** The chain (public), leaf first. */
  certPem: string;
  /** Chain and key, as HAProxy's `crt` reads them. */
  pem: Secret;
  /** Whether this run asked the ACME server for it (else it came from the cache). */
  issued: boolean;
}

/** The cache of the certificate last issued for the site. */
export function acmeCacheFiles(projectRoot: string, site: string): { dir: string; cert: string; key: string } {
  const dir = path.join(selfSignedDir(projectRoot, site), 'acme');
  return { dir, cert: path.join(dir, 'site.crt'), key: path.join(dir, 'site.key') };
}

/**
 * The site's ACME certificate for one run, shared by both load balancers (the role's preparation):
 * the first lb that needs it reads the cache or issues, the second one is handed the same promise,
 * so a run places one order at most.
 */
export class AcmeSite {
  readonly thumbprint: string;
  #certificate: Promise<AcmeCertificate> | undefined;

  constructor(readonly settings: AcmeSettings, readonly placeholder: Secret) {
    this.thumbprint = accountThumbprint(settings.accountKey.reveal());
  }

  get cacheFiles() {
    return acmeCacheFiles(this.settings.projectRoot, this.settings.domains[0]!);
  }

  /** The cached certificate when it can serve the site now; undefined otherwise. */
  cached(now = new Date()): { certPem: string; keyPem: string } | undefined {
    const files = this.cacheFiles;
    if (!existsSync(files.cert) || !existsSync(files.key)) return undefined;
    const certPem = readFileSync(files.cert, 'utf8');
    if (replaceReason(certPem, this.settings.domains, this.settings.renewBeforeDays, now) !== undefined) return undefined;
    return { certPem, keyPem: readPrivateFile(files.key, (reason) => new StepError(reason)).toString('utf8') };
  }

  /** The certificate to install: the cached one, else a new one from the ACME server (then cached). */
  certificate(): Promise<AcmeCertificate> {
    this.#certificate ??= this.#obtain();
    return this.#certificate;
  }

  async #obtain(): Promise<AcmeCertificate> {
    const kept = this.cached();
    if (kept) return { certPem: kept.certPem, pem: combinedPem(kept.certPem, kept.keyPem), issued: false };
    const s = this.settings;
    const issued = await issueCertificate({
      directoryUrl: s.directoryUrl,
      caFile: s.caFile ? projectFile(s.projectRoot, s.caFile) : undefined,
      email: s.email,
      accountKeyPem: s.accountKey,
      domains: s.domains,
      // Nothing to publish: haproxy.cfg answers every token with this account's thumbprint.
      publishChallenge: async (token, keyAuthorization) => {
        if (keyAuthorization !== `${token}.${this.thumbprint}`) {
          throw new StepError('the ACME key authorization does not end with the account key thumbprint haproxy.cfg answers with');
        }
        await waitForChallengeAnswer(s.vip, s.httpPort, s.domains[0]!, token, keyAuthorization);
      },
      removeChallenge: async () => {},
    });
    const keyPem = issued.keyPem.reveal();
    this.#keep(issued.certPem, keyPem);
    return { certPem: issued.certPem, pem: combinedPem(issued.certPem, keyPem), issued: true };
  }

  /** Writes the cache: folder 0700, key 0600, each file replaced by a rename. */
  #keep(certPem: string, keyPem: string): void {
    const files = this.cacheFiles;
    mkdirSync(files.dir, { recursive: true, mode: 0o700 });
    chmodSync(files.dir, 0o700);
    const write = (file: string, text: string, mode: number) => {
      const staged = `${file}.new`;
      writeFileSync(staged, text, { mode });
      chmodSync(staged, mode);
      renameSync(staged, file);
    };
    write(files.key, keyPem, 0o600);
    write(files.cert, certPem, 0o644);
  }
}

/**
 * Waits (a minute at most) until the VIP answers the challenge, so the ACME server is asked to
 * validate only once a reloaded HAProxy serves the answer (the other lb may still be reloading).
 * A VIP the control node cannot reach is not an error here: the ACME server's verdict is what counts.
 */
async function waitForChallengeAnswer(vip: string, port: number, domain: string, token: string, expected: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await httpBody(vip, port, domain, `/.well-known/acme-challenge/${token}`)) === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function httpBody(address: string, port: number, hostHeader: string, urlPath: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: address, port, path: urlPath, headers: { host: hostHeader }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { if (body.length < 4096) body += chunk; });
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/**
 * A self-signed certificate for `domains`, valid one day, made in a scratch folder that is removed:
 * what HAProxy loads on a first run until the ACME certificate replaces it (its TLS bind needs a file).
 */
export async function placeholderPem(domains: string[]): Promise<Secret> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'scaleup-placeholder-'));
  try {
    await openssl([
      'req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', 'site.key', '-out', 'site.crt', '-days', '1', '-subj', `/CN=${domains[0]}`,
      '-addext', `subjectAltName=${domains.map((d) => `DNS:${d}`).join(',')}`,
    ], scratch);
    return combinedPem(readFileSync(path.join(scratch, 'site.crt'), 'utf8'), readFileSync(path.join(scratch, 'site.key'), 'utf8'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
