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
import { aheadOf, formatGtid, parseGtid, type GtidPosition } from './gtid.ts';

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

/** The statement that makes a server replicate from `target` (the password only ever on stdin). */
function changeMasterTo(target: Host, replication: PromoteSpec['replication'], from: 'slave_pos' | 'current_pos'): string {
  return `CHANGE MASTER TO MASTER_HOST=${sqlString(target.privateAddress)}, MASTER_PORT=${replication.port(target)}, MASTER_USER=${sqlString(replication.user)}, ` +
    `MASTER_PASSWORD=${sqlString(replication.password.reveal())}, MASTER_CONNECT_RETRY=5, MASTER_USE_GTID=${from};`;
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
    const from = host.name === primary.name ? 'current_pos' as const : 'slave_pos' as const;
    await sql(on(host), [
      'STOP SLAVE;',
      changeMasterTo(target, replication, from),
      'START SLAVE;',
      'SET GLOBAL read_only = ON;',
    ].join('\n'), `replicating from ${target.name}`);
    say(`${host.name} replicates from ${target.name}`);
  }
}


export interface FailoverSpec {
  target: Host;
  /** The primary that is gone (not contacted). */
  lost: Host;
  /** The other replicas, reachable. */
  replicas: Host[];
  conns: Map<string, Connection>;
  replication: { user: string; password: Secret; port: (host: Host) => number };
  say: (line: string) => void;
}

/** What a replica has received and applied, once its SQL thread has applied everything received. */
async function drained(conn: Connection): Promise<GtidPosition> {
  const status = parseSlaveStatus((await conn.exec(`mysql -B -e 'SHOW SLAVE STATUS'`)).stdout);
  if (!status) throw new ScaleupError(`${conn.hostName} is not a replica: nothing was changed`);
  // No more from the lost primary: apply what was received.
  await sql(conn, 'STOP SLAVE IO_THREAD;', 'stopping the IO thread');
  const received = parseSlaveStatus((await conn.exec(`mysql -B -e 'SHOW SLAVE STATUS'`)).stdout)?.gtidIoPos ?? status.gtidIoPos;
  if (received && GTID_POSITION.test(received)) await sql(conn, `SELECT MASTER_GTID_WAIT(${sqlString(received)}, ${CATCH_UP_S});`, 'applying the relay log');
  return parseGtid(await sql(conn, 'SELECT @@GLOBAL.gtid_slave_pos;', 'reading the applied position'));
}

/**
 * Promotes `target` when the primary is gone: every replica applies what it received; `target` must
 * hold everything any other replica holds (else refused, naming the one ahead); it becomes writable and
 * the others replicate from it. Says what may be lost: whatever the primary committed after the most
 * advanced replica's position, which no replica received.
 */
export async function failover(spec: FailoverSpec): Promise<void> {
  const { target, lost, replicas, conns, replication, say } = spec;
  const on = (h: Host) => conns.get(h.name)!;
  const positions = new Map<string, GtidPosition>();
  for (const host of [target, ...replicas]) positions.set(host.name, await drained(on(host)));
  const mine = positions.get(target.name)!;
  for (const host of replicas) {
    const ahead = aheadOf(positions.get(host.name)!, mine);
    if (ahead.length) {
      // Replication resumes where it was: the refusal changes nothing but the IO threads' pause.
      for (const h of [target, ...replicas]) await sql(on(h), 'START SLAVE IO_THREAD;', 'resuming').catch(() => undefined);
      throw new ScaleupError(`${host.name} has transactions ${target.name} lacks (${ahead.join(', ')}): promote ${host.name} instead`);
    }
  }
  say(`${target.name} holds every transaction any replica received from ${lost.name}: ${formatGtid(mine) || '(none)'}`);
  say(`transactions ${lost.name} committed after ${formatGtid(mine) || 'that'} reached no replica and are lost with it`);
  await sql(on(target), ['STOP SLAVE;', 'RESET SLAVE ALL;', 'SET GLOBAL read_only = OFF;'].join('\n'), 'becoming the primary');
  say(`${target.name} is the primary (writable, replicating from nobody)`);
  for (const host of replicas) {
    await sql(on(host), [
      'STOP SLAVE;',
      changeMasterTo(target, replication, 'slave_pos'),
      'START SLAVE;',
    ].join('\n'), `replicating from ${target.name}`);
    say(`${host.name} replicates from ${target.name}`);
  }
}
