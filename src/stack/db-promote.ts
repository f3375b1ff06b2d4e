// A planned switchover of the db tier (`provision db promote HOST`): the old primary stops taking
// writes, the chosen replica applies everything the old primary wrote, becomes writable, and every
// other db host (the old primary included) replicates from it. What a host answers is parsed, never
// trusted as SQL; passwords reach hosts on stdin only.
import type { Connection } from '../core/connection/connection.ts';
import { ScaleupError } from '../core/errors.ts';
import type { Host } from '../core/model.ts';
import type { Secret } from '../core/secret.ts';
import { replicationPrivileges, parseSlaveStatus } from '../../roles/mysql/replication-steps.ts';
import { sqlAccount, sqlString } from '../../roles/mysql/sql.ts';

/** Seconds the new primary has to apply what the old one wrote before the promotion gives up. */
export const CATCH_UP_S = 60;
const GTID_POSITION = /^[0-9,-]*$/;

export interface PromoteSpec {
  primary: Host;
  target: Host;
  /** Every db host: the primary, the target and the other replicas. */
  dbHosts: Host[];
  conns: Map<string, Connection>;
  replication: { user: string; password: Secret; port: (host: Host) => number };
  /** Progress lines for the person running it. */
  say: (line: string) => void;
}

async function sql(conn: Connection, statements: string, what: string): Promise<string> {
  const r = await conn.exec('mysql -N -B', { stdin: statements + '\n', timeoutMs: (CATCH_UP_S + 30) * 1000 });
  if (r.exitCode !== 0) throw new ScaleupError(`${conn.hostName}: ${what} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return r.stdout.trim();
}

/** Runs the switchover; throws a ScaleupError saying what state the tier is left in when a step fails. */
export async function promote(spec: PromoteSpec): Promise<void> {
  const { primary, target, conns, replication, say } = spec;
  const on = (h: Host) => conns.get(h.name)!;
  const others = spec.dbHosts.filter((h) => h.name !== target.name && h.name !== primary.name);

  // Before anything changes: the target replicates from the primary, both threads running.
  const status = parseSlaveStatus((await on(target).exec(`mysql -B -e 'SHOW SLAVE STATUS'`)).stdout);
  if (!status || status.masterHost !== primary.privateAddress || status.ioRunning !== 'Yes' || status.sqlRunning !== 'Yes') {
    throw new ScaleupError(
      `${target.name} is not a running replica of ${primary.name} (${status ? `from ${status.masterHost}, IO ${status.ioRunning}, SQL ${status.sqlRunning}` : 'not a replica'}): nothing was changed`,
    );
  }

  // 1. The old primary takes no more writes; its last position is what the target must reach.
  await sql(on(primary), 'SET GLOBAL read_only = ON;', 'setting read_only');
  const position = await sql(on(primary), 'SELECT @@GLOBAL.gtid_binlog_pos;', 'reading the binary log position');
  if (!GTID_POSITION.test(position)) throw new ScaleupError(`${primary.name}: unexpected GTID position '${position}'`);
  say(`${primary.name} is read-only at GTID ${position || '(empty)'}`);
  const undo = async (why: string): Promise<never> => {
    await sql(on(primary), 'SET GLOBAL read_only = OFF;', 'setting read_only back').catch(() => undefined);
    throw new ScaleupError(`${why}; ${primary.name} takes writes again, nothing else changed`);
  };

  // 2. The target applies everything, stops replicating and takes writes.
  const caught = await sql(on(target), `SELECT MASTER_GTID_WAIT(${sqlString(position)}, ${CATCH_UP_S});`, 'waiting for the GTID position').catch((e: Error) => e.message);
  if (caught !== '0') await undo(`${target.name} did not reach ${primary.name}'s position ${position} within ${CATCH_UP_S} s (${caught})`);
  // The old primary will replicate from the target: its replication account there, before anything else.
  const account = sqlAccount(replication.user, primary.privateAddress);
  await sql(on(target), [
    'STOP SLAVE;',
    'RESET SLAVE ALL;',
    `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${sqlString(replication.password.reveal())};`,
    `GRANT ${replicationPrivileges('mariadb').join(', ')} ON *.* TO ${account};`,
    'SET GLOBAL read_only = OFF;',
  ].join('\n'), 'becoming the primary');
  say(`${target.name} is the primary (writable, replicating from nobody)`);

  // 3. Every other db host, the old primary included, replicates from the target. The old primary's
  // own writes are in its binary log, not its replica position: it starts from its current position.
  for (const host of [primary, ...others]) {
    const from = host.name === primary.name ? 'current_pos' : 'slave_pos';
    await sql(on(host), [
      'STOP SLAVE;',
      `CHANGE MASTER TO MASTER_HOST=${sqlString(target.privateAddress)}, MASTER_PORT=${replication.port(target)}, MASTER_USER=${sqlString(replication.user)}, ` +
        `MASTER_PASSWORD=${sqlString(replication.password.reveal())}, MASTER_CONNECT_RETRY=5, MASTER_USE_GTID=${from};`,
      'START SLAVE;',
      'SET GLOBAL read_only = ON;',
    ].join('\n'), `replicating from ${target.name}`);
    say(`${host.name} replicates from ${target.name}`);
  }
}

