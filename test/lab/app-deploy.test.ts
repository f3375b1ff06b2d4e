// Deploys under load (issue 15): a new release of the app goes live on the one app host of
// inventory/lab.yml with no dropped request, through the surge instance on app_surge_port (nginx's
// backup upstream); a release whose health check fails never gets traffic and the run exits 2 naming it.
// Steady load from the control node at the VIP for the whole rollout.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot as projectRoot } from '../../src/package-root.ts';
import { type Timeline, underLoad } from './load.ts';
import { apply, inventoryVariant, LAB_ADDRESSES, onHost, provision, VIP } from './support.ts';

const LOAD = { url: `http://${VIP}/`, concurrency: 4, timeoutMs: 4000, pauseMs: 20, durationMs: 60_000 };
const fixtures = path.join(projectRoot, '.lab', 'app-deploy');
const sample = path.join(projectRoot, 'roles', 'app', 'files', 'counter');

/** A copy of the sample app whose X-App-Host says `<host>/<tag>`, its server.js changed by `edit`. */
function version(tag: string, edit: (js: string) => string = (js) => js): string {
  const dir = path.join(fixtures, tag);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(fixtures, { recursive: true });
  cpSync(sample, dir, { recursive: true });
  const file = path.join(dir, 'server.js');
  const js = readFileSync(file, 'utf8').replace("'X-App-Host': os.hostname(),", `'X-App-Host': os.hostname() + '/${tag}',`);
  writeFileSync(file, edit(js));
  return dir;
}

function withSource(name: string, dir: string) {
  return inventoryVariant(`app-deploy-${name}`, (doc) => doc.setIn(['groups', 'app', 'vars', 'app_source'], dir));
}

/** Load this long after a run ends shows what serves once it is done. */
const TAIL_MS = 2000;
const tail = () => new Promise((r) => setTimeout(r, TAIL_MS));

function summary(t: Timeline) {
  const lost = t.samples.filter((s) => s.status !== 200);
  const rate = t.samples.length / (t.durationMs / 1000);
  return { requests: t.samples.length, lost: lost.length, rate, errors: [...new Set(lost.map((s) => `${s.status} ${s.error ?? ''}`))] };
}

