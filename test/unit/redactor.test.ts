import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Redactor, Secret, redactDiff } from '../../src/core/secret.ts';

describe('Secret and Redactor', () => {
  it('a Secret prints as *** through every path', () => {
    const s = new Secret('hunter2-long');
    expect(`${s}`).toBe('***');
    expect(JSON.stringify({ s })).toBe('{"s":"***"}');
    expect(inspect({ s })).toBe("{ s: *** }");
    expect(s.reveal()).toBe('hunter2-long');
  });

  it('masks the raw value and its escaped forms (shell, env file, SQL, JSON)', () => {
    const r = new Redactor();
    const v = `p'a"s$s\\w\`d`;
    r.add(new Secret(v));
    const escapedForms = [
      v,
      JSON.stringify(v),
      `"${v.replace(/(["\\$`])/g, '\\$1')}"`,
      `'${v.replace(/'/g, `'\\''`)}'`,
      `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`,
    ];
    for (const form of escapedForms) expect(r.redact(`before ${form} after`)).not.toContain('a"s');
    expect(r.redact(`password=${v}`)).toBe('password=***');
  });
});

describe('short secrets (issue 12, finding 7)', () => {
  it('every secret is masked whatever its length; one under 4 characters only as a whole token', () => {
    const r = new Redactor();
    for (const v of ['x', 'ab', 'q7!']) r.add(new Secret(v));
    expect(r.redact('password=ab\n')).toBe('password=***\n');
    expect(r.redact('auth "q7!" and x')).toBe('auth "***" and ***');
    expect(r.redact('pin: ab;')).toBe('pin: ***;');
    // Inside words they are ordinary text: masking there would destroy every diff.
    expect(r.redact('table xylophone abx_ab')).toBe('table xylophone abx_ab');
  });

  it('masks a secret that overlaps another whole, and redacting twice changes nothing', () => {
    const r = new Redactor();
    r.add('1234');
    r.add('3456789');
    expect(r.redact('pw 123456789 end')).toBe('pw *** end');
    const star = new Redactor();
    star.add('*');
    expect(star.redact('a * b')).toBe('a *** b');
    expect(star.redact(star.redact('a * b'))).toBe('a *** b');
  });

  it('a diff whose new side holds a short secret hides every removed line (they may hold the old one)', () => {
    const r = new Redactor();
    r.add(new Secret('ab'));
    const diff = '--- /etc/x.conf\n+++ /etc/x.conf\n@@ -1,2 +1,2 @@\n name web\n-password old-unknown-secret\n+password ab\n';
    const shown = redactDiff(diff, r);
    expect(shown).not.toContain('old-unknown-secret');
    expect(shown).toContain('+password ***');
  });

  it('a diff whose old side holds a known secret and whose new side holds none hides its removed lines too', () => {
    const r = new Redactor();
    r.add(new Secret('old-known-secret'));
    const diff = '--- /etc/x.conf\n+++ /etc/x.conf\n@@ -1,2 +1,1 @@\n name web\n-password old-known-secret\n-user admin\n';
    const shown = redactDiff(diff, r);
    expect(shown).not.toContain('old-known-secret');
    expect(shown).not.toContain('user admin');
  });
});
