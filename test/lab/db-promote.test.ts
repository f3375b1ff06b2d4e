// Promotion (issue 17): `provision db promote db-02` under steady write load through the VIP (every page
// view increments the counter on the primary): no acknowledged write is lost (the counter never goes
// back), the app writes to db-02 afterwards, db-01 replicates from it, and the inventory as it was is
// refused until it names the new primary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, inventoryVariant, LAB_ADDRESSES, onHost, provision, VIP, visits, sqlOn as sql } from './support.ts';


/** Page views from `workers` loops until stop(): each success's visit count, and the failures. */
function writeLoad(workers: number, maxMs: number) {
  const seen: number[] = [];
  let failed = 0;
  let stopped = false;
  const deadline = Date.now() + maxMs;
  const loop = async () => {
    while (!stopped && Date.now() < deadline) {
      try {
        const res = await fetch(`http://${VIP}/`, { signal: AbortSignal.timeout(4000) });
        const body = await res.text();
        if (res.status === 200) seen.push(visits(body));
        else failed++;
      } catch {
        failed++;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const done = Promise.all(Array.from({ length: workers }, loop));
  return { seen, failures: () => failed, stop: async () => { stopped = true; await done; } };
}

describe('provision db promote: a planned switchover to a replica', () => {
  const withDb02 = (name: string, primary?: string) =>
    inventoryVariant(name, (doc) => {
      doc.setIn(['groups', 'db', 'hosts', 'db-02'], { address: LAB_ADDRESSES['db-02'] });
      if (primary) doc.setIn(['groups', 'db', 'vars', 'mysql_primary'], primary);
    });
  const asBefore = withDb02('db-promote');
  const promoted = withDb02('db-promote-02', 'db-02');
  /** Set once db-01 was promoted by force: the tier is then back on db-01 already. */
  let forced = false;

  beforeAll(async () => {
    const reset = await provision(['lab', 'reset', 'db-02']);
    expect(reset.code, reset.stderr).toBe(0);
    for (const file of [undefined, asBefore.file]) {
      const run = await apply([], file);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    }
  }, 900_000);
  afterAll(async () => {
    // Back to db-01 as the primary, and the stack of inventory/lab.yml.
    const back = forced ? { code: 0, stdout: '', stderr: '' } : await apply([], promoted.file, ['db', 'promote', 'db-01']);
    const lab = await apply([]);
    asBefore.remove();
    promoted.remove();
    expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
    expect(lab.code, `${lab.stdout}\n${lab.stderr}`).toBe(0);
  }, 900_000);

  it('under write load: no acknowledged write lost, the app writes to db-02, db-01 replicates from it', async () => {
    const load = writeLoad(3, 240_000);
    await new Promise((r) => setTimeout(r, 2000));
    const run = await apply([], asBefore.file, ['db', 'promote', 'db-02']);
    await new Promise((r) => setTimeout(r, 2000));
    await load.stop();
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/db-02 is the primary\. Make it permanent in .*: set `mysql_primary: db-02`/);
    const highest = Math.max(...load.seen);
    console.log(`promotion under load: ${load.seen.length} writes acknowledged, ${load.failures()} failed, highest count ${highest}`);
    expect(load.seen.length).toBeGreaterThan(0);

    // The counter never goes back: the next view counts past every acknowledged one.
    const after = visits(await (await fetch(`http://${VIP}/`)).text());
    expect(after).toBeGreaterThan(highest);
    expect(await sql('db-02', 'SELECT @@read_only')).toBe('0');
    expect(await onHost('app-01', 'grep ^DB_HOST= /etc/counter/env').then((r) => r.stdout.trim())).toBe(`DB_HOST="${LAB_ADDRESSES['db-02']}"`);
    const status = await onHost('db-01', "mysql -e 'SHOW SLAVE STATUS\\G'");
    expect(status.stdout).toMatch(new RegExp(`Master_Host: ${LAB_ADDRESSES['db-02']!.replace(/\./g, '\\.')}`));
    expect(status.stdout).toMatch(/Slave_IO_Running: Yes/);
    expect(status.stdout).toMatch(/Slave_SQL_Running: Yes/);
    expect(await sql('db-01', 'SELECT @@read_only')).toBe('1');
    const position = await sql('db-02', 'SELECT @@gtid_binlog_pos');
    expect(await sql('db-01', `SELECT MASTER_GTID_WAIT('${position}', 60)`)).toBe('0');
    expect(await sql('db-01', "SELECT hits FROM scaleup.counters WHERE name = 'visits'")).toBe(await sql('db-02', "SELECT hits FROM scaleup.counters WHERE name = 'visits'"));
  }, 600_000);

  it('the inventory as it was is refused on db-01; naming db-02 converges with nothing to fix, and verify passes', async () => {
    const stale = await apply(['--role', 'mysql'], asBefore.file);
    expect(stale.code).toBe(2);
    expect(`${stale.stdout}\n${stale.stderr}`).toMatch(/db-01 is the primary in the inventory but replicates from 10\.77\.0\.42:3306/);

    const run = await apply([], promoted.file);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const again = await apply([], promoted.file);
    expect(again.result.steps.filter((s) => s.status === 'changed').map((s) => `${s.host} ${s.step}`)).toEqual([]);
    const verify = await provision(['verify', '-i', promoted.file, '--json']);
    const report = JSON.parse(verify.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toContain('db-01: replicates from db-02');
  }, 600_000);

  it('--force when the primary is gone: db-01 promoted from what it received, the app writes to it', async () => {
    const planned = await provision(['db', 'promote', 'db-01', '--force', '-i', promoted.file, '--yes']);
    expect(planned.code).not.toBe(0);
    expect(planned.stderr).toMatch(/db-02 answers: use the planned switchover \(without --force\), which loses nothing/);

    const before = Number(await sql('db-02', "SELECT hits FROM scaleup.counters WHERE name = 'visits'"));
    await onHost('db-02', 'systemctl stop mariadb');
    const run = await apply([], promoted.file, ['db', 'promote', 'db-01', '--force']);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    forced = true;
    expect(run.stdout).toMatch(/db-01 holds every transaction any replica received from db-02: 0-\d+-\d+/);
    expect(run.stdout).toMatch(/transactions db-02 committed after .* reached no replica and are lost with it/);
    expect(await sql('db-01', 'SELECT @@read_only')).toBe('0');
    expect((await onHost('db-01', "mysql -e 'SHOW SLAVE STATUS'")).stdout.trim()).toBe('');
    expect(await onHost('app-01', 'grep ^DB_HOST= /etc/counter/env').then((r) => r.stdout.trim())).toBe(`DB_HOST="${LAB_ADDRESSES['db-01']}"`);
    // Writes go to db-01, counting on from what db-02 had.
    const page = await fetch(`http://${VIP}/`);
    expect(page.status).toBe(200);
    expect(visits(await page.text())).toBeGreaterThan(before);
  }, 600_000);
});
