// Backups of the db tier (`provision db backup`, `provision db restore`): a consistent dump (one
// transaction's view, with the GTID position it was taken at) compressed on the host and brought to
// the control node, or kept on the host; restored onto a host that holds no database (or one named
// with --force). What a host sends back is checked (base64 only, a GTID of digits), never trusted.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { Connection } from '../core/connection/connection.ts';
import { ScaleupError } from '../core/errors.ts';
import { quote } from '../core/quote.ts';
import { dumpPipeline } from '../../roles/mysql/backup-script.ts';

const SYSTEM_SCHEMAS = "'mysql', 'information_schema', 'performance_schema', 'sys'";

/** `<host>-<UTC time>.sql.gz`: sorts by time within a host. */
export function backupName(host: string, at: Date): string {
  return `${host}-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.sql.gz`;
}

/** The GTID position a dump was taken at, from its comments (mariadb-dump prints it at the end). */
export function gtidOf(sql: string): string | undefined {
  const found = /gtid_slave_pos\s*=\s*'([0-9,-]*)'/.exec(sql);
  return found?.[1];
}

/** The first and last 64 KiB of a dump: where its comments are. */
const ends = (sql: Buffer) => Buffer.concat([sql.subarray(0, 65536), sql.subarray(Math.max(65536, sql.length - 65536))]).toString('utf8');

export interface Backup {
  host: string;
  gzip: Buffer;
  sha256: string;
  gtid?: string;
}

/** Takes a backup on the host behind `conn` and brings it here (held in memory: base64 over the session). */
export async function takeBackup(conn: Connection, host: string, dump: string, fromReplica: boolean): Promise<Backup> {
  const r = await conn.exec(`bash -o pipefail -c ${quote(`${dumpPipeline(dump, fromReplica)} | base64 -w0`)}`, { timeoutMs: 3_600_000 });
  if (r.exitCode !== 0) throw new ScaleupError(`${host}: the dump failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  const text = r.stdout.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new ScaleupError(`${host}: the dump came back malformed`);
  const gzip = Buffer.from(text, 'base64');
  let comments: string;
  try {
    comments = ends(gunzipSync(gzip));
  } catch {
    throw new ScaleupError(`${host}: the dump came back malformed (not gzip)`);
  }
  return { host, gzip, sha256: createHash('sha256').update(gzip).digest('hex'), gtid: gtidOf(comments) };
}

/** Files of `host`'s backups among `names` to delete so that `keep` newest remain. */
export function expiredBackups(names: string[], host: string, keep: number): string[] {
  const mine = names.filter((n) => new RegExp(`^${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{8}T\\d{6}Z\\.sql\\.gz$`).test(n)).sort().reverse();
  return mine.slice(keep);
}

/** How many non-system databases the server holds. */
export async function userDatabases(conn: Connection): Promise<number> {
  const r = await conn.exec(`mysql -N -B -e ${quote(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (${SYSTEM_SCHEMAS})`)}`);
  if (r.exitCode !== 0) throw new ScaleupError(`${conn.hostName}: MySQL does not answer: ${r.stderr.trim()}`);
  return Number(r.stdout.trim());
}

/** Loads a gzip-compressed dump into the server behind `conn`, then reloads the privileges it brought. */
export async function restoreBackup(conn: Connection, gzip: Buffer): Promise<void> {
  const r = await conn.exec(`bash -o pipefail -c ${quote("{ gunzip -c; echo 'FLUSH PRIVILEGES;'; } | mysql")}`, { stdin: gzip, timeoutMs: 3_600_000 });
  if (r.exitCode !== 0) throw new ScaleupError(`${conn.hostName}: the restore failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
}
