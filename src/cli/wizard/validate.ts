// What the wizard checks on every answer, and the reason it gives when it asks again. Each check
// returns `undefined` when the answer is good, else a sentence for the person (never throws).
// Suggested defaults live here too: they follow from the same rules.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import { isValidAddress, NAME_RE, USER_RE } from '../../core/inventory-schema.ts';
import { defaultSecretsFile } from '../../core/vault.ts';
import type { Tier } from './tiers.ts';

export interface NamedAddress {
  name: string;
  address: string;
}

/** inquirer's validate contract: true, or the reason shown under the question. */
export function asValidate(problem: (value: string) => string | undefined): (value: string) => true | string {
  return (value) => problem(value.trim()) ?? true;
}

const looksLikeIPv4 = (s: string) => /^[0-9.]+$/.test(s);

/** The /24 of an IPv4 address, as `a.b.c`. */
export function subnet24(ipv4: string): string {
  return ipv4.split('.').slice(0, 3).join('.');
}

function lastOctet(ipv4: string): number {
  return Number(ipv4.split('.')[3]);
}

export function hostNameProblem(name: string, taken: readonly string[]): string | undefined {
  if (!name) return 'enter a name, e.g. web-01';
  if (name === 'all') return '"all" is reserved (it means every host)';
  if (!NAME_RE.test(name)) return 'use letters, digits, ".", "_" and "-", starting with a letter or digit';
  if (['lb', 'web', 'app', 'db'].includes(name)) return `${name} is the name of a group; name the host e.g. ${name}-01`;
  if (taken.includes(name)) return `${name} is already the name of another host`;
  return undefined;
}

/**
 * A host's address: any IP or DNS name, except that load balancers need IPv4 (the VIP moves between
 * them on one /24), and no two hosts may share an address.
 */
export function hostAddressProblem(address: string, tier: Tier | string, others: readonly NamedAddress[], lbPeers: readonly NamedAddress[] = []): string | undefined {
  if (!address) return 'enter the host\'s address, e.g. 10.0.0.21';
  if (looksLikeIPv4(address) && !isIPv4(address)) {
    return `${address} is not a valid IPv4 address: four numbers from 0 to 255, like 10.0.0.21`;
  }
  if (!isValidAddress(address)) return `${address} is not an IP address or a DNS name`;
  const clash = others.find((o) => o.address.toLowerCase() === address.toLowerCase());
  if (clash) return `${address} is already the address of ${clash.name}; every host needs its own`;
  if (tier === 'lb') {
    if (!isIPv4(address)) return 'load balancers need an IPv4 address: the VIP moves between them with keepalived (VRRP)';
    const last = lastOctet(address);
    if (last === 0 || last === 255) return `${address} is the network or broadcast address of its /24`;
    const peer = lbPeers.find((p) => isIPv4(p.address) && subnet24(p.address) !== subnet24(address));
    if (peer) {
      return `${address} is not in ${subnet24(peer.address)}.0/24 with ${peer.name} (${peer.address}): ` +
        'the load balancers must share one network for the VIP to move between them';
    }
  }
  return undefined;
}

/** The VIP: a free IPv4 address inside the /24 of the load balancers. */
export function vipProblem(vip: string, lbHosts: readonly NamedAddress[], allHosts: readonly NamedAddress[]): string | undefined {
  if (!vip) return 'enter the virtual IP address clients will use, e.g. 10.0.0.100';
  if (!isIPv4(vip)) return `${vip} is not a valid IPv4 address: four numbers from 0 to 255, like 10.0.0.100`;
  const outside = lbHosts.find((h) => isIPv4(h.address) && subnet24(h.address) !== subnet24(vip));
  if (outside) {
    const lbs = lbHosts.map((h) => `${h.name} ${h.address}`).join(', ');
    return `${vip} is outside ${subnet24(outside.address)}.0/24, the network of the load balancers (${lbs})`;
  }
  const last = lastOctet(vip);
  if (last === 0 || last === 255) return `${vip} is the network or broadcast address of its /24`;
  const taken = allHosts.find((h) => h.address === vip);
  if (taken) return `${vip} is ${taken.name}'s address; the VIP must be an address no host uses`;
  return undefined;
}

export function portProblem(text: string): string | undefined {
  if (!/^\d+$/.test(text)) return `${text || 'an empty answer'} is not a port: a whole number from 1 to 65535`;
  const n = Number(text);
  if (n < 1 || n > 65535) return `port ${n} is out of range (1 to 65535)`;
  return undefined;
}

export function userProblem(user: string): string | undefined {
  if (!user) return 'enter the SSH user, e.g. deploy';
  if (!USER_RE.test(user)) return 'a user name has letters, digits, "_" and "-", starting with a letter or "_"';
  return undefined;
}

export function databaseProblem(name: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) {
    return 'a database name has up to 64 letters, digits and "_", not starting with a digit';
  }
  return undefined;
}

