// When a run must ask the ACME server for a certificate, decided from the certificate on the hosts alone.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { certificateNotAfter, describeIssueReason, needsIssue } from '../../src/acme/index.ts';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'acme', name), 'utf8');
// SANs a.scaleup.test and *.web.scaleup.test; valid ten years from when it was made.
const SAN = fixture('san.pem');
// No SAN at all: subject CN legacy.scaleup.test.
const CN_ONLY = fixture('cn-only.pem');
const DAY = 86_400_000;
const notAfter = certificateNotAfter(SAN);
const daysBefore = (days: number) => new Date(notAfter.getTime() - days * DAY);

describe('needsIssue', () => {
  test('no certificate (absent or empty) needs one', () => {
    expect(needsIssue(undefined, ['a.scaleup.test'], 30, new Date())).toEqual({ reason: 'missing' });
    expect(needsIssue('\n', ['a.scaleup.test'], 30, new Date())).toEqual({ reason: 'missing' });
  });

  test('a file that is no certificate needs one, and says it cannot be read', () => {
    const r = needsIssue('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n', ['a.scaleup.test'], 30, new Date());
    expect(r?.reason).toBe('unreadable');
    expect(describeIssueReason(r!)).toMatch(/cannot be read/);
  });

  test('a certificate covering every name, far from expiry, needs nothing', () => {
    expect(needsIssue(SAN, ['a.scaleup.test'], 30, daysBefore(31))).toBeNull();
    // Names compare without case; a wildcard SAN covers one label.
    expect(needsIssue(SAN, ['A.Scaleup.Test', 'shop.web.scaleup.test'], 30, daysBefore(31))).toBeNull();
    // The chain after the leaf does not matter.
    expect(needsIssue(SAN + CN_ONLY, ['a.scaleup.test'], 30, daysBefore(31))).toBeNull();
  });

  test('a name the certificate does not cover needs a new one, naming every such name', () => {
    const r = needsIssue(SAN, ['a.scaleup.test', 'b.scaleup.test', 'x.y.web.scaleup.test', 'web.scaleup.test'], 30, daysBefore(100));
    expect(r).toEqual({ reason: 'uncovered', names: ['b.scaleup.test', 'x.y.web.scaleup.test', 'web.scaleup.test'] });
    expect(describeIssueReason(r!)).toBe('the certificate does not cover b.scaleup.test, x.y.web.scaleup.test, web.scaleup.test');
  });

  test('the subject CN counts only when there is no SAN', () => {
    expect(needsIssue(CN_ONLY, ['legacy.scaleup.test'], 30, new Date(certificateNotAfter(CN_ONLY).getTime() - 60 * DAY))).toBeNull();
    expect(needsIssue(SAN, ['a.scaleup.test'], 30, daysBefore(60))).toBeNull();
  });

  test('expiring within renewBeforeDays needs a new one; exactly that many days left does not', () => {
    expect(needsIssue(SAN, ['a.scaleup.test'], 30, daysBefore(30))).toBeNull();
    const r = needsIssue(SAN, ['a.scaleup.test'], 30, daysBefore(29.5));
    expect(r).toEqual({ reason: 'expiring', notAfter, daysLeft: 29 });
    expect(describeIssueReason(r!)).toContain('(in 29 days)');
  });

  test('an expired certificate needs a new one, whatever renewBeforeDays says', () => {
    const r = needsIssue(SAN, ['a.scaleup.test'], 0, new Date(notAfter.getTime() + 2 * DAY));
    expect(r?.reason).toBe('expiring');
    expect(describeIssueReason(r!)).toMatch(/^the certificate expired on /);
  });

  test('renewBeforeDays above the certificate\'s lifetime forces a renewal (how a forced renewal is asked for)', () => {
    expect(needsIssue(SAN, ['a.scaleup.test'], 365 * 20, new Date())?.reason).toBe('expiring');
  });
});
