// What a certificate and its key are worth before they go to the load balancers: PEM that parses, a
// key that belongs to the certificate, names that cover the site, dates that hold. Pure: text in,
// problems out (Node's X509Certificate does the parsing; nothing here is written by hand).
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';

const DAY_MS = 24 * 60 * 60 * 1000;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, leaf first; throws a short reason when there is none or one is bad. */
export function parseCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error('holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new Error(`certificate ${i + 1} of the file is not a valid PEM certificate`);
    }
  });
}

/** The private key of a PEM text; throws a short reason (never the key) when it is not one. */
export function parsePrivateKey(pem: string): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new Error('holds no PEM private key (-----BEGIN … PRIVATE KEY-----)');
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new Error('is encrypted with a passphrase: HAProxy needs it unencrypted (keep it in the vault instead)');
  }
  try {
    return createPrivateKey(pem);
  } catch {
    throw new Error('is not a valid PEM private key');
  }
}

/** Whole days from `now` until the certificate expires (negative once it has). */
export function daysLeft(cert: X509Certificate, now: Date): number {
  return Math.floor((Date.parse(cert.validTo) - now.getTime()) / DAY_MS);
}

/** The names of `domains` the certificate does not cover (its subjectAltName, wildcards included). */
export function uncoveredNames(cert: X509Certificate, domains: string[]): string[] {
  return domains.filter((name) => cert.checkHost(name, { subject: 'default' }) === undefined);
}

/** The SHA-256 fingerprint as `AB:CD:…`, the form openssl and browsers show. */
export function fingerprintOf(cert: X509Certificate): string {
  return cert.fingerprint256;
}

export interface CertificateCheck {
  certPem: string;
  keyPem: string;
  domains: string[];
  now: Date;
}

/**
 * Why the certificate and key cannot serve `domains` now, as phrases naming the part at fault
 * (`tls_cert_file …`, `tls_key …`); empty when they can.
 */
export function certificateProblems({ certPem, keyPem, domains, now }: CertificateCheck): { field: 'cert' | 'key'; problem: string }[] {
  let chain: X509Certificate[];
  try {
    chain = parseCertificates(certPem);
  } catch (err) {
    return [{ field: 'cert', problem: (err as Error).message }];
  }
  const leaf = chain[0]!;
  const problems: { field: 'cert' | 'key'; problem: string }[] = [];
  try {
    if (!leaf.checkPrivateKey(parsePrivateKey(keyPem))) {
      problems.push({ field: 'key', problem: `does not match the certificate (subject ${leaf.subject.replace(/\n/g, ', ')})` });
    }
  } catch (err) {
    problems.push({ field: 'key', problem: (err as Error).message });
  }
  const missing = uncoveredNames(leaf, domains);
  if (missing.length) {
    problems.push({ field: 'cert', problem: `does not cover ${missing.join(', ')} (it covers ${leaf.subjectAltName ?? leaf.subject.replace(/\n/g, ', ')})` });
  }
  if (Date.parse(leaf.validTo) <= now.getTime()) problems.push({ field: 'cert', problem: `expired on ${leaf.validTo}` });
  else if (Date.parse(leaf.validFrom) > now.getTime()) problems.push({ field: 'cert', problem: `is not valid before ${leaf.validFrom}` });
  return problems;
}

/**
 * Why a certificate made by scaleup must be made again (missing names, expired or expiring within
 * `renewBeforeDays`), or undefined when it can stay.
 */
export function renewalReason(certPem: string, domains: string[], renewBeforeDays: number, now: Date): string | undefined {
  let leaf: X509Certificate;
  try {
    leaf = parseCertificates(certPem)[0]!;
  } catch (err) {
    return `the certificate ${(err as Error).message}`;
  }
  const missing = uncoveredNames(leaf, domains);
  if (missing.length) return `it does not cover ${missing.join(', ')}`;
  const left = daysLeft(leaf, now);
  if (left < renewBeforeDays) return `it expires in ${left} day(s), within tls_renew_before_days (${renewBeforeDays})`;
  return undefined;
}
