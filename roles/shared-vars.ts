// Variables that more than one tier reads (nginx proxies to the app's port, the app logs in with the
// user the mysql role creates, HAProxy and keepalived share the VIP). Each lives here once; a role
// picks the ones it reads into its `variables`, so `apply --role nginx` renders exactly what a full run does.
import { isIPv4 } from 'node:net';
import { type Host, type Vars, vars, z } from 'scaleup';

export const sharedVariables = {
  lb_group: vars.text('lb', 'Inventory group of the load balancers (HAProxy + keepalived).'),
  web_group: vars.text('web', "Inventory group of the web hosts (nginx): HAProxy's backend."),
  app_group: vars.text('app', "Inventory group of the app hosts: nginx's upstream, MySQL's grantees."),
  db_group: vars.text('db', 'Inventory group of the database hosts: the primary (mysql_primary, else the first) and its replicas.'),
  mysql_primary: vars.text('', 'Name of the primary database host (it takes the writes; the app uses it); empty = the first host of db_group. Every other db host is a replica of it.'),
  // Checked where it is set (every host that reads it), before connecting: keepalived takes only IPv4.
  vip: z.string().refine((v) => v === '' || isIPv4(v), { error: 'must be an IPv4 address' }).default('')
    .describe("Floating IPv4 address the load balancers share; HAProxy's frontend binds it."),
  vip_prefix: z.number().int().min(1).max(32).default(24)
    .describe("Prefix length of the VIP on the lb hosts' interface (the VIP must be inside the lb hosts' subnet)."),
  haproxy_ready_port: vars.port(8405, "TCP port of HAProxy's readiness URI on 127.0.0.1 (200 while a web host is UP); keepalived polls it."),
  nginx_port: vars.port(80, "TCP port nginx listens on; HAProxy's backend port."),
  app_port: vars.port(3000, "TCP port the app listens on (on its host's private address); nginx's upstream port."),
  app_surge_port: vars.port(3001, "Second TCP port of the app on each app host: a deploy runs the new release there while the app on app_port restarts; nginx's backup upstream."),
  mysql_port: vars.port(3306, 'TCP port MySQL listens on; the app connects to it.'),
  mysql_app_database: vars.text('scaleup', "The app's database."),
  mysql_app_user: vars.text('app', 'MySQL user the app logs in as; one account `user`@`<app host address>` per app host.'),
  mysql_app_password: vars.secret("Password of the app's MySQL user (secret: put it in the secrets file)."),
};

/**
 * nginx's fail_timeout for an app host (roles/nginx site.conf): how long it leaves a port that refused
 * alone. The app's switch waits a little longer than this before stopping its surge instance, so that
 * every nginx has taken the restarted app_port back.
 */
export const NGINX_FAIL_TIMEOUT_S = 5;

const sharedSchema = z.object(sharedVariables);
export type SharedVars = z.output<typeof sharedSchema>;
export const sharedDefaults: SharedVars = sharedSchema.parse({});

/** The primary of the db tier: the host `mysql_primary` names, else the group's first; undefined for an empty group. */
export function primaryOf(dbHosts: Host[], primaryName: string): Host | undefined {
  return primaryName ? dbHosts.find((h) => h.name === primaryName) : dbHosts[0];
}

/** The shared variables a role reads, to spread into its own `variables`. */
export function sharedVars<K extends keyof typeof sharedVariables>(...keys: K[]): Pick<typeof sharedVariables, K> {
  const picked = {} as Pick<typeof sharedVariables, K>;
  for (const key of keys) picked[key] = sharedVariables[key];
  return picked;
}

/** One host of a tier as another tier's config names it: its private address and its own port. */
export interface TierMember {
  name: string;
  address: string;
  port: number;
}

/**
 * The members of a tier with the port each one listens on, read from that host's own variables
 * (`port` is the shared variable, e.g. `nginx_port`): a group's `nginx_port: 8080` moves HAProxy's
 * backend with it.
 */
export function tierMembers(hosts: Host[], varsOf: (host: Host) => Vars, port: 'nginx_port' | 'app_port' | 'app_surge_port' | 'mysql_port'): TierMember[] {
  return hosts.map((h) => ({ name: h.name, address: h.privateAddress, port: Number(varsOf(h)[port] ?? sharedDefaults[port]) }));
}
