// IPv4 arithmetic for cluster checks (is the VIP in the lb hosts' subnet?) and for finding the
// interface that holds a host's address in its facts. Node's `net.isIPv4` does the validation.
import { isIP, isIPv4 } from 'node:net';
import type { Facts } from 'scaleup';

/** The address as a 32-bit unsigned number, or null if `s` is not a dotted-quad IPv4 address. */
export function ipv4ToNumber(s: string): number | null {
  if (!isIPv4(s)) return null;
  return s.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** True when both addresses are IPv4 and share the first `prefix` bits. */
export function sameSubnet(a: string, b: string, prefix: number): boolean {
  const x = ipv4ToNumber(a);
  const y = ipv4ToNumber(b);
  if (x === null || y === null || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return false;
  const size = 2 ** (32 - prefix);
  return Math.floor(x / size) === Math.floor(y / size);
}

/** True for a literal IPv4 or IPv6 address (not a DNS name). */
export function isIpAddress(s: string): boolean {
  return isIP(s) !== 0;
}

export interface InterfaceAddress {
  /** Interface name, e.g. `eth0`. */
  name: string;
  /** Prefix length of the address on that interface, e.g. 24. */
  prefix: number;
}

/** The interface whose IPv4 addresses include `address` (facts list them as `a.b.c.d/nn`). */
export function interfaceHolding(facts: Facts, address: string): InterfaceAddress | undefined {
  for (const [name, cidrs] of Object.entries(facts.interfaces)) {
    for (const cidr of cidrs) {
      const [ip, prefix] = cidr.split('/');
      if (ip === address) return { name, prefix: Number(prefix ?? 32) };
    }
  }
  return undefined;
}
