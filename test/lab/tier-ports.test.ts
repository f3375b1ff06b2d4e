// A tier's port set on that tier's group is what the tiers in front of it use: with
// `groups.web.vars.nginx_port: 8080`, nginx listens on 8080, HAProxy sends to 8080, the firewall opens
// it, and `verify` and `graph` agree. Leaves the stack as inventory/lab.yml describes it.
import { afterAll, describe, expect, it } from 'vitest';
import { apply, getVip, inventoryVariant, onHost, provision } from './support.ts';

const variant = inventoryVariant('web-port-8080', (doc) => doc.setIn(['groups', 'web', 'vars', 'nginx_port'], 8080));

afterAll(async () => {
  variant.remove();
  const back = await apply([]);
  expect(back.result.ok).toBe(true);
});

describe('a tier port set on its group', () => {
  it('moves the whole path: nginx listens there, HAProxy sends there, the VIP answers; verify and graph agree', async () => {
    const run = await apply([], variant.file);
    expect(run.result.ok).toBe(true);
    const changed = run.result.steps.filter((s) => s.status === 'changed').map((s) => `${s.host} ${s.step}`);
    expect(changed).toEqual(expect.arrayContaining([
      'lb-01 template /etc/haproxy/haproxy.cfg', 'lb-02 template /etc/haproxy/haproxy.cfg', 'web-01 template /etc/nginx/sites-available/scaleup',
    ]));
    expect((await onHost('lb-01', 'grep -E "^ +server web-01 " /etc/haproxy/haproxy.cfg')).stdout.trim()).toBe('server web-01 10.77.0.21:8080');
    expect((await onHost('web-01', 'ss -Hltn "sport = :8080" | wc -l')).stdout.trim()).not.toBe('0');
    expect((await getVip('/')).status).toBe(200);

    const verify = await provision(['verify', '-i', variant.file, '--json']);
    const report = JSON.parse(verify.stdout) as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(verify.code).toBe(0);

    const graph = await provision(['graph', '-i', variant.file]);
    expect(graph.stdout).toMatch(/:8080/);
    expect(graph.stdout).not.toMatch(/nginx[^\n]*:80\b/);

    const again = await apply([], variant.file);
    expect(again.result.totals.changed).toBe(0);
  });
});
