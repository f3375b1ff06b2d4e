// Backups that restore (issue 17): `provision db backup` brings a consistent dump of db-01 to the
// control node; `provision db restore` puts it on a fresh MariaDB (db-02, outside the db group), which
// afterwards holds exactly the same data (table checksums and row counts); backups kept on the host
// and the scheduled backup keep the newest N.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, inventoryVariant, LAB_ADDRESSES, onHost, provision, VIP, sqlOn as sql } from './support.ts';


/** Each table of the app's database with its row count and CHECKSUM TABLE. */
async function contents(host: string): Promise<string> {
  const tables = (await sql(host, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'scaleup' ORDER BY table_name")).split('\n').filter(Boolean);
  const rows = [];
  for (const t of tables) rows.push(`${t} ${await sql(host, `SELECT COUNT(*) FROM scaleup.\`${t}\``)} ${await sql(host, `CHECKSUM TABLE scaleup.\`${t}\``)}`);
  return rows.join('\n');
}

describe('db backups that restore', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-backups-'));
  // db-02 outside the db group: a host to restore onto, not a replica.
  const spare = inventoryVariant('db-backup-spare', (doc) => doc.setIn(['groups', 'spare', 'hosts', 'db-02'], { address: LAB_ADDRESSES['db-02'] }));
  const scheduled = inventoryVariant('db-backup-scheduled', (doc) => {
    doc.setIn(['groups', 'db', 'vars', 'mysql_backup_schedule'], 'hourly');
    doc.setIn(['groups', 'db', 'vars', 'mysql_backup_keep'], 2);
  });
  let file = '';
  /** db-01's data when the backup was taken. */
  let snapshot = '';

  beforeAll(async () => {
    const reset = await provision(['lab', 'reset', 'db-02']);
    expect(reset.code, reset.stderr).toBe(0);
    const base = await apply([]);
    expect(base.code, `${base.stdout}\n${base.stderr}`).toBe(0);
  }, 600_000);
  afterAll(async () => {
    await onHost('db-01', 'systemctl disable --now scaleup-mysql-backup.timer 2>/dev/null; rm -rf /var/backups/scaleup-mysql /usr/local/sbin/scaleup-mysql-backup /etc/systemd/system/scaleup-mysql-backup.*; systemctl daemon-reload');
    spare.remove();
    scheduled.remove();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('backup: a compressed dump of db-01 on the control node, 0600, its sha256 beside it, the GTID printed', async () => {
    // A row to back up, whatever the suites before left: one page view counts one visit.
    expect((await fetch(`http://${VIP}/`)).status).toBe(200);
    // The app's writes paused (read_only stops it, not root), so that the backup and the data compared are the same.
    await sql('db-01', 'SET GLOBAL read_only = ON');
    let run;
    try {
      snapshot = await contents('db-01');
      run = await provision(['db', 'backup', '-i', 'inventory/lab.yml', '--to', dir]);
    } finally {
      await sql('db-01', 'SET GLOBAL read_only = OFF');
    }
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^db-01: .*db-01-\d{8}T\d{6}Z\.sql\.gz {2}[\d.]+ KiB {2}sha256 [0-9a-f]{64} {2}GTID 0-\d+-\d+; the newest 7 kept\n/m);
    const name = readdirSync(dir).find((n) => n.endsWith('.sql.gz'))!;
    file = path.join(dir, name);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const sum = readFileSync(`${file}.sha256`, 'utf8').split(' ')[0];
    expect(sum).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
  }, 300_000);

  it('restore onto a fresh server: it holds exactly the backup\'s data; a second restore is refused without --force', async () => {
    const install = await provision(['exec', 'db-02', '-i', spare.file, '--', 'apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q mariadb-server >/dev/null && systemctl start mariadb']);
    expect(install.code, `${install.stdout}\n${install.stderr}`).toBe(0);
    const run = await provision(['db', 'restore', file, '--host', 'db-02', '-i', spare.file]);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(await contents('db-02')).toBe(snapshot);
    expect(snapshot).toMatch(/^counters [1-9]\d* \S+/m);

    const again = await provision(['db', 'restore', file, '--host', 'db-02', '-i', spare.file]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/db-02 holds \d+ database\(s\): refusing to restore over them/);
    const forced = await provision(['db', 'restore', file, '--host', 'db-02', '-i', spare.file, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
  }, 600_000);

  it('a backup whose checksum does not match is not restored', async () => {
    const bad = path.join(dir, 'tampered.sql.gz');
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(bad, bytes);
    copyFileSync(`${file}.sha256`, `${bad}.sha256`);
    const run = await provision(['db', 'restore', bad, '--host', 'db-02', '-i', spare.file, '--force']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/its checksum is [0-9a-f]{64}, .* says [0-9a-f]{64}: not restored/);
  });

  it('--on-host keeps the newest N on the host; the scheduled backup is a timer doing the same', async () => {
    for (let i = 0; i < 3; i++) {
      const run = await provision(['db', 'backup', '-i', 'inventory/lab.yml', '--on-host', '--keep', '2']);
      expect(run.code, run.stderr).toBe(0);
      await new Promise((r) => setTimeout(r, 1100)); // a new name each second
    }
    const kept = (await onHost('db-01', 'ls /var/backups/scaleup-mysql')).stdout.trim().split('\n');
    expect(kept.filter((n) => n.endsWith('.sql.gz'))).toHaveLength(2);
    expect((await onHost('db-01', 'stat -c %a /var/backups/scaleup-mysql')).stdout.trim()).toBe('700');

    const run = await apply(['--role', 'mysql'], scheduled.file);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect((await onHost('db-01', 'systemctl is-active scaleup-mysql-backup.timer')).stdout.trim()).toBe('active');
    const ran = await onHost('db-01', 'systemctl start scaleup-mysql-backup.service && ls /var/backups/scaleup-mysql | grep -c "\\.sql\\.gz$"');
    expect(ran.exitCode, ran.stderr).toBe(0);
    expect(ran.stdout.trim()).toBe('2');
    const again = await apply(['--role', 'mysql'], scheduled.file);
    expect(again.result.steps.filter((s) => s.status === 'changed').map((s) => s.step)).toEqual([]);
  }, 300_000);
});
