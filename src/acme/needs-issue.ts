// Whether the certificate on the hosts must be (re-)issued. Pure, so a run decides it from what it read
// on the hosts without any ACME traffic: a converged site costs the ACME server nothing.
import { X509Certificate } from 'node:crypto';

export type IssueReason =
  | { reason: 'missing' }
  | { reason: 'unreadable'; detail: string }
  | { reason: 'uncovered'; names: string[] }
  | { reason: 'expiring'; notAfter: Date; daysLeft: number };

const DAY_MS = 86_400_000;

/** When the certificate expires (notAfter), read from its first PEM block. */
export function certificateNotAfter(certPem: string): Date {
  // `validTo` is OpenSSL's "Mon DD HH:MM:SS YYYY GMT", which Date parses; Node 20 has no validToDate.
  return new Date(new X509Certificate(certPem).validTo);
}

/**
 * Why a new certificate is needed, or null when `currentCertPem` (leaf first, chain after it) covers
 * every one of `domains` and stays valid for at least `renewBeforeDays` more days after `now`.
 * Coverage follows RFC 6125 as OpenSSL checks it (a `*.example.com` SAN covers `www.example.com`).
 */
export function needsIssue(
  currentCertPem: string | undefined,
  domains: readonly string[],
  renewBeforeDays: number,
  now: Date,
): IssueReason | null {
  if (currentCertPem === undefined || currentCertPem.trim() === '') return { reason: 'missing' };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(currentCertPem);
  } catch (e) {
    return { reason: 'unreadable', detail: (e as Error).message };
  }
  const names = domains.filter((d) => cert.checkHost(d, { subject: 'default' }) === undefined);
  if (names.length > 0) return { reason: 'uncovered', names };
  const notAfter = new Date(cert.validTo);
  const leftMs = notAfter.getTime() - now.getTime();
  if (leftMs < renewBeforeDays * DAY_MS) return { reason: 'expiring', notAfter, daysLeft: Math.floor(leftMs / DAY_MS) };
  return null;
}

/** The reason in words, for a change shown to a person. */
export function describeIssueReason(r: IssueReason): string {
  switch (r.reason) {
    case 'missing':
      return 'no certificate yet';
    case 'unreadable':
      return `the certificate cannot be read (${r.detail})`;
    case 'uncovered':
      return `the certificate does not cover ${r.names.join(', ')}`;
    case 'expiring':
      return r.daysLeft < 0
        ? `the certificate expired on ${r.notAfter.toISOString()}`
        : `the certificate expires on ${r.notAfter.toISOString()} (in ${r.daysLeft} days)`;
  }
}
