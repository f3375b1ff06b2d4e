// The app tier runs a user's own app: a Node app with an npm dependency (installed by app_build on the
// control node, from a package the build packs itself: no registry), sent as one archive, answering
// through the VIP with data from MySQL; a second run changes nothing; `provision releases` shows
// where the release came from. The lab goes back to inventory/lab.yml's sample app afterwards.
import { afterAll, describe, expect, it } from 'vitest';
import { apply, appHost, getVip, inventoryVariant, onHost, provision, visits, waitFor } from './support.ts';

const BUILD = 'npm pack ./lib-src/greeting >/dev/null && npm install --omit=dev --no-audit --no-fund --offline && rm -rf lib-src greeting-1.0.0.tgz';

describe('the app role runs a user\'s app as packed releases', () => {
  const variant = inventoryVariant('node-app', (doc) => doc.setIn(['groups', 'app', 'vars'], {
    app_source: 'test/fixtures/apps/node-app',
    app_build: BUILD,
    app_start: 'node server.js --title "it\'s $HOME"',
    app_env: { APP_GREETING_SUFFIX: 'suffix from app_env' },
    app_shared_dirs: ['uploads'],
  }));

  afterAll(async () => {
    variant.remove();
    // The sample app back, as inventory/lab.yml has it.
    const back = await apply(['--role', 'app']);
    expect(back.code, back.stderr).toBe(0);
    await waitFor('the sample app through the VIP', async () => {
      const page = await getVip();
      return page.status === 200 && !Number.isNaN(visits(page.body));
    }, 60_000);
  });

  it('builds once, sends one archive, and answers through the VIP with data from MySQL', async () => {
    const run = await apply(['--role', 'app'], variant.file);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const unpacks = run.result.steps.filter((s) => s.step.startsWith('unpack /opt/counter/releases/'));
    expect(unpacks.map((s) => s.status)).toEqual(['changed']);
    const page = await waitFor('the node app through the VIP', async () => {
      const p = await getVip();
      return p.status === 200 && p.body.includes('hello from node-app') ? p : undefined;
    }, 60_000);
    expect(page.body).toContain('db=scaleup answer=42');
    expect(page.body).toContain('suffix from app_env');
    const id = unpacks[0]!.step.split('/').at(-1)!;
    const onApp = await onHost('app-01', [
      `stat -c '%U %a' /opt/counter/releases/${id} /opt/counter/releases/${id}/node_modules/greeting/index.js`,
      `readlink /opt/counter/releases/${id}/uploads`,
      'stat -c "%U %a" /opt/counter/shared/uploads',
      'readlink /opt/counter/current',
      'tail -n 1 /opt/counter/releases.log',
      'stat -c "%U:%G %a" /etc/counter/env',
    ].join('; '));
    const lines = onApp.stdout.trim().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'root 755', 'root 644', '/opt/counter/shared/uploads', 'counter 750', `/opt/counter/releases/${id}`,
    ]);
    expect(JSON.parse(lines[5]!)).toMatchObject({ release: id, source: expect.stringMatching(/test\/fixtures\/apps\/node-app$/), build: BUILD });
    expect(lines[6]).toBe('root:counter 640');
  });

  it('a second run changes nothing', async () => {
    const run = await apply(['--role', 'app'], variant.file);
    expect(run.code).toBe(0);
    expect(run.result.totals.changed, JSON.stringify(run.result.steps.filter((s) => s.status !== 'ok'), null, 1)).toBe(0);
  });

  it('provision releases shows the current release, where it came from and who made it', async () => {
    const listed = await provision(['releases', '-i', variant.file, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const report = JSON.parse(listed.stdout) as { hosts: { host: string; releases: { id: string; current: boolean; source?: string; by?: string; build?: string }[] }[] };
    expect(report.hosts.map((h) => h.host)).toEqual(['app-01']);
    const current = report.hosts[0]!.releases.find((r) => r.current)!;
    expect(current.source).toMatch(/test\/fixtures\/apps\/node-app$/);
    expect(current.build).toBe(BUILD);
    expect(current.by).toMatch(/^.+@.+$/);
    const text = await provision(['releases', 'app-01', '-i', variant.file]);
    expect(text.stdout).toContain(`* ${current.id}`);
  });

  it('a failing build stops the run before any host is touched', async () => {
    const broken = inventoryVariant('node-app-broken', (doc) => doc.setIn(['groups', 'app', 'vars'], {
      app_source: 'test/fixtures/apps/node-app', app_build: 'echo the build broke >&2; exit 4',
    }));
    try {
      const before = (await onHost('app-01', 'readlink /opt/counter/current')).stdout;
      const run = await provision(['apply', '-i', broken.file, '--yes', '--role', 'app']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/app_build: .* failed with exit 4/);
      expect(run.stderr).toContain('the build broke');
      expect((await onHost('app-01', 'readlink /opt/counter/current')).stdout).toBe(before);
    } finally {
      broken.remove();
    }
    expect(appHost((await getVip()).body)).toBeUndefined(); // still the node app, not the sample
  });
});