/** The inventory file to create: a new .yml whose secrets file does not exist yet either. */
export function newInventoryFileProblem(file: string, cwd: string): string | undefined {
  if (!file) return 'enter a file name, e.g. inventory/site.yml';
  if (!/\.ya?ml$/.test(file)) return 'the inventory is a YAML file: end the name with .yml';
  const abs = path.resolve(cwd, expandHome(file));
  if (existsSync(abs)) return `${file} already exists; pick another name (or choose it from the list to open it)`;
  const secrets = defaultSecretsFile(abs);
  if (existsSync(secrets)) return `${path.relative(cwd, secrets)} already exists beside it; pick another name`;
  const dir = path.dirname(abs);
  if (existsSync(dir) && !statSync(dir).isDirectory()) return `${path.dirname(file)} is not a folder`;
  return undefined;
}

/** A private key file that node-ssh can use without asking for a passphrase. */
export function privateKeyProblem(file: string, cwd: string): string | undefined {
  if (!file) return 'enter the path of a private key file, e.g. ~/.ssh/id_ed25519';
  const abs = path.resolve(cwd, expandHome(file));
  if (!existsSync(abs)) return `${file}: no such file`;
  if (!statSync(abs).isFile()) return `${file} is not a file`;
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch {
    return `${file} cannot be read (permission denied?)`;
  }
  if (/^ssh-|^ecdsa-/.test(text)) return `${file} is a public key; choose the private key (the file without .pub)`;
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return `${file} is not a private key file`;
  if (isEncryptedKey(text)) {
    return `${file} is protected by a passphrase; load it into ssh-agent (ssh-add) and choose the agent instead`;
  }
  return undefined;
}

/** Whether a PEM or OpenSSH private key is encrypted (the engine cannot ask for its passphrase). */
export function isEncryptedKey(text: string): boolean {
  if (/Proc-Type: 4,ENCRYPTED|BEGIN ENCRYPTED PRIVATE KEY/.test(text)) return true;
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) return false;
  const blob = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (blob.subarray(0, magic.length).toString('latin1') !== magic) return false;
  const len = blob.readUInt32BE(magic.length);
  return blob.subarray(magic.length + 4, magic.length + 4 + len).toString('latin1') !== 'none';
}

export function expandHome(p: string, home = homedir()): string {
  if (p === '~') return home;
  return p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

/**
 * How a key path is written into the inventory (paths there are relative to the inventory file):
 * `~/…` under the home folder, relative when close by, else absolute.
 */
export function keyPathForInventory(keyAbs: string, inventoryDir: string, home = homedir()): string {
  const underHome = path.relative(home, keyAbs);
  if (home !== '/' && underHome && !underHome.startsWith('..') && !path.isAbsolute(underHome)) return `~/${underHome}`;
  const rel = path.relative(inventoryDir, keyAbs);
  const ups = rel.split(path.sep).filter((s) => s === '..').length;
  return ups <= 2 ? rel : keyAbs;
}

/**
 * The address offered for the next host: one past the previous host in the same tier, or the next
 * block of ten in the first load balancer's /24 for a new tier (10.0.0.11 → web .21, app .31, db .41).
 */
export function suggestAddress(tierIndex: number, previousInTier: string | undefined, firstLb: string | undefined, taken: readonly string[]): string | undefined {
  const free = (a: string) => !taken.includes(a);
  const bump = (ip: string, by: number) => {
    const last = lastOctet(ip) + by;
    return last >= 1 && last <= 254 ? `${subnet24(ip)}.${last}` : undefined;
  };
  let candidate: string | undefined;
  if (previousInTier && isIPv4(previousInTier)) candidate = bump(previousInTier, 1);
  else if (firstLb && isIPv4(firstLb)) {
    const base = lastOctet(firstLb) - (lastOctet(firstLb) % 10);
    candidate = bump(`${subnet24(firstLb)}.${base}`, tierIndex * 10 + 1);
  }
  while (candidate && !free(candidate)) candidate = bump(candidate, 1);
  return candidate;
}

/** The VIP offered by default: .100 of the load balancers' /24, or the next free address after it. */
export function suggestVip(lbAddresses: readonly string[], taken: readonly string[]): string | undefined {
  const first = lbAddresses.find((a) => isIPv4(a));
  if (!first) return undefined;
  for (let last = 100; last <= 254; last++) {
    const candidate = `${subnet24(first)}.${last}`;
    if (!taken.includes(candidate)) return candidate;
  }
  return undefined;
}

/** `inventory/site.yml`, or `site-2.yml`… when that (or its secrets file) exists. */
export function suggestInventoryFile(cwd: string): string {
  for (let i = 1; ; i++) {
    const rel = path.join('inventory', i === 1 ? 'site.yml' : `site-${i}.yml`);
    if (!newInventoryFileProblem(rel, cwd)) return rel;
  }
}
