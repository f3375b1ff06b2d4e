// First contact with each host: fetch the host key it presents (the SSH handshake stops before any
// authentication), show its fingerprint the way `ssh-keygen -l` prints it, and pin the keys the person
// trusts in the inventory's known_hosts, where every later run verifies them.
import { confirm } from '@inquirer/prompts';
import { NodeSSH } from 'node-ssh';
import { sshConfigFor } from '../../core/connection/ssh-config.ts';
import { fingerprint, hostLookupName, keyTypeOf, KnownHosts } from '../../core/connection/known-hosts.ts';
import { ConnectError } from '../../core/errors.ts';
import type { Host } from '../../core/model.ts';
import type { WizardContext } from './context.ts';

export interface ScanTarget {
  name: string;
  /** Address actually dialled (after ~/.ssh/config HostName). */
  address: string;
  port: number;
  user: string;
}

/** Presents the host key and nothing more: the verifier refuses it, so no credential is ever offered. */
export async function scanHostKey(target: ScanTarget, timeoutMs = 8000): Promise<Buffer> {
  const ssh = new NodeSSH();
  let key: Buffer | undefined;
  try {
    await ssh.connect({
      host: target.address,
      port: target.port,
      username: target.user,
      readyTimeout: timeoutMs,
      hostVerifier: (presented: Buffer) => {
        key = Buffer.from(presented);
        return false;
      },
    });
  } catch (err) {
    if (!key) throw new ConnectError(target.name, `cannot reach ${target.address}:${target.port}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    ssh.dispose();
  }
  if (!key) throw new ConnectError(target.name, `${target.address}:${target.port} presented no host key`);
  return key;
}

const KEYGEN_TYPE: Record<string, string> = {
  'ssh-ed25519': 'ED25519',
  'ssh-rsa': 'RSA',
  'ssh-dss': 'DSA',
  'ecdsa-sha2-nistp256': 'ECDSA',
  'ecdsa-sha2-nistp384': 'ECDSA',
  'ecdsa-sha2-nistp521': 'ECDSA',
};

/** Key size in bits, as `ssh-keygen -l` prints it first. */
export function keyBits(blob: Buffer): number | undefined {
  const type = keyTypeOf(blob);
  if (type === 'ssh-ed25519') return 256;
  const ecdsa = /^ecdsa-sha2-nistp(\d+)$/.exec(type);
  if (ecdsa) return Number(ecdsa[1]);
  if (type === 'ssh-rsa') {
    // string type, mpint e, mpint n: the modulus length without its sign byte.
    let at = 4 + blob.readUInt32BE(0);
    at += 4 + blob.readUInt32BE(at);
    const n = blob.subarray(at + 4, at + 4 + blob.readUInt32BE(at));
    const first = n.findIndex((b) => b !== 0);
    return first < 0 ? 0 : (n.length - first) * 8 - Math.clz32(n[first]!) + 24;
  }
  return undefined;
}

/** `256 SHA256:… (ED25519)`: `ssh-keygen -l` output without the comment. */
export function describeHostKey(blob: Buffer): string {
  const type = keyTypeOf(blob);
  const bits = keyBits(blob);
  return `${bits ? `${bits} ` : ''}${fingerprint(blob)} (${KEYGEN_TYPE[type] ?? type})`;
}

/** The file on the host whose fingerprint the person can compare with. */
export function hostKeyFileFor(blob: Buffer): string {
  const type = keyTypeOf(blob);
  const stem = type === 'ssh-ed25519' ? 'ed25519' : type.startsWith('ecdsa-') ? 'ecdsa' : type === 'ssh-rsa' ? 'rsa' : 'dsa';
  return `/etc/ssh/ssh_host_${stem}_key.pub`;
}

export type KeyStatus = 'trusted' | 'new' | 'changed' | 'revoked';

/** How a presented key stands against known_hosts (the same rules the connection applies). */
export function keyStatus(known: KnownHosts, lookupName: string, blob: Buffer): KeyStatus {
  const presented = blob.toString('base64');
  const entries = known.lookup(lookupName);
  if (entries.some((k) => k.revoked && k.key === presented)) return 'revoked';
  if (entries.some((k) => !k.revoked && k.key === presented)) return 'trusted';
  if (entries.some((k) => !k.revoked)) return 'changed';
  return 'new';
}

export interface TrustOutcome {
  /** Hosts whose key is pinned now (newly or before). */
  trusted: string[];
  /** Hosts the person did not trust, or whose key changed or is revoked. */
  refused: string[];
  unreachable: string[];
}

/** Scans every host, then asks about each key not pinned yet. */
export async function trustHostKeys(ctx: WizardContext, hosts: readonly Host[], knownHostsFile: string): Promise<TrustOutcome> {
  const { c } = ctx;
  const scan = ctx.options.scanHostKey ?? ((t: ScanTarget) => scanHostKey(t));
  const known = new KnownHosts(knownHostsFile);
  const outcome: TrustOutcome = { trusted: [], refused: [], unreachable: [] };
  ctx.say(`\nChecking the SSH host keys of ${hosts.length} host(s)…`);

  const scans = await Promise.all(
    hosts.map(async (host) => {
      const config = sshConfigFor(host.address);
      const address = config.hostName ?? host.address;
      const lookupName = hostLookupName(address, host.port);
      if (config.proxyJump) {
        return { host, lookupName, error: `reached through ProxyJump ${config.proxyJump}: pin its key with \`provision apply --accept-new-host-keys\` once` };
      }
      try {
        return { host, lookupName, key: await scan({ name: host.name, address, port: host.port, user: host.user }) };
      } catch (err) {
        return { host, lookupName, error: err instanceof ConnectError ? err.message.replace(`${host.name}: `, '') : String(err) };
      }
    }),
  );

  const width = Math.max(...hosts.map((h) => h.name.length));
  for (const s of scans) {
    const label = `${s.host.name.padEnd(width)}  ${s.host.address}`;
    if (!s.key) {
      ctx.say(`  ${c.failed('✗')} ${label}: ${s.error}`);
      outcome.unreachable.push(s.host.name);
      continue;
    }
    const desc = describeHostKey(s.key);
    const status = keyStatus(known, s.lookupName, s.key);
    if (status === 'trusted') {
      ctx.say(`  ${c.ok('✓')} ${label}  ${desc}  already trusted`);
      outcome.trusted.push(s.host.name);
    } else if (status === 'changed' || status === 'revoked') {
      ctx.say(`  ${c.failed('!')} ${label}  ${desc}`);
      ctx.say(c.failed(status === 'revoked'
        ? `    This key is marked @revoked in ${ctx.show(knownHostsFile)}: not trusting it.`
        : `    HOST KEY CHANGED: it differs from the key pinned in ${ctx.show(knownHostsFile)}. This may be an attack or a\n` +
          `    reinstalled host. Not trusting it. If you know why it changed: ssh-keygen -R ${s.lookupName} -f ${ctx.show(knownHostsFile)}`));
      outcome.refused.push(s.host.name);
    } else {
      ctx.say(`  ${c.changed('?')} ${label}  ${desc}`);
      const ok = await confirm({
        message: `Trust ${s.host.name}'s key? (on the host: ssh-keygen -lf ${hostKeyFileFor(s.key)} shows the same)`,
        default: false,
      });
      if (ok) {
        known.add(s.lookupName, s.key);
        outcome.trusted.push(s.host.name);
      } else {
        outcome.refused.push(s.host.name);
      }
    }
  }
  if (outcome.refused.length || outcome.unreachable.length) {
    ctx.say(c.changed(`Not trusted or not reached: ${[...outcome.refused, ...outcome.unreachable].join(', ')}. Runs will not connect to them until their key is pinned.`));
  } else {
    ctx.say(`All host keys are pinned in ${ctx.show(knownHostsFile)}.`);
  }
  return outcome;
}
