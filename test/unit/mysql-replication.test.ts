// Replication by inventory (roles/mysql): which host is the primary, what each db host runs, what a
// replica decides from its state, and that the replication password reaches hosts on stdin only.
import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/core/model.ts';
import { Secret } from '../../src/core/secret.ts';
import type { ProbeOutput } from '../../src/core/steps/step.ts';
import mysql from '../../roles/mysql/index.ts';
import app from '../../roles/app/index.ts';
import { parseSlaveStatus, replicationPrivileges } from '../../roles/mysql/replication-steps.ts';
import { validateMysql } from '../../roles/mysql/vars.ts';
import { labInventory, recordingRemote, roleOn, stepNamed, written } from './roles-fixtures.ts';

const REPLICATION_PASSWORD = new Secret("repl-pa$$'word");

/** The lab inventory with db-02 (10.77.0.42) added to the db group; `all` over every host's vars. */
function withReplica(all: Record<string, unknown> = {}): Inventory {
  const inv = labInventory({ all: { mysql_replication_password: REPLICATION_PASSWORD, ...all } as never });
  const base = inv.hosts.get('db-01')!;
  inv.hosts.set('db-02', { ...base, name: 'db-02', address: '10.77.0.42', privateAddress: '10.77.0.42' });
  inv.groups.get('db')!.push('db-02');
  return inv;
}

const probe = (stdout: string, exitCode = 0): ProbeOutput => ({ stdout, stderr: '', exitCode }) as ProbeOutput;
const HEADER = 'Slave_IO_State\tMaster_Host\tMaster_User\tMaster_Port\tSlave_IO_Running\tSlave_SQL_Running\tLast_IO_Error\tLast_SQL_Error\tUsing_Gtid';
const status = (host: string, io: string, sql: string, ioError = '', sqlError = '', user = 'replicator') =>
  `${HEADER}\nWaiting\t${host}\t${user}\t3306\t${io}\t${sql}\t${ioError}\t${sqlError}\tSlave_Pos\n`;
const state = (databases: number, slave = '') => `databases\t${databases}\n--slave-status--\n${slave}`;

describe('the db tier by inventory', () => {
  it('the first db host is the primary: secured, the database, the app users, an account per replica', () => {
    const steps = roleOn(mysql, withReplica(), 'db-01').steps.map((s) => s.name);
    expect(steps.slice(2)).toEqual(['template /etc/mysql/mariadb.conf.d/61-scaleup-role.cnf', 'service mariadb running', 'mysql read_only OFF', 'mysql primary replicates from nobody', 'mysql secure installation', 'mysql database scaleup', 'mysql users app', 'mysql replication accounts replicator']);
  });

  it('every other db host is a read-only replica of it, seeded and replicating, and nothing else', async () => {
    const run = roleOn(mysql, withReplica(), 'db-02');
    expect(run.steps.slice(2).map((s) => s.name)).toEqual(['template /etc/mysql/mariadb.conf.d/61-scaleup-role.cnf', 'service mariadb running', 'mysql read_only ON', 'mysql replica of db-01']);
    expect((await written(run, '/etc/mysql/mariadb.conf.d/61-scaleup-role.cnf')).content).toMatch(/^read_only\s+= ON$/m);
    const { content } = await written(run, '/etc/mysql/mariadb.conf.d/60-scaleup.cnf');
    expect(content).toMatch(/^server_id\s+= 172818474$/m); // 10.77.0.42 as a number
    expect(content).toMatch(/^log_bin\s+= mysql-bin$/m);
    const primary = await written(roleOn(mysql, withReplica(), 'db-01'), '/etc/mysql/mariadb.conf.d/61-scaleup-role.cnf');
    expect(primary.content).toMatch(/^read_only\s+= OFF$/m);
  });

  it('mysql_primary names another primary; the app writes to it and reads may go to the replicas', async () => {
    const inv = withReplica({ mysql_primary: 'db-02' });
    expect(roleOn(mysql, inv, 'db-01').steps.at(-1)?.name).toBe('mysql replica of db-02');
    const env = await written(roleOn(app, inv, 'app-01'), '/etc/counter/env');
    expect(env.content).toMatch(/^DB_HOST="10\.77\.0\.42"$/m);
    expect(env.content).toMatch(/^DB_READ_HOSTS="10\.77\.0\.41:3306"$/m);
    // Set only where the db hosts see it (their group's vars): the app hosts follow it too.
    const onDbGroup = withReplica();
    for (const name of ['db-01', 'db-02']) onDbGroup.hosts.get(name)!.vars.mysql_primary = 'db-02';
    expect((await written(roleOn(app, onDbGroup, 'app-01'), '/etc/counter/env')).content).toMatch(/^DB_HOST="10\.77\.0\.42"$/m);
  });

  it('is checked before connecting: a primary outside the group, replicas without a replication password', () => {
    const inv = withReplica({ mysql_primary: 'db-09' });
    expect(validateMysql(inv, [inv.hosts.get('db-01')!])).toContainEqual("db-01: mysql_primary 'db-09' is not a host of group 'db' (db-01, db-02)");
    const noPassword = withReplica({ mysql_replication_password: null });
    expect(validateMysql(noPassword, [noPassword.hosts.get('db-01')!])).toContainEqual(
      "db-01: group 'db' has 2 hosts (a primary and replicas): mysql_replication_password must be set (in the secrets file)",
    );
    const single = labInventory();
    expect(validateMysql(single, [single.hosts.get('db-01')!])).toEqual([]);
  });
});

