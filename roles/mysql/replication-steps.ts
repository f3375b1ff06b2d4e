// Replication by inventory: the primary grants the replication account to each replica's address; a
// replica is seeded once from a consistent snapshot of the primary, then replicates from that GTID
// position, and is never re-seeded over data it holds. Passwords travel on stdin only.
import { type Change, type ProbeOutput, type Secret, type Step, StepError } from 'scaleup';
import { SESSION_PREAMBLE, parseBatch, queryCommand, sqlAccount, sqlString } from './sql.ts';
import { type SqlChange, type SqlFlavor, sqlStep } from './sql-steps.ts';

/**
 * What the replication account may do on the primary: replicate, and take the snapshot that seeds a
 * replica (a consistent read of every table, and the binary log position it was taken at). Reading
 * every row adds nothing to what replicating already sends a replica; it may change nothing.
 */
export function replicationPrivileges(flavor: SqlFlavor): string[] {
  const monitor = flavor === 'mariadb' ? 'BINLOG MONITOR' : 'REPLICATION CLIENT';
  return [monitor, 'EVENT', 'RELOAD', 'REPLICATION SLAVE', 'SELECT', 'SHOW VIEW', 'TRIGGER'].sort();
}

export interface ReplicationAccountsSpec {
  client: string;
  flavor: SqlFlavor;
  user: string;
  /** The replicas' private addresses: exactly these get an account. */
  hosts: string[];
  password: Secret | undefined;
}

/** On the primary: `user`@`replica` for each replica with exactly the replication privileges; no other account of `user`. */
export function mysqlReplicationAccounts(spec: ReplicationAccountsSpec): Step {
  const { user, flavor } = spec;
  const hosts = [...new Set(spec.hosts)];
  const wanted = replicationPrivileges(flavor);
  const grantee = sqlString(`'${user}'@`);
  const grant = (account: string) => ({ sql: `GRANT ${wanted.join(', ')} ON *.* TO ${account};` });
  return sqlStep({
    name: `mysql replication accounts ${user}`,
    client: spec.client,
    flavor,
    password: spec.password,
    pending: `create replication user ${user} for ${hosts.join(', ') || 'no replica'}`,
    query: [
      `SELECT 'user', Host FROM mysql.user WHERE User = ${sqlString(user)};`,
      "SELECT 'global', GRANTEE, GROUP_CONCAT(PRIVILEGE_TYPE ORDER BY PRIVILEGE_TYPE SEPARATOR ','), MAX(IS_GRANTABLE) " +
        `FROM information_schema.USER_PRIVILEGES WHERE LEFT(GRANTEE, CHAR_LENGTH(${grantee})) = ${grantee} AND PRIVILEGE_TYPE <> 'USAGE' GROUP BY GRANTEE;`,
      "SELECT 'schema', GRANTEE FROM information_schema.SCHEMA_PRIVILEGES " +
        `WHERE LEFT(GRANTEE, CHAR_LENGTH(${grantee})) = ${grantee} GROUP BY GRANTEE;`,
    ].join(' '),
    plan(rows) {
      const hostOf = (g: string): string => /^'.*'@'(.*)'$/.exec(g)?.[1] ?? g;
      const existing = new Set<string>();
      const globals = new Map<string, { privileges: string; grantable: boolean }>();
      const schemaGrants = new Set<string>();
      for (const [kind, a = '', b = '', c = ''] of rows) {
        if (kind === 'user') existing.add(a);
        else if (kind === 'global') globals.set(hostOf(a), { privileges: b, grantable: c === 'YES' });
        else if (kind === 'schema') schemaGrants.add(hostOf(a));
      }
      const changes: SqlChange[] = [];
      for (const host of hosts) {
        const account = sqlAccount(user, host);
        const name = `'${user}'@'${host}'`;
        if (!existing.has(host)) {
          changes.push({ summary: `create replication user ${name}`, statements: [{ password: { account, create: true } }, grant(account)] });
          continue;
        }
        // The password is set on every run that finds the account: its hash is not compared here, and
        // ALTER USER with the same password changes nothing the replicas see.
        const g = globals.get(host);
        if (!g || g.privileges !== wanted.join(',') || g.grantable || schemaGrants.has(host)) {
          changes.push({
            summary: `${name}: exactly ${wanted.join(', ')} (had ${g?.privileges || 'nothing'})`,
            statements: [{ sql: `REVOKE ALL PRIVILEGES, GRANT OPTION FROM ${account};` }, grant(account)],
          });
        }
      }
      for (const host of existing) {
        if (!hosts.includes(host)) changes.push({ summary: `drop replication user '${user}'@'${host}' (not a replica)`, statements: [{ sql: `DROP USER ${sqlAccount(user, host)};` }] });
      }
      return changes;
    },
  });
}

