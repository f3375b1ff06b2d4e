// The app role's variables, the release it ships (built from files on the control node), and the
// values its templates need.
import path from 'node:path';
import { quote, type Host, type Inventory, type Vars, vars, z } from 'scaleup';
import { groupHosts, varsFor } from '../lib/vars.ts';
import { sharedVars, tierMembers } from '../shared-vars.ts';

export const appVariables = z.object({
  ...sharedVars('app_group', 'db_group', 'mysql_primary', 'app_port', 'app_surge_port', 'mysql_port', 'mysql_app_database', 'mysql_app_user', 'mysql_app_password'),
  app_name: vars.text('counter', 'Name of the app: /opt/<name>, /etc/<name>/env and the service are named after it.'),
  app_source: vars.text('', 'Folder of the app on the control node: relative to the project root (the folder of scaleup.yml), or absolute; empty = the sample app shipped with the role (files/counter).'),
  app_build: vars.text('', 'Shell command run on the control node in a clean copy of app_source before any host is contacted (e.g. `npm ci --omit=dev`); what it leaves is the release. Empty = no build.'),
  app_start: vars.text('node server.js', 'Command line that runs the app, in the release folder, as app_user (a shell command line).'),
  app_packages: vars.list(['nodejs', 'node-mysql'], 'Distribution packages the app needs on its hosts.'),
  app_env: vars.map('Extra environment variables of the app (name → value; a value may be a vault secret). Cannot redefine the contract\'s own variables.'),
  app_shared_dirs: vars.list([], 'Folders kept across releases: /opt/<name>/shared/<dir>, writable by app_user, linked into each release at <dir>.'),
  app_user: vars.text('counter', 'System user (and group) the app runs as; it owns nothing it runs from or is configured by.'),
  app_bind_address: vars.text('', "Address the app listens on; empty = the host's private address."),
  app_db_host: vars.text('', 'Database host; empty = the address of the first host of `db_group`.'),
  app_db_pool_size: vars.count(10, "Size of the app's MySQL connection pool."),
  app_node_env: vars.text('production', 'NODE_ENV of the service.'),
  app_health_path: vars.text('/healthz', 'HTTP path that answers 2xx once the app is ready: a deploy sends no traffic to a release before it does.'),
  app_health_timeout: vars.count(30, 'Seconds a new release (or a restart) has to answer app_health_path with 2xx before the deploy gives it up.', 1),
  app_migrate: vars.text('', 'Shell command run once per deploy, on the first app host, in the new release with its environment, before the release gets traffic (e.g. `node migrate.js`). Empty = none.'),
  app_release: z.string().regex(/^(|[0-9a-f]{12})$/, 'a release id: 12 hex digits, as `provision releases` lists them').default('').describe(
    'A release already on the app hosts to put live instead of building app_source (its 12-digit id, from `provision releases`): what `provision rollback` sets. Set in the inventory, it pins that release until removed. Empty = build and deploy app_source.',
  ),
  app_releases_keep: vars.count(3, 'Releases kept in /opt/<name>/releases, the current one included (at least 2: one to roll back to).', 2),
});

export type AppVars = z.output<typeof appVariables>;
export const appDefaults: AppVars = appVariables.parse({});

/** The app's folder on the control node: `app_source` from the project root, or the sample app. */
export function appSourceDir(source: string, ctx: { dir: string; projectRoot: string }): string {
  return source ? path.resolve(ctx.projectRoot, source) : path.join(ctx.dir, 'files', 'counter');
}

/** The environment the role gives every app (roles/app/README.md, "The environment contract"). */
export const CONTRACT_ENV = ['NODE_ENV', 'BIND_ADDRESS', 'PORT', 'DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD', 'DB_POOL_SIZE', 'DB_READ_HOSTS'];

/** Each shared folder's link in a release (relative path → /opt/<name>/shared/<dir>). */
export function sharedLinks(name: string, dirs: string[]): Record<string, string> {
  return Object.fromEntries(dirs.map((d) => [d, `${appPaths(name, '').shared}/${d}`]));
}

/** Where things live on the host. */
export function appPaths(name: string, releaseId: string) {
  const root = `/opt/${name}`;
  return {
    root,
    releases: `${root}/releases`,
    release: `${root}/releases/${releaseId}`,
    current: `${root}/current`,
    /** The release the surge instance runs during a switch. */
    next: `${root}/next`,
    shared: `${root}/shared`,
    releaseLog: `${root}/releases.log`,
    configDir: `/etc/${name}`,
    envFile: `/etc/${name}/env`,
    unit: `/etc/systemd/system/${name}.service`,
    initScript: `/etc/init.d/${name}`,
    respawn: `/usr/local/sbin/${name}-respawn`,
    logDir: `/var/log/${name}`,
    pidFile: `/run/${name}.pid`,
    surgeUnit: `/etc/systemd/system/${name}-surge.service`,
    surgeInitScript: `/etc/init.d/${name}-surge`,
    surgeRespawn: `/usr/local/sbin/${name}-surge-respawn`,
    surgePidFile: `/run/${name}-surge.pid`,
    switchScript: `/usr/local/sbin/${name}-switch`,
  };
}

/** One instance of the app under its init system: the live one on app_port, or the surge one. */
export interface AppInstance {
  /** Service name: `<name>` or `<name>-surge`. */
  service: string;
  surge: boolean;
  /** The folder it runs in: `current`, or `next` (the release being switched to). */
  dir: string;
  /** The port it listens on when it is not app_port (the env file's PORT); undefined for the live one. */
  port?: number;
  initScript: string;
  respawn: string;
  pidFile: string;
}

