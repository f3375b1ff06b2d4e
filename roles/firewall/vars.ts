// The firewall role's variables and the rules it derives from the inventory: each tier accepts its
// service port only from the tier in front of it (db ← app ← web ← lb ← anyone), addresses taken from
// the inventory's groups; SSH from firewall_ssh_sources; the HAProxy stats page from
// firewall_admin_sources only.
import { type Host, type Inventory, vars, z } from 'scaleup';
import { haproxyVariables } from '../haproxy/vars.ts';
import { ipv4ToNumber } from '../lib/net.ts';
import { varsFor } from '../lib/vars.ts';
import { sharedVars } from '../shared-vars.ts';
import { mergeSources, parseSource } from './sources.ts';

export const firewallVariables = z.object({
  ...sharedVars('lb_group', 'web_group', 'app_group', 'db_group', 'nginx_port', 'app_port', 'app_surge_port', 'mysql_port'),
  haproxy_frontend_port: haproxyVariables.shape.haproxy_frontend_port,
  haproxy_stats_port: haproxyVariables.shape.haproxy_stats_port,
  haproxy_tls_port: haproxyVariables.shape.haproxy_tls_port,
  tls_mode: haproxyVariables.shape.tls_mode,
  firewall_ssh_port: vars.port(22, "Port sshd listens on: the only port open on every host (the engine's own way in)."),
  firewall_ssh_sources: vars.list([], 'IPv4 addresses/networks allowed to SSH; empty = anyone. A run that would close SSH to itself refuses.'),
  firewall_admin_sources: vars.list([],
    "IPv4 addresses/networks (control node, monitoring) allowed to the HAProxy stats page and every tier's service port; empty = the stats page is closed."),
});

export type FirewallVars = z.output<typeof firewallVariables>;
export const firewallDefaults: FirewallVars = firewallVariables.parse({});

export interface FirewallRule {
  /** Why the rule exists, shown as the rule's nft comment. */
  comment: string;
  /** `tcp` with a port, or `vrrp` (IP protocol 112). */
  proto: 'tcp' | 'vrrp';
  port?: number;
  /** IPv4 sources (merged: no overlap, as nft wants a set); null = any source; [] = no rule. */
  sources: string[] | null;
  /** With no sources: why the port stays closed (printed in the file instead of the rule). */
  closed?: string;
}

/** The accept rules of `host`, from the groups it is in. */
export function firewallRules(vars: FirewallVars, host: Host, hostsIn: (group: string) => Host[]): FirewallRule[] {
  const admin = vars.firewall_admin_sources;
  const addresses = (group: string, exclude?: string) =>
    hostsIn(group).filter((h) => h.name !== exclude).map((h) => h.privateAddress);
  const inGroup = (group: string) => hostsIn(group).some((h) => h.name === host.name);
  /** The tier in front of `group` (plus the admin sources) may reach `port`. */
  const fromTier = (comment: string, port: number, group: string): FirewallRule => ({
    comment, proto: 'tcp', port, sources: mergeSources([...addresses(group), ...admin]),
    closed: `no host in group '${group}'`,
  });

  const rules: FirewallRule[] = [
    vars.firewall_ssh_sources.length
      ? { comment: 'ssh from firewall_ssh_sources', proto: 'tcp', port: vars.firewall_ssh_port, sources: mergeSources(vars.firewall_ssh_sources) }
      : { comment: 'ssh', proto: 'tcp', port: vars.firewall_ssh_port, sources: null },
  ];
  if (inGroup(vars.lb_group)) {
    rules.push({ comment: 'http on the VIP from anyone', proto: 'tcp', port: vars.haproxy_frontend_port, sources: null });
    if (vars.tls_mode !== 'off') rules.push({ comment: 'https on the VIP from anyone', proto: 'tcp', port: vars.haproxy_tls_port, sources: null });
    rules.push({
      comment: 'haproxy stats from firewall_admin_sources', proto: 'tcp', port: vars.haproxy_stats_port, sources: mergeSources(admin),
      closed: 'firewall_admin_sources is empty',
    });
    // keepalived talks unicast VRRP (IP protocol 112) from each peer's own address
    // (unicast_src_ip): nothing else passes between the peers. ARP (the VIP moving) is not IP.
    rules.push({
      comment: 'vrrp from the other load balancers', proto: 'vrrp', sources: mergeSources(addresses(vars.lb_group, host.name)),
      closed: 'no other load balancer in the inventory',
    });
  }
  if (inGroup(vars.web_group)) rules.push(fromTier('nginx from the load balancers', vars.nginx_port, vars.lb_group));
  if (inGroup(vars.app_group)) {
    rules.push(fromTier('app from the web hosts', vars.app_port, vars.web_group));
    // A deploy's surge instance (roles/app): nginx's backup upstream.
    rules.push(fromTier('app surge port from the web hosts', vars.app_surge_port, vars.web_group));
  }
  if (inGroup(vars.db_group)) {
    rules.push(fromTier('mysql from the app hosts', vars.mysql_port, vars.app_group));
    // Replication (roles/mysql): a replica connects to the primary; any db host may be promoted.
    const otherDbs = addresses(vars.db_group, host.name);
    if (otherDbs.length) rules.push({ comment: 'mysql from the other db hosts (replication)', proto: 'tcp', port: vars.mysql_port, sources: mergeSources(otherDbs) });
  }
  return rules;
}

/** Checks made before connecting: every address that reaches an nft rule is an IPv4 address or network. */
export function validateFirewall(inventory: Inventory, hosts: Host[], defaults: FirewallVars = firewallDefaults): string[] {
  const problems: string[] = [];
  for (const host of inventory.hosts.values()) {
    if (ipv4ToNumber(host.privateAddress) === null) {
      problems.push(`host ${host.name}: address '${host.privateAddress}' is not an IPv4 address; firewall rules need one`);
    }
  }
  for (const host of hosts) {
    const v = varsFor(defaults, host);
    for (const key of ['firewall_ssh_sources', 'firewall_admin_sources'] as const) {
      const list = v[key];
      if (!Array.isArray(list)) {
        problems.push(`${host.name}: ${key} must be a list of IPv4 addresses or networks`);
        continue;
      }
      for (const s of list) {
        if (parseSource(String(s)) === null) problems.push(`${host.name}: ${key}: '${s}' is not an IPv4 address or network`);
      }
    }
    const port = v.firewall_ssh_port;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push(`${host.name}: firewall_ssh_port ${port} must be a TCP port (1–65535)`);
    }
  }
  return [...new Set(problems)];
}
