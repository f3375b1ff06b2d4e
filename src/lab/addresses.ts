// The lab's name → address scheme. One private /24 that exists only inside this machine.
//
//   .1            the bridge `scaleup-br0` (the control machine's side)
//   .100          the VIP (reserved: never a host)
//   lb-01..09     .11–.19     lb-10..19    .210–.219
//   web-01..09    .21–.29     web-10..59   .110–.159
//   app-01..09    .31–.39     app-10..59   .160–.209
//   db-01..09     .41–.49     db-10..19    .220–.229
//
// Every address follows from the name alone, so a host keeps its address (and the known_hosts entry
// for it) whatever other hosts run beside it.
import { LabError } from './errors.ts';

export const LAB_SUBNET_PREFIX = '10.77.0';
export const LAB_PREFIX_LENGTH = 24;
export const BRIDGE_NAME = 'scaleup-br0';
export const BRIDGE_ADDRESS = `${LAB_SUBNET_PREFIX}.1`;
export const VIP = `${LAB_SUBNET_PREFIX}.100`;

/** The five hosts `provision lab up` starts when `--hosts` is not given (and `inventory/lab.yml` lists). */
export const DEFAULT_HOSTS = ['lb-01', 'lb-02', 'web-01', 'app-01', 'db-01'] as const;

export const LAB_GROUPS = ['lb', 'web', 'app', 'db'] as const;
export type LabGroup = (typeof LAB_GROUPS)[number];

interface GroupBlock {
  /** Last octet of NN = 01..09 is `low + NN`. */
  low: number;
  /** Last octet of NN = 10..max is `high + NN`. */
  high: number;
  max: number;
}

const BLOCKS: Record<LabGroup, GroupBlock> = {
  lb: { low: 10, high: 200, max: 19 },
  web: { low: 20, high: 100, max: 59 },
  app: { low: 30, high: 150, max: 59 },
  db: { low: 40, high: 210, max: 19 },
};

export interface LabHost {
  name: string;
  group: LabGroup;
  index: number;
  address: string;
  /** Last octet of the address; also names the host's veth in the root namespace. */
  octet: number;
}

const NAME = /^(lb|web|app|db)-(\d{2})$/;

/** The host a lab name stands for, or a LabError that says which names are valid. */
export function labHost(name: string): LabHost {
  const m = NAME.exec(name);
  const group = m?.[1] as LabGroup | undefined;
  const index = m ? Number(m[2]) : 0;
  if (!group || index < 1 || index > BLOCKS[group].max) {
    throw new LabError(
      `not a lab host name: '${name}' (use lb-01..lb-19, web-01..web-59, app-01..app-59 or db-01..db-19)`,
    );
  }
  const block = BLOCKS[group];
  const octet = index <= 9 ? block.low + index : block.high + index;
  return { name, group, index, address: `${LAB_SUBNET_PREFIX}.${octet}`, octet };
}

/**
 * Parses `--hosts`: comma-separated names, each either one host or a range `web-01..web-20`.
 * Order is kept, duplicates dropped.
 */
export function parseHostList(spec: string): LabHost[] {
  const names: string[] = [];
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const range = /^(.+?)\.\.(.+)$/.exec(item);
    if (!range) {
      names.push(item);
      continue;
    }
    const from = labHost(range[1]!);
    const to = labHost(range[2]!);
    if (from.group !== to.group || from.index > to.index) {
      throw new LabError(`bad host range '${item}' (write e.g. web-01..web-20)`);
    }
    for (let i = from.index; i <= to.index; i++) names.push(`${from.group}-${String(i).padStart(2, '0')}`);
  }
  const hosts = [...new Set(names)].map(labHost);
  if (hosts.length === 0) throw new LabError('--hosts names no host');
  return hosts;
}

/** Network namespace of a host: `/run/netns/lab-<name>`. */
export function netnsName(host: Pick<LabHost, 'name'>): string {
  return `lab-${host.name}`;
}

/** The root-namespace end of a host's veth pair (≤ 15 characters, unique by address). */
export function vethName(host: Pick<LabHost, 'octet'>): string {
  return `slab${host.octet}`;
}

/**
 * The MAC of a host's eth0: locally administered and derived from its address (02:0a:4d:00:00:<octet>), so
 * it survives a reset and the control machine's ARP entry for the host never goes stale.
 */
export function macAddress(host: Pick<LabHost, 'octet'>): string {
  return `02:0a:4d:00:00:${host.octet.toString(16).padStart(2, '0')}`;
}

/** Whether a network namespace name is one the lab creates (used to clean up after a crash). */
export function isLabNetns(name: string): boolean {
  if (!name.startsWith('lab-')) return false;
  try {
    labHost(name.slice(4));
    return true;
  } catch {
    return false;
  }
}

/** Whether a link name is a lab veth (`slab<octet>`). */
export function isLabVeth(name: string): boolean {
  return /^slab\d{1,3}$/.test(name);
}
