// The whole scale-up stack on the lab, as issue "the scale-up stack" defines done: converge from
// bare hosts, serve through the VIP, converge again with nothing to change, verify, fail over,
// change one role on one host, refuse an invalid config while serving, scale out by inventory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, appHost, getVip, inventoryVariant, onHost, provision, visits } from './support.ts';

const STACK = ['lb-01', 'lb-02', 'web-01', 'app-01', 'db-01'];

describe('the scale-up stack on the lab', () => {
  let firstMs = 0;

  beforeAll(async () => {
    // Bare hosts, whatever other suites did before.
    const reset = await provision(['lab', 'reset', ...STACK]);
    expect(reset.code, reset.stderr).toBe(0);
  });

  it('converges all five hosts from bare, exit 0', async () => {
    const run = await apply([]);
    expect(run.result.totals.failed, run.stderr).toBe(0);
    expect(run.code).toBe(0);
    expect(run.result.totals.unreachable).toBe(0);
    expect(Object.keys(run.result.hosts).sort()).toEqual([...STACK].sort());
    firstMs = run.result.durationMs;
  });

  it('serves the app through the VIP with a counter that increases', async () => {
    const a = await getVip();
    const b = await getVip();
    expect(a.status).toBe(200);
    expect(appHost(a.body)).toBe('app-01');
    expect(visits(b.body)).toBeGreaterThan(visits(a.body));
    expect((await getVip('/static/style.css')).status).toBe(200);
  });

  it('a second apply changes nothing on any host, and is much faster', async () => {
    const run = await apply([]);
    expect(run.code).toBe(0);
    expect(run.result.totals.changed, JSON.stringify(run.result.steps.filter((s) => s.status !== 'ok'), null, 1)).toBe(0);
    expect(run.result.durationMs).toBeLessThan(firstMs / 3);
  });

  it('provision verify passes, and --failover moves the VIP within 5 s', async () => {
    const verify = await provision(['verify', '-i', 'inventory/lab.yml', '--failover', '--json']);
    const report = JSON.parse(verify.stdout) as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(verify.code).toBe(0);
    const failover = report.checks.find((c) => c.name.startsWith('failover'))!;
    expect(Number(/in ([\d.]+) s/.exec(failover.detail)?.[1])).toBeLessThan(5);
  });

  it('one variable, one role, one host: only that file changes, nginx reloads once, others untouched', async () => {
    const pidBefore = (await onHost('web-01', 'cat /run/nginx.pid')).stdout.trim();
    const variant = inventoryVariant('body-size', (doc) => doc.setIn(['groups', 'web', 'hosts', 'web-01', 'vars'], { nginx_client_max_body_size: '32m' }));
    try {
      const run = await apply(['--role', 'nginx', '--limit', 'web-01'], variant.file);
      expect(run.code, run.stderr).toBe(0);
      expect(Object.keys(run.result.hosts)).toEqual(['web-01']);
      expect(run.result.steps.filter((s) => s.status === 'changed').map((s) => s.step)).toEqual(['template /etc/nginx/nginx.conf', 'reload nginx']);
      expect((await onHost('web-01', 'grep client_max_body_size /etc/nginx/nginx.conf')).stdout).toContain('32m');
      // A reload keeps the master process: same PID.
      expect((await onHost('web-01', 'cat /run/nginx.pid')).stdout.trim()).toBe(pidBefore);
    } finally {
      variant.remove();
    }
    // Back to the inventory's value: again only nginx.conf on web-01.
    const back = await apply(['--role', 'nginx', '--limit', 'web-01']);
    expect(back.result.totals.changed).toBe(2);
  });

  it('an invalid HAProxy config is refused by validation; the old one stays and the VIP keeps serving', async () => {
    const before = (await onHost('lb-01', 'sha256sum /etc/haproxy/haproxy.cfg')).stdout;
    const variant = inventoryVariant('bad-haproxy', (doc) => doc.setIn(['groups', 'lb', 'vars'], { haproxy_balance: 'no-such-algorithm' }));
    try {
      const run = await apply(['--role', 'haproxy', '--limit', 'lb-01'], variant.file);
      expect(run.code).toBe(2);
      const failed = run.result.steps.find((s) => s.status === 'failed')!;
      expect(failed.step).toBe('template /etc/haproxy/haproxy.cfg');
      expect(failed.error).toMatch(/validation failed/);
    } finally {
      variant.remove();
    }
    expect((await onHost('lb-01', 'sha256sum /etc/haproxy/haproxy.cfg; ls -a /etc/haproxy | grep -c scaleup- || true')).stdout).toBe(`${before}0\n`);
    expect((await getVip()).status).toBe(200);
  });

  describe('scaling out by inventory alone', () => {
    let up = false;
    beforeAll(async () => {
      up = (await onHost('web-02', 'true').then(() => true, () => false)) && (await onHost('app-02', 'true').then(() => true, () => false));
    });

    it('web-02 and app-02 join the rotation on the next run', async ({ skip }) => {
      if (!up) skip();
      const variant = inventoryVariant('scaled', (doc) => {
        doc.setIn(['groups', 'web', 'hosts', 'web-02'], { address: '10.77.0.22' });
        doc.setIn(['groups', 'app', 'hosts', 'app-02'], { address: '10.77.0.32' });
      });
      try {
        const run = await apply([], variant.file);
        expect(run.result.steps.filter((s) => s.status === 'failed')).toEqual([]);
        expect(run.code).toBe(0);
        const servedBy = new Set<string>();
        for (let i = 0; i < 20 && servedBy.size < 2; i++) servedBy.add(appHost((await getVip()).body) ?? '?');
        expect([...servedBy].sort()).toEqual(['app-01', 'app-02']);
        const stats = await provision(['verify', '-i', variant.file, '--json']);
        expect(JSON.parse(stats.stdout).checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
      } finally {
        variant.remove();
      }
    });
  });

  afterAll(async () => {
    // Leave the five-host stack as inventory/lab.yml describes it.
    await apply([]);
  });
});
