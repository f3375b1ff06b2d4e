// IPv4 sources (an address, or a network in CIDR notation) as the firewall's rules and its SSH guard
// read them. A rule's sources are merged before they are written: each network by its base address,
// duplicates and entries inside another entry dropped. nft 1.0 would merge an overlapping set itself
// (older versions refuse it); written merged, the file reads as what `nft list` shows on the host.
import { ipv4ToNumber } from '../lib/net.ts';

export interface Ipv4Network {
  /** First address of the network, as a 32-bit unsigned number. */
  base: number;
  /** Prefix length, 0–32 (32: one address). */
  prefix: number;
}

const size = (prefix: number) => 2 ** (32 - prefix);

/** `10.0.0.0/8`, `10.77.0.1` (= /32), or null if `s` is neither. */
export function parseSource(s: string): Ipv4Network | null {
  const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  const address = ipv4ToNumber(m[1]!);
  const prefix = m[2] === undefined ? 32 : Number(m[2]);
  if (address === null || prefix > 32) return null;
  return { base: Math.floor(address / size(prefix)) * size(prefix), prefix };
}

function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** How nft is given the network: an address for /32, else base/prefix (host bits cleared). */
export function sourceText(n: Ipv4Network): string {
  return n.prefix === 32 ? numberToIpv4(n.base) : `${numberToIpv4(n.base)}/${n.prefix}`;
}

function contains(outer: Ipv4Network, inner: Ipv4Network): boolean {
  return outer.prefix <= inner.prefix && Math.floor(inner.base / size(outer.prefix)) * size(outer.prefix) === outer.base;
}

/** Whether the IPv4 `address` is inside one of `sources` (entries that do not parse are ignored). */
export function covers(sources: readonly string[], address: string): boolean {
  const a = parseSource(address);
  if (!a || a.prefix !== 32) return false;
  return sources.some((s) => {
    const n = parseSource(s);
    return n !== null && contains(n, a);
  });
}

/**
 * The sources of one nft rule: normalised, in first-seen order, without duplicates or entries that
 * another entry already covers (a host that is also in firewall_admin_sources, an address inside an
 * admin network). Entries that do not parse are dropped; validateFirewall reports them before connecting.
 */
export function mergeSources(sources: readonly string[]): string[] {
  const networks = sources.map(parseSource).filter((n): n is Ipv4Network => n !== null);
  const kept = networks.filter((n, i) =>
    !networks.some((other, j) => j !== i && contains(other, n) && (other.prefix < n.prefix || j < i)));
  return kept.map(sourceText);
}
