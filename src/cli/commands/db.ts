// `provision db promote HOST`: a planned switchover of the db tier to one of its replicas
// (src/stack/db-promote.ts), then the app hosts moved to it with the app role's zero-downtime restart,
// and the inventory change that makes it permanent.
import type { Command } from 'commander';
import { InventoryError, UserAbort } from '../../core/errors.ts';
import { hostsInGroup } from '../../core/host-groups.ts';
import type { Connection } from '../../core/connection/connection.ts';
import { roleVars } from '../../core/role-plan.ts';
import { Secret } from '../../core/secret.ts';
import { primaryOf } from '../../../roles/shared-vars.ts';
import { failover, promote } from '../../stack/db-promote.ts';
import { backupName, expiredBackups, restoreBackup, takeBackup, userDatabases } from '../../stack/db-backup.ts';
import { onHostBackupScript } from '../../../roles/mysql/backup-script.ts';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ScaleupError } from '../../core/errors.ts';
import type { Host } from '../../core/model.ts';
import { connectOptions, type CommonFlags } from './common-flags.ts';
import { EXIT } from '../exit-codes.ts';
import { loadProject } from '../project.ts';
import { projectOptions } from './common-flags.ts';
import { applyOptions, runApply, type ApplyFlags } from './apply.ts';

const DB_ROLE = 'mysql';
const APP_ROLE = 'app';
/** The dump client, found on the host (MariaDB's name, else MySQL's). */
const DUMP = '"$(command -v mariadb-dump || command -v mysqldump)"';

/** The db tier as the inventory has it: its hosts, the primary, and the mysql role's variables of a host. */
async function dbTier(flags: CommonFlags) {
  const project = await loadProject(projectOptions({ ...flags, role: [DB_ROLE], limit: undefined }));
  const mysql = project.plays.flatMap((p) => p.roles).find((r) => r.name === DB_ROLE)!;
  const v = roleVars(mysql, project.plays.flatMap((p) => p.hosts)[0]!);
  const dbHosts = hostsInGroup(project.inventory)(String(v.db_group));
  const primary = primaryOf(dbHosts, String(v.mysql_primary ?? ''))!;
  const named = (name: string, field: string): Host => {
    const host = project.inventory.hosts.get(name);
    if (!host) throw new InventoryError(`no host '${name}' in ${project.inventory.file}`, { file: '(command line)', field });
    return host;
  };
  return { project, mysql, v, dbHosts, primary, named };
}

type BackupFlags = CommonFlags & { host?: string; to?: string; onHost?: boolean; keep?: string };

