// The app role's variables, the release it ships (built from files on the control node), and the
// values its templates need.
import path from 'node:path';
import { quote, type Host, type Inventory, type Vars, vars, z } from 'scaleup';
import { readTree, type Tree } from '../lib/tree.ts';
import { groupHosts, varsFor } from '../lib/vars.ts';
import { sharedVars, tierMembers } from '../shared-vars.ts';

export const appVariables = z.object({
  ...sharedVars('db_group', 'app_port', 'mysql_port', 'mysql_app_database', 'mysql_app_user', 'mysql_app_password'),
  app_name: vars.text('counter', 'Name of the app: /opt/<name>, /etc/<name>/env and the service are named after it.'),
  app_source: vars.text('counter', "Directory of the app's files on the control node, relative to roles/app/files/ (or absolute)."),
  app_user: vars.text('counter', 'System user (and group) the app runs as; it owns nothing it runs from or is configured by.'),
  app_bind_address: vars.text('', "Address the app listens on; empty = the host's private address."),
  app_db_host: vars.text('', 'Database host; empty = the address of the first host of `db_group`.'),
  app_db_pool_size: vars.count(10, "Size of the app's MySQL connection pool."),
  app_node_env: vars.text('production', 'NODE_ENV of the service.'),
  app_releases_keep: vars.count(3, 'Releases kept in /opt/<name>/releases, the current one included (at least 2: one to roll back to).', 2),
});

export type AppVars = z.output<typeof appVariables>;
export const appDefaults: AppVars = appVariables.parse({});

export interface Release {
  /** Short sha256 of the app's files: the release directory's name. */
  id: string;
  tree: Tree;
}

/** Reads the app from the control node (`source` relative to the role's files/); the same files always make the same release id. */
export function readRelease(roleDir: string, source: string): Release {
  const dir = path.resolve(roleDir, 'files', source);
  const tree = readTree(dir);
  if (tree.files.length === 0) throw new Error(`app: no files in ${dir}`);
  return { id: tree.sha256.slice(0, 12), tree };
}

/** Where things live on the host. */
export function appPaths(name: string, releaseId: string) {
  const root = `/opt/${name}`;
  return {
    root,
    releases: `${root}/releases`,
    release: `${root}/releases/${releaseId}`,
    current: `${root}/current`,
    configDir: `/etc/${name}`,
    envFile: `/etc/${name}/env`,
    unit: `/etc/systemd/system/${name}.service`,
    initScript: `/etc/init.d/${name}`,
    respawn: `/usr/local/sbin/${name}-respawn`,
    logDir: `/var/log/${name}`,
    pidFile: `/run/${name}.pid`,
  };
}

/**
 * A value for the env file, double-quoted with `\` before `\ " $ \``: POSIX sh (which the sysv wrapper
 * sources it with) and systemd's EnvironmentFile= both read exactly `s` back.
 */
export function envQuote(s: string): string {
  return '"' + s.replace(/[\\"$`]/g, '\\$&') + '"';
}

/** Template locals shared by the env file, the unit, the init script and its wrapper. */
export function appTemplateVars(vars: AppVars, host: Host, hostsIn: (group: string) => Host[], varsOf: (host: Host) => Vars, releaseId = '') {
  // The database is the first db host, on the port its own MySQL listens on; app_db_host names another.
  const db = tierMembers(hostsIn(vars.db_group), varsOf, 'mysql_port')[0];
  return {
    paths: appPaths(vars.app_name, releaseId),
    bind_address: vars.app_bind_address || host.privateAddress,
    db_host: vars.app_db_host || db?.address || '',
    db_port: vars.app_db_host || !db ? vars.mysql_port : db.port,
    envQuote,
  };
}

/**
 * Shell snippets that remove releases beyond the newest `keep` (by mtime), never the current one,
 * and only directories named like a release; `unless` holds once at most `keep` are left.
 */
export function pruneCommand(paths: { releases: string; current: string }, keep: number): { command: string; unless: string } {
  const ours = "grep -E '^[0-9a-f]{12}$'";
  const releases = quote(paths.releases);
  return {
    command:
      `cd ${releases} && current=$(basename "$(readlink -f ${quote(paths.current)})") && ` +
      `ls -1t | ${ours} | grep -vxF "$current" | tail -n +${keep} | xargs -r rm -rf --`,
    unless: `[ "$(ls -1 ${releases} | ${ours} | wc -l)" -le ${keep} ]`,
  };
}

const NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Checks made before connecting. */
export function validateApp(inventory: Inventory, hosts: Host[], defaults: AppVars = appDefaults): string[] {
  const problems: string[] = [];
  for (const host of hosts) {
    const v = varsFor(defaults, host);
    if (!NAME.test(String(v.app_name))) problems.push(`${host.name}: app_name '${v.app_name}' must match ${NAME.source}`);
    if (!NAME.test(String(v.app_user))) problems.push(`${host.name}: app_user '${v.app_user}' must match ${NAME.source}`);
    if (!Number.isInteger(v.app_releases_keep) || v.app_releases_keep < 2) {
      problems.push(`${host.name}: app_releases_keep must be an integer ≥ 2 (the current release and one to roll back to)`);
    }
    if (!v.app_db_host && groupHosts(inventory, String(v.db_group)).length === 0) {
      problems.push(`${host.name}: no database host: group '${v.db_group}' is empty and app_db_host is not set`);
    }
  }
  return [...new Set(problems)];
}
