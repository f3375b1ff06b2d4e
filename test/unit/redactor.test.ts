import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Redactor, Secret } from '../../src/core/secret.ts';

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