async function runBackup(flags: BackupFlags): Promise<number> {
  const { project, mysql, dbHosts, primary, named } = await dbTier(flags);
  // From a replica when there is one: the primary is not loaded by the dump.
  const host = flags.host ? named(flags.host, '--host') : (dbHosts.find((h) => h.name !== primary.name) ?? primary);
  const keep = flags.keep !== undefined ? Number(flags.keep) : Number(roleVars(mysql, host).mysql_backup_keep);
  if (!Number.isInteger(keep) || keep < 1) throw new InventoryError(`--keep must be a whole number ≥ 1, not '${flags.keep}'`, { file: '(command line)', field: '--keep' });
  const fromReplica = host.name !== primary.name && dbHosts.some((h) => h.name === host.name);
  const conn = await project.connect(host);
  try {
    if (flags.onHost) {
      const r = await conn.exec(onHostBackupScript(DUMP, fromReplica, `'${host.name}'`, keep), { timeoutMs: 3_600_000 });
      if (r.exitCode !== 0) throw new ScaleupError(`${host.name}: the backup failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
      const [name, sha] = r.stdout.trim().split(' ');
      process.stdout.write(`${host.name}: /var/backups/scaleup-mysql/${name} (sha256 ${sha}), the newest ${keep} kept\n`);
      return EXIT.ok;
    }
    const backup = await takeBackup(conn, host.name, DUMP, fromReplica);
    const dir = path.resolve(flags.to ?? path.join(project.settings.project.root, '.scaleup', 'backups'));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const name = backupName(host.name, new Date());
    const file = path.join(dir, name);
    writeFileSync(file, backup.gzip, { mode: 0o600 });
    writeFileSync(`${file}.sha256`, `${backup.sha256}  ${name}\n`, { mode: 0o600 });
    for (const old of expiredBackups(readdirSync(dir), host.name, keep)) {
      rmSync(path.join(dir, old), { force: true });
      rmSync(path.join(dir, `${old}.sha256`), { force: true });
    }
    process.stdout.write(
      `${host.name}${fromReplica ? ' (a replica)' : ''}: ${path.relative(process.cwd(), file) || file}  ${(backup.gzip.length / 1024).toFixed(1)} KiB  ` +
        `sha256 ${backup.sha256}  GTID ${backup.gtid ?? '?'}; the newest ${keep} kept\n`,
    );
    return EXIT.ok;
  } finally {
    await conn.close();
  }
}

async function runRestore(file: string, flags: CommonFlags & { host?: string; force?: boolean }): Promise<number> {
  if (!flags.host) throw new InventoryError('name the host to restore onto: --host HOST', { file: '(command line)', field: '--host' });
  const gzip = readFileSync(file);
  const sums = `${file}.sha256`;
  if (existsSync(sums)) {
    const want = readFileSync(sums, 'utf8').split(/\s+/)[0];
    const got = createHash('sha256').update(gzip).digest('hex');
    if (want !== got) throw new ScaleupError(`${file}: its checksum is ${got}, ${sums} says ${want}: not restored`);
  }
  const { project, named } = await dbTier(flags);
  const host = named(flags.host, '--host');
  const conn = await project.connect(host);
  try {
    const held = await userDatabases(conn);
    if (held > 0 && !flags.force) {
      throw new ScaleupError(`${host.name} holds ${held} database(s): refusing to restore over them (--force replaces what the backup holds)`);
    }
    await restoreBackup(conn, gzip);
    process.stdout.write(`${host.name}: restored ${path.basename(file)}; it holds ${await userDatabases(conn)} database(s)\n`);
    return EXIT.ok;
  } finally {
    await conn.close();
  }
}

/** True when the host's MySQL answers over SSH; a host that cannot be reached does not. */
async function primaryAnswers(connect: (h: Host) => Promise<Connection>, host: Host): Promise<boolean> {
  try {
    const conn = await connect(host);
    try {
      return (await conn.exec(`mysql -N -B -e 'SELECT 1'`, { timeoutMs: 10_000 })).exitCode === 0;
    } finally {
      await conn.close();
    }
  } catch (err) {
    if (err instanceof ScaleupError) return false;
    throw err;
  }
}

async function runPromote(name: string, flags: ApplyFlags & { force?: boolean }): Promise<number> {
  const project = await loadProject(projectOptions({ ...flags, role: [DB_ROLE], limit: undefined }));
  const mysql = project.plays.flatMap((p) => p.roles).find((r) => r.name === DB_ROLE)!;
  const anyDb = project.plays.flatMap((p) => p.hosts)[0]!;
  const v = roleVars(mysql, anyDb);
  const dbHosts = hostsInGroup(project.inventory)(String(v.db_group));
  const primary = primaryOf(dbHosts, String(v.mysql_primary ?? ''))!;
  const target = dbHosts.find((h) => h.name === name);
  const where = { file: '(command line)', field: 'db promote HOST' };
  if (!target) throw new InventoryError(`'${name}' is not a host of group '${v.db_group}' (${dbHosts.map((h) => h.name).join(', ')})`, where);
  if (target.name === primary.name) throw new InventoryError(`${name} is the primary already`, where);
  const password = roleVars(mysql, primary).mysql_replication_password;
  const secret = password instanceof Secret ? password : typeof password === 'string' && password ? new Secret(password) : undefined;
  if (!secret) throw new InventoryError('mysql_replication_password is not set (put it in the secrets file)', where);

  const interactive = Boolean(process.stdin.isTTY) && process.env.CI !== 'true';
  if (!flags.yes) {
    if (!interactive) {
      process.stderr.write('provision db promote: no terminal to confirm on; pass --yes\n');
      return EXIT.usage;
    }
    const { confirm } = await import('@inquirer/prompts');
    const go = await confirm({ message: `Make ${target.name} the primary instead of ${primary.name}? Writes stop for a few seconds.`, default: false }).catch(() => {
      throw new UserAbort();
    });
    if (!go) throw new UserAbort('not promoted');
  }

  const out = flags.json === '-' ? process.stderr : process.stdout;
  const say = (line: string) => out.write(`${line}\n`);
  const conns = new Map<string, Connection>();
  const replication = { user: String(v.mysql_replication_user), password: secret, port: (h: Host) => Number(roleVars(mysql, h).mysql_port) };
  try {
    if (flags.force) {
      // The primary is gone: it is only asked whether it is, and nothing is done to it.
      if (await primaryAnswers(project.connect, primary)) {
        throw new ScaleupError(`${primary.name} answers: use the planned switchover (without --force), which loses nothing`);
      }
      const replicas = dbHosts.filter((h) => h.name !== primary.name && h.name !== target.name);
      for (const host of [target, ...replicas]) {
        const conn = await project.connect(host);
        conns.set(host.name, conn);
        await conn.lock?.(`provision db promote ${target.name} --force`);
      }
      await failover({ target, lost: primary, replicas, conns, say, replication });
    } else {
      for (const host of dbHosts) {
        const conn = await project.connect(host);
        conns.set(host.name, conn);
        // Held until the end of the switchover: no run converges a db host meanwhile.
        await conn.lock?.(`provision db promote ${target.name}`);
      }
      await promote({ primary, target, dbHosts, conns, say, replication });
    }
  } finally {
    await Promise.all([...conns.values()].map((c) => c.close()));
  }

  // The app hosts to the new primary, each through the app's zero-downtime switch.
  say(`moving the app hosts to ${target.name}`);
  const code = await runApply({ ...flags, yes: true, role: [APP_ROLE], extraVars: [...(flags.extraVars ?? []), `mysql_primary=${target.name}`] })
    .catch((err: unknown) => {
      if (err instanceof InventoryError && /nothing to do/.test(err.message)) return EXIT.ok;
      throw err;
    });
  say(
    `${target.name} is the primary. Make it permanent in ${project.inventory.file}: set \`mysql_primary: ${target.name}\` ` +
      `in the vars of group ${v.db_group} (or list ${target.name} first). Until then a run refuses to treat ${primary.name} as the primary.`,
  );
  return code;
}

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('The database tier: backups, restores, promoting a replica');
  db.addHelpText('after', `
Examples:
  provision db backup -i inventory/prod.yml
  provision db restore FILE --host db-03 -i inventory/prod.yml
  provision db promote db-02 -i inventory/prod.yml --yes
`);
  connectOptions(db.command('backup').description('A consistent backup of a db host (a replica when there is one), compressed, to the control node or kept on the host'))
    .option('--host <name>', 'the db host to back up (default: a replica, else the primary)')
    .option('--to <dir>', 'folder on the control node (default: .scaleup/backups in the project)')
    .option('--on-host', 'keep it on the host in /var/backups/scaleup-mysql instead')
    .option('--keep <n>', 'backups of that host kept, the newest (default: mysql_backup_keep)')
    .addHelpText('after', `
Named <host>-<UTC time>.sql.gz, with a .sha256 beside it; the GTID position it was taken at is in its
header and printed. From a replica, its SQL thread pauses for the snapshot's start (--dump-slave).

Examples:
  provision db backup -i inventory/prod.yml
  provision db backup -i inventory/prod.yml --host db-01 --to /srv/backups
  provision db backup -i inventory/prod.yml --on-host --keep 14
`)
    .action(async (flags: BackupFlags) => {
      process.exitCode = await runBackup(flags);
    });

  connectOptions(db.command('restore <file>').description('Restore a backup onto a db host that holds no database (or --force)'))
    .option('--host <name>', 'the host to restore onto (required)')
    .option('--force', 'restore over the databases the host holds')
    .addHelpText('after', `
The file's .sha256, when beside it, must match. Afterwards the host holds exactly the backup's data.

Examples:
  provision db restore .scaleup/backups/db-02-20261208T010203Z.sql.gz --host db-03 -i inventory/prod.yml
  provision db restore backup.sql.gz --host db-01 --force -i inventory/prod.yml
`)
    .action(async (file: string, flags: CommonFlags & { host?: string; force?: boolean }) => {
      process.exitCode = await runRestore(file, flags);
    });

  applyOptions(db.command('promote <host>').description('Planned switchover: make a replica the primary with nothing lost, then move the app hosts to it'))
    .addHelpText('after', `
--force, when the primary is gone: every replica applies what it received; HOST must hold every
transaction any other replica holds (else refused, naming the replica to promote); it becomes writable,
the others replicate from it, and what the lost primary committed after HOST's position is lost with it.

The primary stops taking writes (read_only), HOST applies everything it wrote (MASTER_GTID_WAIT), stops
replicating and takes writes; every other db host, the old primary included, replicates from HOST;
then the app hosts get DB_HOST=HOST through the app's zero-downtime restart. Writes fail for those
seconds; no acknowledged write is lost.

Examples:
  provision db promote db-02 -i inventory/prod.yml --yes
  provision db promote db-01 -i inventory/prod.yml -e mysql_primary=db-02 --yes   # back, before the inventory says db-02
  provision db promote db-02 -i inventory/prod.yml --force --yes   # db-01 is gone
`)
    .option('--force', 'the primary is gone: promote HOST from what the replicas received (refused if another replica holds more)')
    .action(async (host: string, flags: ApplyFlags & { force?: boolean }) => {
      process.exitCode = await runPromote(host, flags);
    });
}
