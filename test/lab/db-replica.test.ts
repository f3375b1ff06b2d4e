// Replicas by inventory (issue 17): db-02 added to the db group becomes a replica of db-01 on the next
// run, seeded from a consistent snapshot while the VIP takes writes (every page view increments the
// counter on the primary), and afterwards holds exactly the primary's data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { underLoad } from './load.ts';
import { apply, inventoryVariant, LAB_ADDRESSES, onHost, provision, VIP, sqlOn as sql } from './support.ts';


const LOAD = { url: `http://${VIP}/`, concurrency: 4, timeoutMs: 4000, pauseMs: 20, durationMs: 120_000 };

/** CHECKSUM TABLE of every table of the app's database. */
async function checksums(host: string): Promise<string> {
  const tables = (await sql(host, "SELECT GROUP_CONCAT(CONCAT('scaleup.', table_name) ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'scaleup'"));
  return sql(host, `CHECKSUM TABLE ${tables}`);
}

describe('a db host added to the inventory becomes a replica', () => {
  const variant = inventoryVariant('db-replica', (doc) => doc.setIn(['groups', 'db', 'hosts', 'db-02'], { address: LAB_ADDRESSES['db-02'] }));

  beforeAll(async () => {
    // A bare db-02, whatever an earlier run left there.
    const reset = await provision(['lab', 'reset', 'db-02']);
    expect(reset.code, reset.stderr).toBe(0);
    // The stack as inventory/lab.yml makes it: the primary already writes its binary log.
    const base = await apply([]);
    expect(base.code, `${base.stdout}\n${base.stderr}`).toBe(0);
  }, 600_000);
  afterAll(async () => {
    const back = await apply([]);
    variant.remove();
    expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
  }, 600_000);

  it('seeded while the VIP takes writes: no request lost, and afterwards db-02 holds exactly what db-01 holds', async () => {
    const { timeline, value: run } = await underLoad({ ...LOAD, minMs: 3000 }, () => apply([], variant.file));
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const lost = timeline.samples.filter((s) => s.status !== 200);
    console.log(`replica seeded under load: ${timeline.samples.length} requests, ${lost.length} lost, run ${(run.ms / 1000).toFixed(1)} s`);
    expect(lost).toEqual([]);
    expect(run.result.steps.filter((s) => s.host === 'db-02' && s.status === 'changed').map((s) => s.step)).toContain('mysql replica of db-01');

    // Writes after the seed reach db-02 too: one more page view, then db-02 catches up to the primary's position.
    expect((await fetch(`http://${VIP}/`)).status).toBe(200);
    const position = await sql('db-01', 'SELECT @@gtid_binlog_pos');
    expect(await sql('db-02', `SELECT MASTER_GTID_WAIT('${position}', 60)`)).toBe('0');
    expect(await checksums('db-02')).toBe(await checksums('db-01'));
    expect(await sql('db-02', 'SELECT hits FROM scaleup.counters ORDER BY name')).toBe(await sql('db-01', 'SELECT hits FROM scaleup.counters ORDER BY name'));

    const status = await onHost('db-02', "mysql -e 'SHOW SLAVE STATUS\\G'");
    expect(status.stdout).toMatch(/Slave_IO_Running: Yes/);
    expect(status.stdout).toMatch(/Slave_SQL_Running: Yes/);
    expect(status.stdout).toMatch(/Using_Gtid: Slave_Pos/);
    expect(await sql('db-02', 'SELECT @@read_only')).toBe('1');
  }, 600_000);

  it('the second run changes nothing', async () => {
    const again = await apply([], variant.file);
    expect(again.code, again.stderr).toBe(0);
    expect(again.result.steps.filter((s) => s.status === 'changed').map((s) => `${s.host} ${s.step}`)).toEqual([]);
  }, 300_000);

  it('provision verify checks replication: db-02 replicates from db-01 and has its writes; a stopped replica fails it', async () => {
    const verify = await provision(['verify', '-i', variant.file, '--json']);
    const report = JSON.parse(verify.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.find((c) => c.name === 'db-02: replicates from db-01')?.detail).toMatch(/^from 10\.77\.0\.41, IO Yes, SQL Yes, \d+ s behind$/);
    expect(report.checks.find((c) => c.name === "db-02: has the primary's writes")?.ok).toBe(true);
    expect(verify.code).toBe(0);

    await sql('db-02', 'STOP SLAVE SQL_THREAD');
    try {
      const stopped = await provision(['verify', '-i', variant.file, '--json']);
      const failed = (JSON.parse(stopped.stdout) as typeof report).checks.filter((c) => !c.ok).map((c) => c.name);
      expect(failed).toContain('db-02: replicates from db-01');
      expect(stopped.code).not.toBe(0);
    } finally {
      await sql('db-02', 'START SLAVE SQL_THREAD');
    }
  }, 120_000);

  it('the replication account logs in only from db-02, and may change nothing', async () => {
    const grants = await sql('db-01', "SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User = 'replicator'");
    expect(grants).toBe(`replicator@${LAB_ADDRESSES['db-02']}`);
    const privileges = await sql('db-01', "SELECT GROUP_CONCAT(PRIVILEGE_TYPE ORDER BY PRIVILEGE_TYPE) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE LIKE '''replicator''@%'");
    expect(privileges.split(',')).not.toContain('INSERT');
    expect(privileges.split(',')).toContain('REPLICATION SLAVE');
  });

  it('a replica whose replication was stopped is started again by the next run', async () => {
    await sql('db-02', 'STOP SLAVE');
    const run = await apply(['--role', 'mysql', '--limit', 'db-02'], variant.file);
    expect(run.code, run.stderr).toBe(0);
    expect(run.result.steps.find((s) => s.step === 'mysql replica of db-01')?.status).toBe('changed');
    const status = await onHost('db-02', "mysql -e 'SHOW SLAVE STATUS\\G'");
    expect(status.stdout).toMatch(/Slave_SQL_Running: Yes/);
  }, 300_000);
});
