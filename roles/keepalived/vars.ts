// The keepalived role's variables, the per-host values derived from the lb group (priority, state,
// peers, interface), and the cluster invariants checked before connecting.
import { type Facts, type Host, type Inventory, StepError, vars, z } from 'scaleup';
import { interfaceHolding, ipv4ToNumber, sameSubnet } from '../lib/net.ts';
import { secretText, secretVar } from '../lib/secret-value.ts';
import { groupHosts, varsFor } from '../lib/vars.ts';
import { sharedVars } from '../shared-vars.ts';

export const keepalivedVariables = z.object({
  ...sharedVars('vip', 'vip_prefix', 'lb_group', 'haproxy_ready_port'),
  keepalived_virtual_router_id: z.number().int().min(1).max(255).default(51)
    .describe('VRRP virtual router id (1–255), the same on every lb host and unique on the network segment.'),
  keepalived_priority: z.number().int().min(1).max(254).nullable().default(null)
    .describe('VRRP priority of this host; null = derived from its position in the lb group (first: 150, then 140…).'),
  keepalived_vrrp_version: z.literal([2, 3]).default(3)
    .describe('VRRP version: 3 (RFC 5798: sub-second adverts, no authentication) or 2 (whole seconds, PASS authentication).'),
  keepalived_auth_pass: vars.secret('VRRPv2 only: password (secret, at most 8 characters: PASS authentication keeps only 8); unset with version 3.'),
  keepalived_interface: vars.text('', "Interface carrying the VIP; empty = the interface holding the host's address (from facts)."),
  keepalived_advert_int: z.number().positive().default(0.5)
    .describe('Seconds between VRRP advertisements (version 3: 0.01–40.95; version 2: whole seconds). A peer takes over after 3 missed.'),
  keepalived_check_interval: z.number().positive().default(1).describe('Seconds between runs of the HAProxy check script.'),
  keepalived_check_fall: vars.count(2, 'Failed checks before this host gives the VIP up.'),
  keepalived_check_rise: vars.count(2, 'Passed checks before it may take the VIP again.'),
});

export type KeepalivedVars = z.output<typeof keepalivedVariables>;
export const keepalivedDefaults: KeepalivedVars = keepalivedVariables.parse({});

export const CHECK_SCRIPT = '/etc/keepalived/check_haproxy.sh';
/** Exits 0 while HAProxy's readiness URI answers 200 (a web host is UP). */
export const READY_SCRIPT = '/etc/keepalived/check_haproxy_ready.sh';
/** Holds 0, or 1 while this host hands the VIP over (keepalived `track_file`: non-zero = FAULT). */
export const HANDOVER_FILE = '/run/haproxy-vip-handover';
/** Run by haproxy.service before HAProxy stops (systemd `ExecStop=`): moves the VIP away first. */
export const HANDOVER_SCRIPT = '/etc/keepalived/haproxy-vip-handover.sh';
export const HAPROXY_DROPIN_DIR = '/etc/systemd/system/haproxy.service.d';
export const KEEPALIVED_DROPIN_DIR = '/etc/systemd/system/keepalived.service.d';

const PRIORITY_FIRST = 150;
const PRIORITY_STEP = 10;

/** The priority of the lb host at `index` in its group, unless a host variable sets it. */
export function priorityOf(vars: KeepalivedVars, index: number): number {
  return typeof vars.keepalived_priority === 'number' ? vars.keepalived_priority : PRIORITY_FIRST - PRIORITY_STEP * index;
}

export interface VrrpPeer {
  host: Host;
  priority: number;
}

/** Every lb host with its priority, in inventory order. */
export function vrrpPeers(lbHosts: Host[], defaults: KeepalivedVars = keepalivedDefaults): VrrpPeer[] {
  return lbHosts.map((host, i) => ({ host, priority: priorityOf(varsFor(defaults, host), i) }));
}

/** The values keepalived.conf needs for `host`: its state, priority, peers and VIP interface. */
export function keepalivedTemplateVars(vars: KeepalivedVars, host: Host, facts: Facts, lbHosts: Host[]) {
  const peers = vrrpPeers(lbHosts);
  const self = peers.find((p) => p.host.name === host.name);
  if (!self) throw new StepError(`keepalived: ${host.name} is not in group '${vars.lb_group}'`);
  const priority = self.priority;
  const highest = Math.max(...peers.map((p) => p.priority));
  const iface = vars.keepalived_interface || interfaceHolding(facts, host.privateAddress)?.name;
  if (!iface) {
    throw new StepError(
      `keepalived: no interface of ${host.name} holds ${host.privateAddress} (facts: ${JSON.stringify(facts.interfaces)}); set keepalived_interface`,
    );
  }
  return {
    state: priority === highest ? 'MASTER' : 'BACKUP',
    priority,
    vrrp_interface: iface,
    peers: peers.filter((p) => p.host.name !== host.name).map((p) => p.host.privateAddress),
    check_script: CHECK_SCRIPT,
    ready_script: READY_SCRIPT,
    // While HAProxy sees no web host UP, this host drops below every peer (which keep their order).
    ready_weight: -(highest - Math.min(...peers.map((p) => p.priority)) + 1),
    handover_file: HANDOVER_FILE,
    handover_script: HANDOVER_SCRIPT,
    // A Secret: revealed only where the template renders it.
    auth_pass: vars.keepalived_vrrp_version === 2 ? secretVar(vars.keepalived_auth_pass, 'keepalived_auth_pass') : undefined,
  };
}

const AUTH_PASS = /^[\x21-\x7e]{1,8}$/;

/**
 * Cluster invariants, checked before any connection: at least two lb hosts, one IPv4 VIP inside their
 * subnet, distinct priorities, one VRID in 1–255, one VRRP version and advert interval valid for it,
 * an auth password (version 2 only) of at most 8 characters.
 */
