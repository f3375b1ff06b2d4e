import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint, hostLookupName, KnownHosts, verifyHostKey } from '../../src/core/connection/known-hosts.ts';
import { budget } from './budgets.ts';

function makeKey(dir: string, name: string): { line: string; blob: Buffer } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim();
  return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64') };
}

describe('known_hosts verification', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-kh-'));
  const a = makeKey(dir, 'a');
  const b = makeKey(dir, 'b');

  it('prints fingerprints exactly like ssh-keygen -l', () => {
    const expected = execFileSync('ssh-keygen', ['-lf', path.join(dir, 'a.pub')], { encoding: 'utf8' }).split(' ')[1];
    expect(fingerprint(a.blob)).toBe(expected);
  }, budget({ processes: 1 }));

  it('accepts a matching key, refuses a changed one and an unknown one', () => {
    const file = path.join(dir, 'known_hosts');
    writeFileSync(file, `# comment\n10.0.0.1,web-01 ${a.line.split(' ').slice(0, 2).join(' ')}\n`);
    const kh = new KnownHosts(file);
    expect(verifyHostKey(kh, '10.0.0.1', a.blob, false)).toEqual({ ok: true });
    expect(verifyHostKey(kh, '10.0.0.1', b.blob, false)).toMatchObject({ ok: false, reason: 'changed' });
    expect(verifyHostKey(kh, '10.0.0.1', b.blob, true)).toMatchObject({ ok: false, reason: 'changed' });
    expect(verifyHostKey(kh, '10.0.0.2', a.blob, false)).toMatchObject({ ok: false, reason: 'unknown', fingerprint: fingerprint(a.blob) });
  });

  it('pins a new key hashed, in a form ssh-keygen -F finds', () => {
    const file = path.join(dir, 'pinned');
    const kh = new KnownHosts(file);
    expect(verifyHostKey(kh, hostLookupName('10.0.0.9', 2222), a.blob, true)).toEqual({ ok: true, pinned: true });
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    expect(verifyHostKey(kh, '[10.0.0.9]:2222', a.blob, false)).toEqual({ ok: true });
    const found = execFileSync('ssh-keygen', ['-F', '[10.0.0.9]:2222', '-f', file], { encoding: 'utf8' });
    expect(found).toContain('ssh-ed25519');
  }, budget({ processes: 1 }));

  it('refuses a key marked @revoked', () => {
    const file = path.join(dir, 'revoked');
    writeFileSync(file, `@revoked * ${a.line}\n10.0.0.3 ${a.line}\n`);
    expect(verifyHostKey(new KnownHosts(file), '10.0.0.3', a.blob, false)).toMatchObject({ ok: false, reason: 'revoked' });
  });
});