describe('deploys under load with one app host (inventory/lab.yml)', () => {
  const variants: { remove: () => void }[] = [];
  beforeAll(async () => {
    // nginx's backup upstream and the firewall's surge port come with the roles: converge them first.
    const run = await apply([]);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  }, 600_000);
  afterAll(async () => {
    const back = await apply([]);
    for (const v of variants) v.remove();
    rmSync(fixtures, { recursive: true, force: true });
    expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
  }, 600_000);

  it('a new version goes live with 0 requests lost; every response after the switch is the new one; a second run changes nothing', async () => {
    const v2 = withSource('v2', version('v2'));
    variants.push(v2);
    const { timeline, value: run } = await underLoad({ ...LOAD, minMs: 3000 }, async (load) => {
      const r = await apply(['--role', 'app'], v2.file);
      const endedAt = load.now();
      await tail();
      return { ...r, endedAt };
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const s = summary(timeline);
    console.log(`deploy v2, one app host: ${s.requests} requests at ${s.rate.toFixed(0)}/s, ${s.lost} lost ${s.errors.join(', ')}`);
    expect(s.rate).toBeGreaterThanOrEqual(50);
    expect(s.lost).toBe(0);
    const newOnes = timeline.samples.filter((x) => x.served === 'app-01/v2');
    expect(newOnes.length).toBeGreaterThan(0);
    // Not asserted: that no request is served by the old version once the new one has answered. While the
    // surge instance runs, nginx may send a request to it whenever the live port is slow to accept (a busy
    // machine), and the next one to the old live instance again; that depends on the machine's speed. What
    // holds whatever the speed: nothing is lost, and once the switch is over only the new version answers.
    expect(new Set(timeline.samples.filter((x) => x.at > run.endedAt).map((x) => x.served))).toEqual(new Set(['app-01/v2']));

    const again = await apply(['--role', 'app'], v2.file);
    expect(again.code).toBe(0);
    expect(again.result.steps.filter((x) => x.status === 'changed').map((x) => x.step)).toEqual([]);
  }, 300_000);

  const broken: [string, (js: string) => string, RegExp][] = [
    ['health500', (js) => js.replace("send(res, 200, 'text/plain; charset=utf-8', 'ok\\n');", "send(res, 500, 'text/plain; charset=utf-8', 'broken on purpose\\n');"), /HTTP 500: broken on purpose/],
    ['exits', (js) => `process.exit(3);\n${js}`, /the process exited/],
  ];
  it.each(broken)('a broken release (%s) gets no traffic: 0 lost, the old release serves, exit 2 naming it and the answer', async (tag, edit, reason) => {
    const bad = withSource(tag, version(tag, edit));
    variants.push(bad);
    const { timeline, value: run } = await underLoad({ ...LOAD, minMs: 3000 }, () => apply(['--role', 'app'], bad.file));
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(2);
    const out = `${run.stdout}\n${run.stderr}`;
    expect(out).toMatch(/counter: release [0-9a-f]{12}: health check \/healthz on port 3001 failed/);
    expect(out).toMatch(reason);
    const s = summary(timeline);
    console.log(`broken release (${tag}), one app host: ${s.requests} requests at ${s.rate.toFixed(0)}/s, ${s.lost} lost ${s.errors.join(', ')}`);
    expect(s.lost).toBe(0);
    expect(new Set(timeline.samples.map((x) => x.served))).toEqual(new Set(['app-01/v2']));
  }, 300_000);
});

describe('deploys and rollbacks under load with two app hosts (app-02 added to the app group)', () => {
  const variants: { remove: () => void }[] = [];
  const appHosts = ['app-01', 'app-02'];
  /** app-02 in the app group; `source` the app, with app_migrate and a shared folder it writes to. */
  const twoHosts = (name: string, source?: string) =>
    inventoryVariant(`app-deploy-${name}`, (doc) => {
      doc.setIn(['groups', 'app', 'hosts', 'app-02'], { address: LAB_ADDRESSES['app-02'] });
      if (source) {
        doc.setIn(['groups', 'app', 'vars', 'app_source'], source);
        doc.setIn(['groups', 'app', 'vars', 'app_shared_dirs'], ['state']);
        doc.setIn(['groups', 'app', 'vars', 'app_migrate'], 'echo "$(hostname) $(date +%s)" >> state/migrations.log');
      }
    });
  /** Lines app_migrate wrote, on all app hosts together. */
  const migrations = async () => {
    const counts = await Promise.all(appHosts.map((h) => onHost(h, 'cat /opt/counter/shared/state/migrations.log 2>/dev/null | wc -l')));
    return counts.reduce((n, c) => n + Number(c.stdout.trim()), 0);
  };
  let v3: { file: string; remove: () => void };

  beforeAll(async () => {
    // The stack with app-02 in rotation (nginx's upstreams, the firewall), on the sample app.
    const both = twoHosts('two');
    variants.push(both);
    const run = await apply([], both.file);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    await Promise.all(appHosts.map((h) => onHost(h, 'rm -f /opt/counter/shared/state/migrations.log')));
    v3 = twoHosts('v3', version('v3'));
    variants.push(v3);
  }, 600_000);
  afterAll(async () => {
    const back = await apply([]);
    for (const v of variants) v.remove();
    rmSync(fixtures, { recursive: true, force: true });
    expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
  }, 600_000);

  it('`provision deploy` rolls v3 out host by host with 0 requests lost, and app_migrate runs exactly once', async () => {
    const { timeline, value: run } = await underLoad({ ...LOAD, minMs: 3000 }, async (load) => {
      const r = await apply([], v3.file, ['deploy']);
      const endedAt = load.now();
      await tail();
      return { ...r, endedAt };
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const s = summary(timeline);
    console.log(`deploy v3, two app hosts: ${s.requests} requests at ${s.rate.toFixed(0)}/s, ${s.lost} lost ${s.errors.join(', ')}`);
    expect(s.rate).toBeGreaterThanOrEqual(50);
    expect(s.lost).toBe(0);
    const after = new Set(timeline.samples.filter((x) => x.at > run.endedAt).map((x) => x.served));
    expect([...after].sort()).toEqual(['app-01/v3', 'app-02/v3']);
    expect(await migrations()).toBe(1);

    // Converged: nothing changes, and no migration runs.
    const again = await apply([], v3.file, ['deploy']);
    expect(again.code).toBe(0);
    expect(again.result.steps.filter((x) => x.status === 'changed').map((x) => x.step)).toEqual([]);
    expect(await migrations()).toBe(1);
  }, 300_000);

  it('`provision rollback` puts the previous release back on both hosts with 0 requests lost, without rebuilding or migrating', async () => {
    const { timeline, value: run } = await underLoad({ ...LOAD, minMs: 3000 }, async (load) => {
      const r = await apply([], v3.file, ['rollback']);
      const endedAt = load.now();
      await tail();
      return { ...r, endedAt };
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/rolling back to release [0-9a-f]{12}/);
    const s = summary(timeline);
    console.log(`rollback, two app hosts: ${s.requests} requests at ${s.rate.toFixed(0)}/s, ${s.lost} lost ${s.errors.join(', ')}`);
    expect(s.rate).toBeGreaterThanOrEqual(50);
    expect(s.lost).toBe(0);
    const after = new Set(timeline.samples.filter((x) => x.at > run.endedAt).map((x) => x.served));
    expect([...after].sort()).toEqual(['app-01', 'app-02']);
    expect(run.result.steps.some((x) => x.step.startsWith('unpack'))).toBe(false);
    expect(await migrations()).toBe(1);

    // Each host's release log says who rolled back to what.
    const listed = await provision(['releases', '-i', v3.file, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const hosts = (JSON.parse(listed.stdout) as { hosts: { host: string; releases: { id: string; current: boolean }[]; log: { release: string; action: string }[] }[] }).hosts;
    for (const h of hosts) {
      const current = h.releases.find((r) => r.current)!.id;
      expect(h.log.at(-1)).toMatchObject({ release: current, action: 'rollback' });
    }
  }, 300_000);
});
