// Variables that more than one tier reads (nginx proxies to the app's port, the app logs in with the
// user the mysql role creates, HAProxy and keepalived share the VIP). Each lives here once; a role
// picks the ones it reads into its defaults, so `apply --role nginx` renders exactly what a full run does.
import type { Host, Secret, Vars } from 'scaleup';

export type SharedVars = {
  /** Inventory group of the load balancers (HAProxy + keepalived). */
  lb_group: string;
  /** Inventory group of the web hosts (nginx): HAProxy's backend. */
  web_group: string;
  /** Inventory group of the app hosts: nginx's upstream, MySQL's grantees. */
  app_group: string;
  /** Inventory group of the database hosts; the app uses the first one. */
  db_group: string;
  /** Floating IPv4 address the load balancers share; HAProxy's frontend binds it. */
  vip: string;
  /** Prefix length of the VIP on the lb hosts' interface (the VIP must be inside the lb hosts' subnet). */
  vip_prefix: number;
  /** TCP port of HAProxy's readiness URI on 127.0.0.1 (200 while a web host is UP); keepalived polls it. */
  haproxy_ready_port: number;
  /** TCP port nginx listens on; HAProxy's backend port. */
  nginx_port: number;
  /** TCP port the app listens on (on its host's private address); nginx's upstream port. */
  app_port: number;
  /** TCP port MySQL listens on; the app connects to it. */
  mysql_port: number;
  /** The app's database. */
  mysql_app_database: string;
  /** MySQL user the app logs in as; one account `user`@`<app host address>` per app host. */
  mysql_app_user: string;
  /** Password of the app's MySQL user (secret: put it in the secrets file). */
  mysql_app_password: Secret | string | null;
};

export const sharedDefaults: SharedVars = {
  lb_group: 'lb',
  web_group: 'web',
  app_group: 'app',
  db_group: 'db',
  vip: '',
  vip_prefix: 24,
  haproxy_ready_port: 8405,
  nginx_port: 80,
  app_port: 3000,
  mysql_port: 3306,
  mysql_app_database: 'scaleup',
  mysql_app_user: 'app',
  mysql_app_password: null,
};

/** The shared defaults a role reads, to spread into its own `defaults`. */
export function sharedVars<K extends keyof SharedVars>(...keys: K[]): Pick<SharedVars, K> {
  const picked = {} as Pick<SharedVars, K>;
  for (const key of keys) picked[key] = sharedDefaults[key];
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
export function tierMembers(hosts: Host[], varsOf: (host: Host) => Vars, port: 'nginx_port' | 'app_port' | 'mysql_port'): TierMember[] {
  return hosts.map((h) => ({ name: h.name, address: h.privateAddress, port: Number(varsOf(h)[port] ?? sharedDefaults[port]) }));
}
