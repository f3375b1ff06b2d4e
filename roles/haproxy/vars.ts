// The haproxy role's variables, the quoting HAProxy's config needs, and the checks before connecting.
import { type Host, type Inventory, vars, z } from 'scaleup';
import { ipv4ToNumber } from '../lib/net.ts';
import { groupHosts, varsFor } from '../lib/vars.ts';
import { sharedVars } from '../shared-vars.ts';

export const haproxyVariables = z.object({
  ...sharedVars('vip', 'web_group', 'nginx_port', 'haproxy_ready_port'),
  haproxy_frontend_port: vars.port(80, 'Port of the public frontend on the VIP.'),
  haproxy_balance: vars.text('roundrobin', 'Load-balancing algorithm of the web backend (roundrobin, leastconn, source…).'),
  haproxy_maxconn: vars.count(4096, 'Global maximum of concurrent connections.'),
  haproxy_timeout_connect: vars.text('5s', 'Time to wait for a TCP connection to a web host.'),
  haproxy_timeout_client: vars.text('30s', 'Client inactivity timeout.'),
  haproxy_timeout_server: vars.text('30s', 'Server inactivity timeout.'),
  haproxy_check_interval: vars.text('2s', 'Interval between health checks of each web host (GET /healthz).'),
  haproxy_check_fall: vars.count(2, 'Failed checks before a web host is taken out of rotation.'),
  haproxy_check_rise: vars.count(2, 'Passed checks before it is put back.'),
  haproxy_stats_port: vars.port(8404, "Port of the stats page, bound to the host's private address (never the VIP)."),
  haproxy_stats_user: vars.text('admin', 'User name of the stats page.'),
  haproxy_stats_password: vars.secret('Password of the stats page (secret).'),
});

export type HaproxyVars = z.output<typeof haproxyVariables>;
export const haproxyDefaults: HaproxyVars = haproxyVariables.parse({});

/**
 * One word for haproxy.cfg: single-quoted (no escapes, no `$VAR` expansion inside), with a single
 * quote written as `'\''`, since HAProxy concatenates quoted and escaped parts of a word like sh.
 */
export function haproxyQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const TIME = /^[0-9]+(us|ms|s|m|h|d)?$/;

/** Checks made before connecting. */
export function validateHaproxy(inventory: Inventory, hosts: Host[], defaults: HaproxyVars = haproxyDefaults): string[] {
  const problems: string[] = [];
  for (const host of hosts) {
    const v = varsFor(defaults, host);
    if (ipv4ToNumber(String(v.vip)) === null) problems.push(`${host.name}: vip '${v.vip}' is not an IPv4 address`);
    if (groupHosts(inventory, String(v.web_group)).length === 0) {
      problems.push(`${host.name}: group '${v.web_group}' has no hosts: HAProxy's backend would be empty`);
    }
    for (const key of ['haproxy_timeout_connect', 'haproxy_timeout_client', 'haproxy_timeout_server', 'haproxy_check_interval'] as const) {
      if (!TIME.test(String(v[key]))) problems.push(`${host.name}: ${key} '${v[key]}' is not an HAProxy time (e.g. 5s, 500ms)`);
    }
    if (!/^[A-Za-z0-9._-]+$/.test(String(v.haproxy_stats_user))) {
      problems.push(`${host.name}: haproxy_stats_user '${v.haproxy_stats_user}' must be letters, digits, . _ or -`);
    }
    for (const key of ['haproxy_frontend_port', 'haproxy_stats_port', 'haproxy_ready_port'] as const) {
      const port = v[key];
      if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`${host.name}: ${key} ${String(port)} is not a TCP port (1–65535)`);
    }
    if (v.haproxy_stats_port === v.haproxy_frontend_port) {
      problems.push(`${host.name}: haproxy_stats_port must differ from haproxy_frontend_port`);
    }
    if (v.haproxy_ready_port === v.haproxy_frontend_port || v.haproxy_ready_port === v.haproxy_stats_port) {
      problems.push(`${host.name}: haproxy_ready_port must differ from haproxy_frontend_port and haproxy_stats_port`);
    }
  }
  return [...new Set(problems)];
}