/** The fields of `SHOW SLAVE STATUS` a replica step reads. */
export interface ReplicaStatus {
  masterHost: string;
  masterPort: string;
  masterUser: string;
  ioRunning: string;
  sqlRunning: string;
  lastIoError: string;
  lastSqlError: string;
  usingGtid: string;
  /** Seconds_Behind_Master: empty (NULL) while not replicating. */
  secondsBehind: string;
  /** Gtid_IO_Pos: the last transaction received from the primary. */
  gtidIoPos: string;
}

/** Parses `mysql -B -e 'SHOW SLAVE STATUS'` (a header line, then one line per connection); undefined when not a replica. */
export function parseSlaveStatus(text: string): ReplicaStatus | undefined {
  const [header, values] = parseBatch(text);
  if (!header || !values) return undefined;
  const field = (name: string) => values[header.indexOf(name)] ?? '';
  const masterHost = field('Master_Host');
  if (!masterHost) return undefined;
  return {
    masterHost, masterPort: field('Master_Port'), masterUser: field('Master_User'),
    ioRunning: field('Slave_IO_Running'), sqlRunning: field('Slave_SQL_Running'),
    lastIoError: field('Last_IO_Error'), lastSqlError: field('Last_SQL_Error'), usingGtid: field('Using_Gtid'),
    secondsBehind: field('Seconds_Behind_Master') === 'NULL' ? '' : field('Seconds_Behind_Master'),
    gtidIoPos: field('Gtid_IO_Pos'),
  };
}

export interface ReplicaSpec {
  client: string;
  /** The dump client (`mariadb-dump`). */
  dump: string;
  flavor: SqlFlavor;
  primary: { name: string; address: string; port: number };
  user: string;
  password: Secret;
  /** The server's expected server_id: a seed first restarts a server still on its packaged settings. */
  serverId: number;
  /** Restarts the server (init-system specific). */
  restartCommand: string;
  /** Seconds a seed waits for the primary to accept the replication account (the same run converges it). */
  waitSeconds: number;
}

interface ReplicaChange extends Change {
  /** `unread`: the server did not answer the probe (check mode on a bare host, or not started yet). */
  action: 'seed' | 'point' | 'start' | 'unread';
}

const SYSTEM_SCHEMAS = "'mysql', 'information_schema', 'performance_schema', 'sys'";
const STATUS_MARK = '--slave-status--';

/**
 * On a replica: replicating from the primary with GTIDs. A server that replicates nothing and holds no
 * database is seeded (a consistent snapshot of the primary, taken while it keeps serving writes, with
 * its GTID position); one that replicates from elsewhere, or can no longer log in, is pointed at the
 * primary; one whose replication merely stopped is started. One that holds data but replicates nothing,
 * or whose replication stopped on an error in the data, fails the step: never re-seeded over its data.
 */