export function validateKeepalived(inventory: Inventory, hosts: Host[], defaults: KeepalivedVars = keepalivedDefaults): string[] {
  const problems: string[] = [];
  const group = String(varsFor(defaults, hosts[0] ?? ({ vars: {} } as Host)).lb_group);
  const lb = groupHosts(inventory, group);
  for (const host of hosts) {
    if (!lb.some((h) => h.name === host.name)) problems.push(`${host.name}: keepalived runs only on hosts of group '${group}'`);
  }
  if (lb.length < 2) {
    problems.push(`group '${group}' has ${lb.length} host(s): keepalived needs at least two load balancers`);
    return problems;
  }
  const all = lb.map((host) => ({ host, v: varsFor(defaults, host) }));

  const vips = new Set(all.map(({ v }) => String(v.vip)));
  if (vips.size > 1) problems.push(`vip differs between lb hosts (${[...vips].join(', ')}): there is one VIP per cluster`);
  for (const { host, v } of all) {
    const vip = String(v.vip);
    const prefix = Number(v.vip_prefix);
    if (!Number.isInteger(prefix) || prefix < 1 || prefix > 32) {
      problems.push(`${host.name}: vip_prefix ${v.vip_prefix} is not a prefix length (1–32)`);
    } else if (ipv4ToNumber(vip) === null) {
      problems.push(`${host.name}: vip '${vip}' is not an IPv4 address`);
    } else if (ipv4ToNumber(host.privateAddress) === null) {
      problems.push(`${host.name}: address '${host.privateAddress}' is not an IPv4 address; the VIP's subnet cannot be checked`);
    } else if (!sameSubnet(vip, host.privateAddress, prefix)) {
      problems.push(`${host.name}: vip ${vip} is not in the subnet of ${host.privateAddress}/${prefix}`);
    } else if ([...inventory.hosts.values()].some((h) => h.privateAddress === vip)) {
      problems.push(`vip ${vip} is also the address of a host`);
    }
  }

  const vrids = new Set(all.map(({ v }) => v.keepalived_virtual_router_id));
  if (vrids.size > 1) problems.push(`keepalived_virtual_router_id differs between lb hosts (${[...vrids].join(', ')}): one VRRP instance needs one VRID`);
  for (const id of vrids) {
    if (!Number.isInteger(id) || id < 1 || id > 255) problems.push(`keepalived_virtual_router_id ${id} must be an integer from 1 to 255`);
  }

  const peers = vrrpPeers(lb, defaults);
  for (const p of peers) {
    if (!Number.isInteger(p.priority) || p.priority < 1 || p.priority > 254) {
      problems.push(`${p.host.name}: keepalived_priority ${p.priority} must be an integer from 1 to 254`);
    }
  }
  const byPriority = new Map<number, string[]>();
  for (const p of peers) byPriority.set(p.priority, [...(byPriority.get(p.priority) ?? []), p.host.name]);
  for (const [priority, names] of byPriority) {
    if (names.length > 1) problems.push(`keepalived_priority ${priority} is shared by ${names.join(' and ')}: priorities must be distinct`);
  }

  for (const { host, v } of all) {
    // Written bare into keepalived.conf (and `dev <iface>`): an interface name, nothing else.
    if (v.keepalived_interface !== '' && !/^[A-Za-z0-9_.@:-]{1,15}$/.test(String(v.keepalived_interface))) {
      problems.push(`${host.name}: keepalived_interface '${v.keepalived_interface}' is not an interface name (e.g. eth0)`);
    }
  }
  const versions = new Set(all.map(({ v }) => v.keepalived_vrrp_version));
  if (versions.size > 1) problems.push(`keepalived_vrrp_version differs between lb hosts (${[...versions].join(', ')}): one VRRP instance speaks one version`);
  for (const { host, v } of all) {
    const version = v.keepalived_vrrp_version;
    if (version !== 2 && version !== 3) {
      problems.push(`${host.name}: keepalived_vrrp_version ${String(version)} must be 2 or 3`);
      continue;
    }
    const advert = v.keepalived_advert_int;
    if (version === 3 && !(typeof advert === 'number' && advert >= 0.01 && advert <= 40.95 && Number.isInteger(Math.round(advert * 1e6) / 1e4))) {
      problems.push(`${host.name}: keepalived_advert_int ${String(advert)} must be 0.01–40.95 seconds in steps of 0.01 (VRRPv3 counts centiseconds)`);
    }
    if (version === 2 && !(Number.isInteger(advert) && advert >= 1 && advert <= 255)) {
      problems.push(`${host.name}: keepalived_advert_int ${String(advert)} must be whole seconds from 1 to 255 with VRRPv2 (sub-second adverts need keepalived_vrrp_version: 3)`);
    }
    const text = secretText(v.keepalived_auth_pass);
    const hasPass = text !== undefined && text !== '';
    if (version === 3 && hasPass) {
      problems.push(`${host.name}: keepalived_auth_pass is set but VRRPv3 has no authentication (RFC 5798); remove it, or set keepalived_vrrp_version: 2`);
    } else if (version === 2 && !hasPass) {
      problems.push(`${host.name}: keepalived_auth_pass is required with keepalived_vrrp_version: 2`);
    } else if (version === 2 && text!.length > 8) {
      problems.push(`${host.name}: keepalived_auth_pass has ${text!.length} characters; VRRP uses at most 8`);
    } else if (version === 2 && (!AUTH_PASS.test(text!) || /["'#!\\]/.test(text!))) {
      problems.push(`${host.name}: keepalived_auth_pass must be printable ASCII without spaces, quotes, # ! or \\`);
    }
  }
  return [...new Set(problems.map(String))];
}