/** The live instance and the surge instance a switch starts beside it (app.switch.ejs). */
export function appInstances(name: string, surgePort: number): [AppInstance, AppInstance] {
  const p = appPaths(name, '');
  return [
    { service: name, surge: false, dir: p.current, initScript: p.initScript, respawn: p.respawn, pidFile: p.pidFile },
    { service: `${name}-surge`, surge: true, dir: p.next, port: surgePort, initScript: p.surgeInitScript, respawn: p.surgeRespawn, pidFile: p.surgePidFile },
  ];
}

/** Where the switch script asks for the health path: the bind address, or loopback for a wildcard. */
export function healthAddress(bind: string): string {
  return bind === '0.0.0.0' || bind === '' ? '127.0.0.1' : bind;
}

/** The command that puts `releaseDir` live through the switch script (app_migrate first when `migrate`). */
export function switchCommand(script: string, releaseDir: string, migrate: boolean): string {
  return [quote(script), ...(migrate ? ['--migrate'] : []), quote(releaseDir)].join(' ');
}

/**
 * A value for the env file, double-quoted with `\` before `\ " $ \``: POSIX sh (which the sysv wrapper
 * sources it with) and systemd's EnvironmentFile= both read exactly `s` back.
 */
export function envQuote(s: string): string {
  return '"' + s.replace(/[\\"$`]/g, '\\$&') + '"';
}

/**
 * `app_start` as a systemd ExecStart= value: run by /bin/sh (so that it is the same command line the
 * sysv wrapper runs), double-quoted for systemd, with `%` and `$` doubled so that systemd expands
 * neither specifiers nor variables of its own.
 */
export function systemdExec(start: string): string {
  const arg = `exec ${start}`.replace(/[\\"]/g, '\\$&').replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return `/bin/sh -c "${arg}"`;
}

/** Template locals shared by the env file, the unit, the init script and its wrapper. */
export function appTemplateVars(vars: AppVars, host: Host, hostsIn: (group: string) => Host[], varsOf: (host: Host) => Vars, releaseId = '') {
  // The database is the db tier's primary (mysql_primary, else the first db host), on the port its own
  // MySQL listens on; app_db_host names another. The other db hosts are its read-only replicas.
  // mysql_primary as the db hosts have it (it is usually set on their group, which the app hosts are not in).
  const dbHosts = hostsIn(vars.db_group);
  const primaryName = String((dbHosts[0] && varsOf(dbHosts[0]).mysql_primary) ?? vars.mysql_primary ?? '');
  const members = tierMembers(dbHosts, varsOf, 'mysql_port');
  const db = (primaryName && members.find((m) => m.name === primaryName)) || members[0];
  const replicas = members.filter((m) => m !== db);
  return {
    paths: appPaths(vars.app_name, releaseId),
    bind_address: vars.app_bind_address || host.privateAddress,
    db_host: vars.app_db_host || db?.address || '',
    db_port: vars.app_db_host || !db ? vars.mysql_port : db.port,
    // host:port of each replica, for an app that sends reads there (DB_READ_HOSTS).
    db_read_hosts: replicas.map((m) => `${m.address}:${m.port}`).join(','),
    envQuote,
    systemdExec,
    quote,
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
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SHARED_DIR = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

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
    const start = String(v.app_start ?? '');
    if (v.app_surge_port === v.app_port) problems.push(`${host.name}: app_surge_port ${v.app_surge_port} is app_port: a deploy needs a second port`);
    if (!/^\/[A-Za-z0-9._~\/?=&%-]*$/.test(String(v.app_health_path))) {
      problems.push(`${host.name}: app_health_path '${v.app_health_path}' must be a path starting with / (letters, digits, . _ ~ / ? = & % -)`);
    }
    if (!start.trim()) problems.push(`${host.name}: app_start is empty: it is the command line that runs the app`);
    for (const name of Object.keys((v.app_env ?? {}) as object)) {
      if (!ENV_NAME.test(name)) problems.push(`${host.name}: app_env name '${name}' must match ${ENV_NAME.source}`);
      else if (CONTRACT_ENV.includes(name)) problems.push(`${host.name}: app_env cannot set ${name}: the role sets it (the environment contract)`);
    }
    for (const dir of (v.app_shared_dirs ?? []) as string[]) {
      if (!SHARED_DIR.test(dir) || dir.split('/').some((p) => p === '.' || p === '..')) {
        problems.push(`${host.name}: app_shared_dirs entry '${dir}' must be a relative path of plain names (${SHARED_DIR.source})`);
      }
    }
    if (!v.app_db_host && groupHosts(inventory, String(v.db_group)).length === 0) {
      problems.push(`${host.name}: no database host: group '${v.db_group}' is empty and app_db_host is not set`);
    }
  }
  return [...new Set(problems)];
}

/**
 * Appends one JSON line to the host's release log when `current` switches: when (the host's clock),
 * which release, and where it came from. Only root writes it; anyone may read it.
 */
export function releaseLogCommand(log: string, entry: { release: string; action: 'deploy' | 'rollback' }): string {
  const rest = JSON.stringify(entry).slice(1);
  return `umask 022; { printf '{"at":"%s",' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"; printf '%s\\n' ${quote(rest)}; } >> ${quote(log)}`;
}
