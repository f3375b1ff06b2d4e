// The mysql role's variables, its per-distribution map, and the checks it makes before connecting.
import { type Facts, type Host, type Inventory, StepError, vars, z } from 'scaleup';
import { isIpAddress } from '../lib/net.ts';
import { groupHosts, varsFor } from '../lib/vars.ts';
import { sharedVars } from '../shared-vars.ts';
import type { SqlFlavor } from './sql-steps.ts';

export const mysqlVariables = z.object({
  ...sharedVars('app_group', 'db_group', 'mysql_primary', 'mysql_port', 'mysql_app_database', 'mysql_app_user', 'mysql_app_password'),
  mysql_replication_user: vars.text('replicator', 'MySQL user the replicas log in to the primary as; one account per replica address, allowed nothing but to replicate and to take the snapshot that seeds a replica.'),
  mysql_replication_password: vars.secret('Password of mysql_replication_user (secret: put it in the secrets file); needed once db_group has more than one host.'),
  mysql_server_id: vars.count(0, 'Replication server id, unique in the tier; 0 = derived from the host\'s private IPv4 address.', 0),
  mysql_backup_keep: vars.count(7, 'Backups of a host kept (the newest) by `provision db backup` and the scheduled backup.'),
  mysql_backup_schedule: vars.text('', 'When the db host backs itself up into /var/backups/scaleup-mysql (a systemd OnCalendar expression, e.g. `daily` or `*-*-* 03:00`); empty = never.'),
  mysql_binlog_expire_days: vars.count(7, 'Days the binary log (what replicas and point-in-time recovery read) is kept.'),
  mysql_bind_address: vars.text('', "Address the server listens on; empty = the host's private address (its inventory address)."),
  mysql_character_set: vars.text('utf8mb4', 'Server and app-database default character set.'),
  mysql_collation: vars.text('utf8mb4_unicode_ci', 'Server and app-database default collation.'),
  mysql_max_connections: vars.count(151, 'Maximum simultaneous client connections.'),
  mysql_innodb_buffer_pool_size: vars.text('128M', 'InnoDB buffer pool size (e.g. `128M`, `1G`): the main memory knob.'),
});

export type MysqlVars = z.output<typeof mysqlVariables>;
export const mysqlDefaults: MysqlVars = mysqlVariables.parse({});

export interface MysqlPlatform {
  packages: string[];
  service: string;
  /** The drop-in, named to sort after the distribution's own server settings so ours win. */
  dropIn: string;
  /** The drop-in that says primary or replica (read_only): changed without a restart. */
  roleDropIn: string;
  /** Client used for probes and SQL over the unix socket. */
  client: string;
  /** Dump client (a replica's seed, backups). */
  dump: string;
  flavor: SqlFlavor;
}

/** What each distribution calls things (chosen from facts.osId). */
export const mysqlPlatforms: Record<string, MysqlPlatform> = {
  debian: {
    packages: ['mariadb-server', 'mariadb-client'],
    service: 'mariadb',
    dropIn: '/etc/mysql/mariadb.conf.d/60-scaleup.cnf',
    roleDropIn: '/etc/mysql/mariadb.conf.d/61-scaleup-role.cnf',
    client: 'mysql',
    dump: 'mariadb-dump',
    flavor: 'mariadb',
  },
  ubuntu: {
    packages: ['mysql-server', 'mysql-client'],
    service: 'mysql',
    // mysql.conf.d/mysqld.cnf sets bind-address; files are read in name order.
    dropIn: '/etc/mysql/mysql.conf.d/scaleup.cnf',
    roleDropIn: '/etc/mysql/mysql.conf.d/scaleup-role.cnf',
    client: 'mysql',
    dump: 'mysqldump',
    flavor: 'mysql',
  },
};

export function mysqlPlatform(facts: Facts): MysqlPlatform {
  const platform = mysqlPlatforms[facts.osId];
  if (!platform) {
    throw new StepError(`mysql: unsupported OS '${facts.osId}' (supported: ${Object.keys(mysqlPlatforms).join(', ')})`);
  }
  return platform;
}

/** The host's replication server id: mysql_server_id, else its private IPv4 address as a number (unique on a network). */
export function serverId(vars: MysqlVars, host: Host): number {
  if (vars.mysql_server_id > 0) return vars.mysql_server_id;
  const parts = host.privateAddress.split('.').map(Number);
  const asNumber = parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255)
    ? ((parts[0]! * 256 + parts[1]!) * 256 + parts[2]!) * 256 + parts[3]! : 0;
  // 0 means "not set" to the server: never use it.
  return asNumber || 1;
}

/** Extra template locals of the drop-in. */
export function mysqlTemplateVars(vars: MysqlVars, host: Host) {
  return { bind_address: vars.mysql_bind_address || host.privateAddress, server_id: serverId(vars, host) };
}

const IDENTIFIER = /^[A-Za-z0-9_]{1,32}$/;

/** Checks made before connecting: names usable in SQL, and app hosts MySQL can match by address. */
export function validateMysql(inventory: Inventory, hosts: Host[], defaults: MysqlVars = mysqlDefaults): string[] {
  const problems: string[] = [];
  for (const host of hosts) {
    const v = varsFor(defaults, host);
    if (!IDENTIFIER.test(String(v.mysql_app_user))) {
      problems.push(`${host.name}: mysql_app_user '${v.mysql_app_user}' must be 1–32 letters, digits or _`);
    }
    if (!/^[A-Za-z0-9_]{1,64}$/.test(String(v.mysql_app_database))) {
      problems.push(`${host.name}: mysql_app_database '${v.mysql_app_database}' must be 1–64 letters, digits or _`);
    }
    const dbHosts = groupHosts(inventory, String(v.db_group));
    if (v.mysql_primary && !dbHosts.some((h) => h.name === v.mysql_primary)) {
      problems.push(`${host.name}: mysql_primary '${v.mysql_primary}' is not a host of group '${v.db_group}' (${dbHosts.map((h) => h.name).join(', ') || 'empty'})`);
    }
    if (dbHosts.length > 1 && (v.mysql_replication_password === null || v.mysql_replication_password === '')) {
      problems.push(`${host.name}: group '${v.db_group}' has ${dbHosts.length} hosts (a primary and replicas): mysql_replication_password must be set (in the secrets file)`);
    }
    if (!IDENTIFIER.test(String(v.mysql_replication_user))) {
      problems.push(`${host.name}: mysql_replication_user '${v.mysql_replication_user}' must be 1–32 letters, digits or _`);
    }
    for (const db of dbHosts) {
      if (!isIpAddress(db.privateAddress)) {
        problems.push(`${host.name}: db host ${db.name} has private address '${db.privateAddress}': the replication account is granted by IP, so db hosts need an IP address`);
      }
    }
    for (const app of groupHosts(inventory, String(v.app_group))) {
      if (!isIpAddress(app.privateAddress)) {
        problems.push(
          `${host.name}: app host ${app.name} has private address '${app.privateAddress}': MySQL accounts are granted by IP ` +
            '(skip-name-resolve), so app hosts need an IP address (set private_address when SSH goes to a name)',
        );
      }
    }
  }
  return [...new Set(problems)];
}
