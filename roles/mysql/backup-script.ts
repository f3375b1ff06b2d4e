// The backup a db host takes of itself (`provision db backup --on-host`, and the scheduled backup of
// mysql_backup_schedule): a consistent dump, compressed, into ON_HOST_DIR, the newest kept.
import { quote } from 'scaleup';

/** Where `--on-host` backups (and the scheduled ones) are kept on a db host. */
export const ON_HOST_DIR = '/var/backups/scaleup-mysql';

/**
 * The dump as the host runs it: from a replica, `--dump-slave` (its primary's position, the SQL
 * thread paused for the snapshot), else `--master-data`; both as comments, with `--gtid`.
 */
export function dumpPipeline(dump: string, fromReplica: boolean): string {
  // dump: a program name, or a shell expression that finds one on the host.
  const position = fromReplica ? '--dump-slave=2' : '--master-data=2';
  return `${dump} --single-transaction --gtid ${position} --all-databases --routines --events --triggers | gzip -c`;
}

/**
 * The shell script that keeps a backup on the host in ON_HOST_DIR, the `keep` newest of its prefix, and
 * prints `name sha256`. `prefix` and the time are shell expressions, so the same script serves the
 * command line (the inventory name) and the scheduled backup (the host's own name, its own clock).
 */
export function onHostBackupScript(dump: string, fromReplica: boolean, prefix: string, keep: number): string {
  const dir = ON_HOST_DIR;
  return [
    'set -eu',
    'umask 077',
    `prefix=${prefix}`,
    'name="$prefix-$(date -u +%Y%m%dT%H%M%SZ).sql.gz"',
    `mkdir -p ${dir} && chmod 700 ${dir}`,
    `bash -o pipefail -c ${quote(`${dumpPipeline(dump, fromReplica)} > "$1"`)} dump "${dir}/.$name.partial"`,
    `mv "${dir}/.$name.partial" "${dir}/$name"`,
    `(cd ${dir} && sha256sum "$name" > "$name.sha256")`,
    // Retention: the newest `keep` of this prefix's backups.
    `ls -1 ${dir} | grep -E "^$prefix-[0-9]{8}T[0-9]{6}Z\\.sql\\.gz\$" | sort -r | tail -n +${keep + 1} | while read -r old; do rm -f "${dir}/$old" "${dir}/$old.sha256"; done`,
    `printf '%s %s\\n' "$name" "$(cut -d' ' -f1 "${dir}/$name.sha256")"`,
  ].join('\n');
}