export function mysqlReplica(spec: ReplicaSpec): Step {
  const { primary } = spec;
  const from = `${primary.name} (${primary.address}:${primary.port})`;
  const probe = [
    queryCommand(spec.client, `SELECT 'databases', COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (${SYSTEM_SCHEMAS});`),
    `echo ${STATUS_MARK}`,
    `${spec.client} -B -e 'SHOW SLAVE STATUS'`,
  ].join(' && ');
  const changeMaster = [
    SESSION_PREAMBLE,
    'STOP SLAVE;',
    `CHANGE MASTER TO MASTER_HOST=${sqlString(primary.address)}, MASTER_PORT=${primary.port}, MASTER_USER=${sqlString(spec.user)}, ` +
      `MASTER_PASSWORD=${sqlString(spec.password.reveal())}, MASTER_CONNECT_RETRY=5, MASTER_USE_GTID=slave_pos;`,
    'START SLAVE;',
    '',
  ].join('\n');
  // The client settings file is written from stdin into a private folder: the password is on no command line.
  const seed = [
    'set -eu',
    'umask 077',
    'work=$(mktemp -d)',
    'trap \'rm -rf "$work"\' EXIT',
    'cat > "$work/primary.cnf"',
    // Still on the packaged settings (no binary log, server_id 1): restart on ours before taking in data.
    `if [ "$(${spec.client} -N -B -e 'SELECT @@server_id')" != ${spec.serverId} ]; then ${spec.restartCommand}; fi`,
    `deadline=$(( $(date +%s) + ${spec.waitSeconds} ))`,
    `until ${spec.client} --defaults-extra-file="$work/primary.cnf" -N -B -e 'SELECT @@log_bin' 2>"$work/err" | grep -qx 1; do`,
    `  if [ "$(date +%s)" -ge "$deadline" ]; then echo "the primary ${from} did not accept the replication account with its binary log on within ${spec.waitSeconds} s: $(tail -c 300 "$work/err")" >&2; exit 1; fi`,
    '  sleep 1',
    'done',
    // One transaction's view of every table, and the GTID position it was taken at (set on this server
    // by the dump itself); loaded without writing this server's own binary log.
    `${spec.dump} --defaults-extra-file="$work/primary.cnf" --single-transaction --master-data=1 --gtid --all-databases --routines --events --triggers > "$work/snapshot.sql"`,
    `{ echo 'SET SESSION sql_log_bin = 0;'; cat "$work/snapshot.sql"; echo 'FLUSH PRIVILEGES;'; } | ${spec.client}`,
  ].join('\n');
  const clientCnf = () => `[client]\nhost=${primary.address}\nport=${primary.port}\nuser=${spec.user}\npassword=${spec.password.reveal()}\n`;

  return {
    name: `mysql replica of ${primary.name}`,
    probe: () => probe,
    decide(output: ProbeOutput): ReplicaChange[] {
      if (output.exitCode !== 0) return [{ summary: `replicate from ${from} (server not answering yet)`, action: 'unread' }];
      return decideFrom(output.stdout);
    },
    async apply(remote, changes) {
      let todo = changes as ReplicaChange[];
      // Decided for real once the server answers: a server that holds data is never seeded over.
      if (todo.some((c) => c.action === 'unread')) todo = decideFrom((await remote.run(probe)).stdout);
      for (const { action } of todo) {
        if (action === 'start') {
          await remote.run(`${spec.client} -N -B -e 'START SLAVE'`);
          continue;
        }
        if (action === 'seed') await remote.run(seed, { stdin: clientCnf(), timeoutMs: 3_600_000 });
        await remote.run(`${spec.client} -N -B`, { stdin: changeMaster });
      }
    },
  };

  function decideFrom(stdout: string): ReplicaChange[] {
    const [counts, status = ''] = stdout.split(`${STATUS_MARK}\n`);
    const databases = Number(parseBatch(counts ?? '')[0]?.[1] ?? 0);
    const s = parseSlaveStatus(status);
    if (!s) {
      if (databases > 0) {
        throw new StepError(
          `this server holds ${databases} database(s) but replicates nothing: refusing to seed it from ${from} over them ` +
            '(empty it, or restore a backup of the primary onto it, and run again)',
        );
      }
      return [{ summary: `seed from a consistent snapshot of ${from}, then replicate from its GTID position`, action: 'seed' }];
    }
    if (s.masterHost !== primary.address || s.masterPort !== String(primary.port) || s.masterUser !== spec.user || /access denied/i.test(s.lastIoError)) {
      return [{ summary: `replicate from ${from} (was ${s.masterUser}@${s.masterHost}:${s.masterPort}${s.lastIoError ? `: ${s.lastIoError}` : ''})`, action: 'point' }];
    }
    if (s.ioRunning === 'Yes' && s.sqlRunning === 'Yes') return [];
    if (s.lastSqlError) {
      throw new StepError(`replication from ${from} stopped on an error in the data: ${s.lastSqlError}; not restarted (fix it, or re-seed the replica from an empty server)`);
    }
    return [{ summary: `restart replication from ${from} (IO ${s.ioRunning}, SQL ${s.sqlRunning}${s.lastIoError ? `: ${s.lastIoError}` : ''})`, action: 'start' }];
  }
}

/** The running server's read_only: ON on a replica, OFF on the primary (set live: no restart). */
export function mysqlReadOnly(spec: { client: string; flavor: SqlFlavor; on: boolean }): Step {
  const want = spec.on ? 1 : 0;
  return sqlStep({
    name: `mysql read_only ${spec.on ? 'ON' : 'OFF'}`,
    client: spec.client,
    flavor: spec.flavor,
    pending: `set read_only ${spec.on ? 'ON' : 'OFF'}`,
    query: "SELECT 'read_only', @@GLOBAL.read_only;",
    plan(rows) {
      const now = Number(rows[0]?.[1] ?? -1);
      return now === want ? [] : [{ summary: `read_only ${now ? 'ON' : 'OFF'} → ${spec.on ? 'ON' : 'OFF'}`, statements: [{ sql: `SET GLOBAL read_only = ${spec.on ? 'ON' : 'OFF'};` }] }];
    },
  });
}

/**
 * On the primary: it replicates from nobody. A server named primary (mysql_primary, or the first of
 * the group) that still replicates is a promotion not done: refused, rather than writing to both.
 */
export function mysqlNotReplicating(spec: { client: string; hostName: string }): Step {
  return {
    name: 'mysql primary replicates from nobody',
    probe: () => `${spec.client} -B -e 'SHOW SLAVE STATUS'`,
    decide(output: ProbeOutput) {
      if (output.exitCode !== 0) return [];
      const s = parseSlaveStatus(output.stdout);
      if (s) {
        throw new StepError(
          `${spec.hostName} is the primary in the inventory but replicates from ${s.masterHost}:${s.masterPort}: ` +
            `promote it with \`provision db promote ${spec.hostName}\`, or name the primary in mysql_primary`,
        );
      }
      return [];
    },
    apply: async () => undefined,
  };
}
