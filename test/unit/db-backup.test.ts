// Backups of the db tier: names, the GTID a dump was taken at, retention (src/stack/db-backup.ts), and
// what the host runs (roles/mysql/backup-script.ts).
import { describe, expect, it } from 'vitest';
import { dumpPipeline, onHostBackupScript } from '../../roles/mysql/backup-script.ts';
import { backupName, expiredBackups, gtidOf } from '../../src/stack/db-backup.ts';

describe('db backups', () => {
  it('are named by host and UTC time, so that they sort by time', () => {
    expect(backupName('db-02', new Date('2026-12-08T01:02:03.456Z'))).toBe('db-02-20261208T010203Z.sql.gz');
  });

  it('carry the GTID position they were taken at (from a primary or, with --dump-slave, a replica)', () => {
    expect(gtidOf("-- MariaDB dump\n-- SET GLOBAL gtid_slave_pos='0-172818473-5291';\n")).toBe('0-172818473-5291');
    expect(gtidOf('-- no position here\n')).toBeUndefined();
    expect(dumpPipeline('mariadb-dump', true)).toContain('--single-transaction --gtid --dump-slave=2 --all-databases');
    expect(dumpPipeline('mariadb-dump', false)).toContain('--master-data=2');
  });

  it('keep the newest N of a host, and never another host\'s files', () => {
    const names = ['db-01-20261201T000000Z.sql.gz', 'db-01-20261203T000000Z.sql.gz', 'db-01-20261202T000000Z.sql.gz', 'db-010-20261201T000000Z.sql.gz', 'db-01-20261203T000000Z.sql.gz.sha256', 'notes.txt'];
    expect(expiredBackups(names, 'db-01', 2)).toEqual(['db-01-20261201T000000Z.sql.gz']);
    expect(expiredBackups(names, 'db-01', 5)).toEqual([]);
  });

  it('on the host: written under a hidden name, renamed when complete, private, with its sha256', () => {
    const script = onHostBackupScript('mariadb-dump', false, "'db-01'", 3);
    expect(script).toContain('umask 077');
    expect(script).toContain('chmod 700 /var/backups/scaleup-mysql');
    expect(script).toMatch(/> "\$1"' dump "\/var\/backups\/scaleup-mysql\/\.\$name\.partial"\nmv /);
    expect(script).toContain('tail -n +4');
  });
});
