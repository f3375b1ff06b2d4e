// The app tier runs a Python app: Python 3's standard library HTTP server with Debian's
// python3-pymysql, no build step, installed from the distribution by app_packages. It answers through
// the VIP with data from MySQL; a second run changes nothing. The lab goes back to inventory/lab.yml's
// sample app afterwards, and `provision verify` passes again.
import { afterAll, describe, expect, it } from 'vitest';
import { apply, getVip, inventoryVariant, onHost, provision, visits, waitFor } from './support.ts';

const pythonVisits = (body: string) => Number(/visits=(\d+)/.exec(body)?.[1] ?? NaN);

describe('the app role runs a Python app', () => {
  const variant = inventoryVariant('python-app', (doc) => doc.setIn(['groups', 'app', 'vars'], {
    app_source: 'test/fixtures/apps/python-app',
    app_start: 'python3 server.py',
    app_packages: ['python3', 'python3-pymysql'],
    app_env: { APP_GREETING_SUFFIX: 'suffix from app_env' },
  }));

  afterAll(async () => {
    variant.remove();
    // The sample app back, as inventory/lab.yml has it; the whole stack checks out again.
    const back = await apply([]);
    expect(back.code, back.stderr).toBe(0);
    await waitFor('the sample app through the VIP', async () => {
      const page = await getVip();
      return page.status === 200 && !Number.isNaN(visits(page.body));
    }, 60_000);
    const verify = await provision(['verify', '-i', 'inventory/lab.yml', '--json']);
    const report = JSON.parse(verify.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(verify.code).toBe(0);
  });

  it('installs its packages, and answers through the VIP with data from MySQL', async () => {
    const run = await apply(['--role', 'app'], variant.file);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const installed = await onHost('app-01', "dpkg-query -W -f '${db:Status-Status}\\n' python3-pymysql");
    expect(installed.stdout.trim()).toBe('installed');

    const first = await waitFor('the python app through the VIP', async () => {
      const p = await getVip();
      return p.status === 200 && p.body.includes('hello from python-app') ? p : undefined;
    }, 60_000);
    expect(first.body).toMatch(/^hello from python-app on app-0\d; suffix from app_env\ndb=scaleup visits=\d+\n$/);
    const second = await getVip();
    expect(pythonVisits(second.body)).toBeGreaterThan(pythonVisits(first.body));
    // The count is the one MySQL holds.
    const row = await onHost('db-01', "mysql -N -B -e \"SELECT hits FROM scaleup.counters WHERE name = 'python-app'\"");
    expect(Number(row.stdout.trim())).toBeGreaterThanOrEqual(pythonVisits(second.body));

    const health = await getVip('/healthz');
    expect(health).toEqual({ status: 200, body: 'ok\n' });
    // It runs as the app's user, from the release, not as root.
    const ps = await onHost('app-01', "ps -o user=,args= -C python3 | grep 'server.py'");
    expect(ps.stdout.trim()).toMatch(/^counter\s+python3 server\.py$/m);
  });

  it('a second run changes nothing', async () => {
    const run = await apply(['--role', 'app'], variant.file);
    expect(run.code).toBe(0);
    expect(run.result.totals.changed, JSON.stringify(run.result.steps.filter((s) => s.status !== 'ok'), null, 1)).toBe(0);
  });

  it('provision verify passes with it: the VIP and the health path through the stack, its DB user from the app host', async () => {
    const verify = await provision(['verify', '-i', variant.file, '--json']);
    const report = JSON.parse(verify.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.find((c) => c.name.startsWith('VIP '))?.detail).toMatch(/\/healthz 200/);
    expect(verify.code).toBe(0);
  });
});
