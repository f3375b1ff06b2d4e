// The mysql role's variables, its per-distribution map, and the checks it makes before connecting.
import { type Facts, type Host, type Inventory, StepError, vars, z } from 'scaleup';
import { isIpAddress } from '../lib/net.ts';
import { groupHosts, varsFor } from '../lib/vars.ts';
import { sharedVars } from '../shared-vars.ts';
import type { SqlFlavor } from './sql-steps.ts';

export const mysqlVariables = z.object({
  ...sharedVars('app_group', 'mysql_port', 'mysql_app_database', 'mysql_app_user', 'mysql_app_password'),
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
  /** Client used for probes and SQL over the unix socket. */
  client: string;
  flavor: SqlFlavor;
}

/** What each distribution calls things (chosen from facts.osId). */
export const mysqlPlatforms: Record<string, MysqlPlatform> = {
  debian: {
    packages: ['mariadb-server', 'mariadb-client'],
    service: 'mariadb',
    dropIn: '/etc/mysql/mariadb.conf.d/60-scaleup.cnf',
    client: 'mysql',
    flavor: 'mariadb',
  },
  ubuntu: {
    packages: ['mysql-server', 'mysql-client'],
    service: 'mysql',
    // mysql.conf.d/mysqld.cnf sets bind-address; files are read in name order.
    dropIn: '/etc/mysql/mysql.conf.d/scaleup.cnf',
    client: 'mysql',
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

/** Extra template locals of the drop-in. */
export function mysqlTemplateVars(vars: MysqlVars, host: Host): { bind_address: string } {
  return { bind_address: vars.mysql_bind_address || host.privateAddress };
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
