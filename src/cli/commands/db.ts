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
import { promote } from '../../stack/db-promote.ts';
import { EXIT } from '../exit-codes.ts';
import { loadProject } from '../project.ts';
import { projectOptions } from './common-flags.ts';
import { applyOptions, runApply, type ApplyFlags } from './apply.ts';

const DB_ROLE = 'mysql';
const APP_ROLE = 'app';

async function runPromote(name: string, flags: ApplyFlags): Promise<number> {
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
  try {
    for (const host of dbHosts) {
      const conn = await project.connect(host);
      conns.set(host.name, conn);
      // Held until the end of the switchover: no run converges a db host meanwhile.
      await conn.lock?.(`provision db promote ${target.name}`);
    }
    await promote({
      primary, target, dbHosts, conns, say,
      replication: { user: String(v.mysql_replication_user), password: secret, port: (h) => Number(roleVars(mysql, h).mysql_port) },
    });
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
  const db = program.command('db').description('The database tier: promote a replica to primary');
  db.addHelpText('after', `
Examples:
  provision db promote db-02 -i inventory/prod.yml --yes
`);
  applyOptions(db.command('promote <host>').description('Planned switchover: make a replica the primary with nothing lost, then move the app hosts to it'))
    .addHelpText('after', `
The primary stops taking writes (read_only), HOST applies everything it wrote (MASTER_GTID_WAIT), stops
replicating and takes writes; every other db host, the old primary included, replicates from HOST;
then the app hosts get DB_HOST=HOST through the app's zero-downtime restart. Writes fail for those
seconds; no acknowledged write is lost.

Examples:
  provision db promote db-02 -i inventory/prod.yml --yes
  provision db promote db-01 -i inventory/prod.yml -e mysql_primary=db-02 --yes   # back, before the inventory says db-02
`)
    .action(async (host: string, flags: ApplyFlags) => {
      process.exitCode = await runPromote(host, flags);
    });
}
