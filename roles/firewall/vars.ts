// The firewall role's variables and the rules it derives from the inventory: each tier accepts its
// service port only from the tier in front of it.
import type { Host, Inventory } from '../../src/core/model.ts';
import { haproxyDefaults, type HaproxyVars } from '../haproxy/vars.ts';
import { ipv4ToNumber } from '../lib/net.ts';
import { varsFor } from '../lib/vars.ts';
import { type SharedVars, sharedVars } from '../shared-vars.ts';

export type FirewallVars = Pick<
  SharedVars,
  'lb_group' | 'web_group' | 'app_group' | 'db_group' | 'nginx_port' | 'app_port' | 'mysql_port'
> &
  Pick<HaproxyVars, 'haproxy_frontend_port' | 'haproxy_stats_port'> & {
    /** SSH port: always open (the engine's own way in). */
    firewall_ssh_port: number;
    /** IPv4 addresses/networks allowed to SSH; empty = anyone. */
    firewall_ssh_sources: string[];
    /** Extra IPv4 addresses/networks (control node, monitoring) allowed to every tier's service port and the stats page. */
    firewall_admin_sources: string[];
  };

export const firewallDefaults: FirewallVars = {
  ...sharedVars('lb_group', 'web_group', 'app_group', 'db_group', 'nginx_port', 'app_port', 'mysql_port'),
  haproxy_frontend_port: haproxyDefaults.haproxy_frontend_port,
  haproxy_stats_port: haproxyDefaults.haproxy_stats_port,
  firewall_ssh_port: 22,
  firewall_ssh_sources: [],
  firewall_admin_sources: [],
};

export interface FirewallRule {
  /** Why the rule exists, shown as the rule's nft comment. */
  comment: string;
  /** `tcp` with a port, or `vrrp` (IP protocol 112). */
  proto: 'tcp' | 'vrrp';
  port?: number;
  /** IPv4 sources; null = any source. An empty list yields no rule. */
  sources: string[] | null;
}

/** The accept rules of `host`, from the groups it is in. */
export function firewallRules(vars: FirewallVars, host: Host, hostsIn: (group: string) => Host[]): FirewallRule[] {
  const admin = vars.firewall_admin_sources;
  const addresses = (group: string, exclude?: string) =>
    hostsIn(group).filter((h) => h.name !== exclude).map((h) => h.address);
  const inGroup = (group: string) => hostsIn(group).some((h) => h.name === host.name);
  const rules: FirewallRule[] = [
    { comment: 'ssh', proto: 'tcp', port: vars.firewall_ssh_port, sources: vars.firewall_ssh_sources.length ? vars.firewall_ssh_sources : null },
  ];
  if (inGroup(vars.lb_group)) {
    rules.push({ comment: 'http on the VIP from anyone', proto: 'tcp', port: vars.haproxy_frontend_port, sources: null });
    rules.push({ comment: 'haproxy stats (password protected)', proto: 'tcp', port: vars.haproxy_stats_port, sources: admin.length ? admin : null });
    rules.push({ comment: 'vrrp from the other load balancers', proto: 'vrrp', sources: addresses(vars.lb_group, host.name) });
  }
  if (inGroup(vars.web_group)) {
    rules.push({ comment: `nginx from the load balancers`, proto: 'tcp', port: vars.nginx_port, sources: [...addresses(vars.lb_group), ...admin] });
  }
  if (inGroup(vars.app_group)) {
    rules.push({ comment: 'app from the web hosts', proto: 'tcp', port: vars.app_port, sources: [...addresses(vars.web_group), ...admin] });
  }
  if (inGroup(vars.db_group)) {
    rules.push({ comment: 'mysql from the app hosts', proto: 'tcp', port: vars.mysql_port, sources: [...addresses(vars.app_group), ...admin] });
  }
  return rules;
}

const SOURCE = /^(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?$/;

/** Checks made before connecting: every address that reaches an nft rule is an IPv4 address or network. */
export function validateFirewall(inventory: Inventory, hosts: Host[], defaults: FirewallVars = firewallDefaults): string[] {
  const problems: string[] = [];
  for (const host of inventory.hosts.values()) {
    if (ipv4ToNumber(host.address) === null) {
      problems.push(`host ${host.name}: address '${host.address}' is not an IPv4 address; firewall rules need one`);
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
        const [ip] = String(s).split('/');
        if (!SOURCE.test(String(s)) || ipv4ToNumber(ip!) === null) problems.push(`${host.name}: ${key}: '${s}' is not an IPv4 address or network`);
      }
    }
  }
  return [...new Set(problems)];
}
