// OpenSSH known_hosts: plain and hashed (|1|salt|hash) host patterns, [host]:port for other ports,
// @revoked markers. Used to verify every host key before authenticating.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface KnownKey {
  type: string;
  /** Base64 of the public key blob, as in the file. */
  key: string;
  revoked: boolean;
}

/** The name OpenSSH looks a host up by: `addr` on port 22, `[addr]:port` otherwise. */
export function hostLookupName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** SHA256 fingerprint as `ssh-keygen -l` prints it: `SHA256:` + unpadded base64. */
export function fingerprint(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type named inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOf(keyBlob: Buffer): string {
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  // OpenSSH wildcards: `*` and `?` (a negated `!pattern` never grants a match by itself).
  if (pattern.startsWith('!')) return false;
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return re.test(name);
}

function negated(hosts: string, name: string): boolean {
  return hosts.split(',').some((p) => p.startsWith('!') && patternMatches(p.slice(1), name));
}

export class KnownHosts {
  constructor(readonly file: string) {}

  /** Keys recorded for `name` (see hostLookupName). */
  lookup(name: string): KnownKey[] {
    if (!existsSync(this.file)) return [];
    const keys: KnownKey[] = [];
    for (const raw of readFileSync(this.file, 'utf8').split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const fields = line.split(/\s+/);
      let revoked = false;
      if (fields[0]?.startsWith('@')) {
        if (fields[0] === '@cert-authority') continue;
        revoked = fields[0] === '@revoked';
        fields.shift();
      }
      const [hosts, type, key] = fields;
      if (!hosts || !type || !key) continue;
      if (!negated(hosts, name) && hosts.split(',').some((h) => patternMatches(h, name))) {
        keys.push({ type, key, revoked });
      }
    }
    return keys;
  }

  /** Pins a key (hashed, like OpenSSH's HashKnownHosts) so later runs verify against it. */
  add(name: string, keyBlob: Buffer): void {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update(name).digest('base64');
    mkdirSync(path.dirname(this.file), { recursive: true });
    appendFileSync(this.file, `|1|${salt.toString('base64')}|${hash} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`);
  }
}

export type HostKeyVerdict =
  | { ok: true; pinned?: boolean }
  | { ok: false; reason: 'unknown' | 'changed' | 'revoked'; fingerprint: string; type: string };

/**
 * Decides on a presented host key: known and matching → ok; revoked or different from a recorded
 * key of the host → refused; never seen → refused unless `acceptNew` (then pinned).
 */
export function verifyHostKey(knownHosts: KnownHosts, name: string, keyBlob: Buffer, acceptNew: boolean): HostKeyVerdict {
  const presented = keyBlob.toString('base64');
  const type = keyTypeOf(keyBlob);
  const known = knownHosts.lookup(name);
  const fp = fingerprint(keyBlob);
  if (known.some((k) => k.revoked && k.key === presented)) return { ok: false, reason: 'revoked', fingerprint: fp, type };
  if (known.some((k) => !k.revoked && k.key === presented)) return { ok: true };
  if (known.some((k) => !k.revoked)) return { ok: false, reason: 'changed', fingerprint: fp, type };
  if (acceptNew) {
    knownHosts.add(name, keyBlob);
    return { ok: true, pinned: true };
  }
  return { ok: false, reason: 'unknown', fingerprint: fp, type };
}
