// MySQL for the app tier: MariaDB on Debian (MySQL on Ubuntu), listening on the private address only,
// secured like mysql_secure_installation, with the app database and one account per app host. The
// db group's first host (or mysql_primary) is the primary; every other db host is its replica, seeded
// once from a consistent snapshot and read-only (replication.md in the README).
import { defineRole, file, pkg, service, StepError, type Step } from 'scaleup';
import { onHostBackupScript } from './backup-script.ts';
import { secretVar } from '../lib/secret-value.ts';
import { primaryOf } from '../shared-vars.ts';
import { mysqlNotReplicating, mysqlReadOnly, mysqlReplica, mysqlReplicationAccounts } from './replication-steps.ts';
import { mysqlPlatform, mysqlTemplateVars, mysqlVariables, serverId, validateMysql } from './vars.ts';
import { mysqlAppUsers, mysqlDatabase, mysqlSecureInstallation } from './sql-steps.ts';

/** Seconds a new replica waits for the primary (converged in the same run) to let it in. */
const PRIMARY_WAIT_S = 180;
const BACKUP_UNIT = 'scaleup-mysql-backup';

/** mysql_backup_schedule: the host's own backup, run by a systemd timer (nothing when empty). */
function scheduledBackup(schedule: string, initSystem: string, dump: string, fromReplica: boolean, keep: number): Step[] {
  if (!schedule.trim()) return [];
  if (initSystem !== 'systemd') throw new StepError('mysql_backup_schedule needs systemd (a timer) on the db host');
  const script = `/usr/local/sbin/${BACKUP_UNIT}`;
  return [
    file.content({ dest: script, mode: '0700', content: `#!/bin/sh\n# managed by scaleup — local edits are overwritten\n${onHostBackupScript(dump, fromReplica, '"$(hostname)"', keep)}\n` }),
    file.content({
      dest: `/etc/systemd/system/${BACKUP_UNIT}.service`, mode: '0644', notify: ['reload systemd'],
      content: `# managed by scaleup — local edits are overwritten\n[Unit]\nDescription=Backup of MySQL into /var/backups/scaleup-mysql (scaleup)\n\n[Service]\nType=oneshot\nExecStart=${script}\n`,
    }),
    file.content({
      dest: `/etc/systemd/system/${BACKUP_UNIT}.timer`, mode: '0644', notify: ['reload systemd'],
      content: `# managed by scaleup — local edits are overwritten\n[Unit]\nDescription=Scheduled backup of MySQL (scaleup)\n\n[Timer]\nOnCalendar=${schedule.replace(/\n/g, ' ')}\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n`,
    }),
    service.running(`${BACKUP_UNIT}.timer`, { enabled: true }),
  ];
}

export default defineRole({
  name: 'mysql',
  description: 'MariaDB/MySQL on the private address, secured, with the app database and per-app-host accounts; replicas by inventory',
  variables: mysqlVariables,
  required: ['mysql_app_password'],
  steps(v, { host, facts, hostsIn, varsOf }) {
    const p = mysqlPlatform(facts);
    const sql = { client: p.client, flavor: p.flavor };
    const dbHosts = hostsIn(v.db_group);
    const primary = primaryOf(dbHosts, v.mysql_primary) ?? host;
    const replicas = dbHosts.filter((h) => h.name !== primary.name);
    const isReplica = primary.name !== host.name;
    const config = [
      // Debian starts the server on install, bound to 127.0.0.1; the drop-in moves it at the restart.
      pkg.installed(p.packages),
      file.template({
        src: 'scaleup.cnf.ejs',
        dest: p.dropIn,
        mode: '0644',
        vars: mysqlTemplateVars(v, host),
        notify: ['restart mysql'],
      }),
      // Primary or replica: read at start, and set live by `mysql read_only` (a promotion restarts nothing).
      file.template({ src: 'scaleup-role.cnf.ejs', dest: p.roleDropIn, mode: '0644', vars: { replica: isReplica, primary_name: primary.name } }),
      service.running(p.service),
      mysqlReadOnly({ ...sql, on: isReplica }),
    ];
    if (isReplica) {
      // Everything else (the secured accounts, the database, the app's users) comes from the primary.
      const pv = varsOf(primary);
      return [
        ...config,
        mysqlReplica({
          ...sql,
          dump: p.dump,
          primary: { name: primary.name, address: primary.privateAddress, port: Number(pv.mysql_port ?? v.mysql_port) },
          user: v.mysql_replication_user,
          password: secretVar(v.mysql_replication_password, 'mysql_replication_password'),
          serverId: serverId(v, host),
          restartCommand: facts.initSystem === 'systemd' ? `systemctl restart ${p.service}` : `service ${p.service} restart`,
          waitSeconds: PRIMARY_WAIT_S,
        }),
        ...scheduledBackup(v.mysql_backup_schedule, facts.initSystem, p.dump, true, v.mysql_backup_keep),
      ];
    }
    return [
      ...config,
      mysqlNotReplicating({ client: p.client, hostName: host.name }),
      mysqlSecureInstallation(sql),
      mysqlDatabase({ ...sql, database: v.mysql_app_database, charset: v.mysql_character_set, collation: v.mysql_collation }),
      mysqlAppUsers({
        ...sql,
        user: v.mysql_app_user,
        hosts: hostsIn(v.app_group).map((h) => h.privateAddress),
        database: v.mysql_app_database,
        password: secretVar(v.mysql_app_password, 'mysql_app_password'),
      }),
      mysqlReplicationAccounts({
        ...sql,
        user: v.mysql_replication_user,
        hosts: replicas.map((h) => h.privateAddress),
        password: replicas.length ? secretVar(v.mysql_replication_password, 'mysql_replication_password') : undefined,
      }),
      ...scheduledBackup(v.mysql_backup_schedule, facts.initSystem, p.dump, false, v.mysql_backup_keep),
    ];
  },
  handlers: (_v, { facts }) => ({
    'restart mysql': service.restarted(mysqlPlatform(facts).service),
    ...(facts.initSystem === 'systemd' ? { 'reload systemd': service.daemonReloaded() } : {}),
  }),
  logs: (_v, { facts }) => [{ unit: mysqlPlatform(facts).service, files: ['/var/log/mysql/error.log'] }],
  validate: (inventory, hosts) => validateMysql(inventory, hosts),
});