describe('a replica decides from its state', () => {
  const replica = () => stepNamed(roleOn(mysql, withReplica(), 'db-02'), 'mysql replica of db-01');
  const decide = async (stdout: string, exitCode = 0) => (await replica().decide(probe(stdout, exitCode), {} as never)) as { action: string; summary: string }[];

  it('an empty server that replicates nothing is seeded, then points at the primary', async () => {
    expect((await decide(state(0))).map((c) => c.action)).toEqual(['seed']);
    const remote = recordingRemote();
    await replica().apply(remote, await decide(state(0)), {} as never);
    const [seed, point] = remote.calls;
    expect(seed!.command).toContain('mariadb-dump --defaults-extra-file="$work/primary.cnf" --single-transaction --master-data=1 --gtid --all-databases');
    expect(seed!.stdin).toContain("password=repl-pa$$'word");
    expect(point!.stdin).toContain("MASTER_HOST='10.77.0.41', MASTER_PORT=3306, MASTER_USER='replicator', MASTER_PASSWORD='repl-pa$$''word'");
    expect(point!.stdin).toContain('MASTER_USE_GTID=slave_pos');
    // The password is on no command line.
    for (const call of remote.calls) expect(call.command).not.toContain('repl-pa');
  });

  it('a server that holds data but replicates nothing is refused, never seeded over', async () => {
    await expect(decide(state(2))).rejects.toThrow('this server holds 2 database(s) but replicates nothing: refusing to seed it from db-01 (10.77.0.41:3306) over them');
  });

  it('replicating from the primary with both threads running: nothing to do', async () => {
    expect(await decide(state(1, status('10.77.0.41', 'Yes', 'Yes')))).toEqual([]);
  });

  it('stopped without an error: started; stopped on a data error: reported, not restarted', async () => {
    expect((await decide(state(1, status('10.77.0.41', 'No', 'No')))).map((c) => c.action)).toEqual(['start']);
    await expect(decide(state(1, status('10.77.0.41', 'Yes', 'No', '', "Duplicate entry '1' for key 'PRIMARY'")))).rejects.toThrow(
      "replication from db-01 (10.77.0.41:3306) stopped on an error in the data: Duplicate entry '1' for key 'PRIMARY'; not restarted",
    );
  });

  it('replicating from another host, or refused its login: pointed at the primary again', async () => {
    expect((await decide(state(1, status('10.77.0.43', 'Yes', 'Yes')))).map((c) => c.action)).toEqual(['point']);
    expect((await decide(state(1, status('10.77.0.41', 'Connecting', 'Yes', "Access denied for user 'replicator'")))).map((c) => c.action)).toEqual(['point']);
  });

  it('a server that does not answer yet is decided again when applying', async () => {
    expect((await decide('', 1)).map((c) => c.action)).toEqual(['unread']);
  });
});

describe('SHOW SLAVE STATUS', () => {
  it('is read by column name; no row means not a replica', () => {
    expect(parseSlaveStatus(status('10.77.0.41', 'Yes', 'No', '', 'boom'))).toMatchObject({ masterHost: '10.77.0.41', ioRunning: 'Yes', sqlRunning: 'No', lastSqlError: 'boom', usingGtid: 'Slave_Pos' });
    expect(parseSlaveStatus('')).toBeUndefined();
  });
  it('the replication account may replicate and read, and change nothing', () => {
    expect(replicationPrivileges('mariadb')).toEqual(['BINLOG MONITOR', 'EVENT', 'RELOAD', 'REPLICATION SLAVE', 'SELECT', 'SHOW VIEW', 'TRIGGER']);
  });
});

describe('the primary replicates from nobody', () => {
  const guard = () => stepNamed(roleOn(mysql, withReplica(), 'db-01'), 'mysql primary replicates from nobody');
  it('a server named primary that still replicates is refused, naming the promotion', async () => {
    await expect(Promise.resolve().then(() => guard().decide(probe(status('10.77.0.42', 'Yes', 'Yes')), {} as never))).rejects.toThrow(
      'db-01 is the primary in the inventory but replicates from 10.77.0.42:3306: promote it with `provision db promote db-01`, or name the primary in mysql_primary',
    );
    expect(await guard().decide(probe(''), {} as never)).toEqual([]);
  });
});
