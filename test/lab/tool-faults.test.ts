// The tool under faults (issue 7), through the real CLI against the lab: a host unreachable from
// the start, a host lost in the middle of a run, two runs at once, Ctrl-C during a run. Each leaves
// the five-host stack as inventory/lab.yml describes it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot as projectRoot } from '../../src/package-root.ts';
import type { RunResult } from '../../src/core/results.ts';
import { apply, getVip, inventoryVariant, LAB_ADDRESSES, onHost, sleep, waitFor } from './support.ts';

const STACK = ['lb-01', 'lb-02', 'web-01', 'app-01', 'db-01'];
/** An address in the lab subnet where nothing answers. */
const NOBODY = '10.77.0.29';

interface Running {
  child: ChildProcess;
  json: string;
  stdout: () => string;
  stderr: () => string;
  done: Promise<{ code: number | null; stdout: string; stderr: string; result?: RunResult }>;
}

/** `provision apply -i INVENTORY --yes --json FILE ARGS` as a child we can signal, with its output so far. */
function startApply(inventory: string, args: string[] = []): Running {
  const json = path.join(projectRoot, '.lab', `tool-faults-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2, 8)}.json`);
  const child = spawn(process.execPath, [path.join(projectRoot, 'bin/provision.js'), 'apply', '-i', inventory, '--yes', '--json', json, ...args], {
    cwd: projectRoot, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string; result?: RunResult }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      let result: RunResult | undefined;
      try {
        result = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
      } catch {
        result = undefined;
      }
      rmSync(json, { force: true });
      resolve({ code, stdout, stderr, result });
    });
  });
  return { child, json, stdout: () => stdout, stderr: () => stderr, done };
}

/** Temp files a write leaves if it is cut short: `.name.scaleup-XXXX`, `name.scaleup-XXXX`, `name.scaleup-tmp`. */
async function leftovers(host: string): Promise<string> {
  return (await onHost(host, "find / -xdev \\( -path /proc -o -path /sys \\) -prune -o -name '*.scaleup-*' -print 2>/dev/null; true")).stdout.trim();
}

/**
 * Whether nginx on web-01 is *running with* client_max_body_size 1m: a 2 MB POST is refused (413)
 * before it reaches the app (which answers a POST with 404). A new connection each time: a kept-alive
 * one may still be served by a worker of the config before a reload.
 */
function nginxRefuses2MB(): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    const body = Buffer.alloc(2 * 1024 * 1024, 120);
    const req = http.request({ host: LAB_ADDRESSES['web-01'], port: 80, path: '/', method: 'POST', agent: false,
      headers: { Connection: 'close', 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 413));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    // nginx may answer 413 without reading the body and close: the client can see a reset instead.
    req.on('error', () => resolve(undefined));
    req.end(body);
  });
}

/** nginx on web-01 refusing (or accepting) 2 MB, within a few seconds (a reload's new workers start asynchronously). */
async function expectNginxLimit(refuses: boolean): Promise<void> {
  await waitFor(`nginx on web-01 ${refuses ? 'refusing' : 'accepting'} a 2 MB body`, async () => (await nginxRefuses2MB()) === refuses, 10_000, 200);
}

/** web-01's nginx told to accept bodies of at most 1m (the inventory says 10m). */
const bodyLimit = () => inventoryVariant(`tool-faults-body-${Date.now()}`, (doc) =>
  doc.setIn(['groups', 'web', 'hosts', 'web-01', 'vars'], { nginx_client_max_body_size: '1m' }));

describe('the tool under faults', () => {
  afterAll(async () => {
    // The five-host stack as inventory/lab.yml describes it, and nothing left behind.
    const back = await apply([]);
    expect(back.code, back.stderr).toBe(0);
    await expectNginxLimit(false);
    expect((await getVip()).status).toBe(200);
  });

  it('a host unreachable from the start is reported with a clear message; the others finish; exit 4', async () => {
    const variant = inventoryVariant('tool-faults-unreachable', (doc) => doc.setIn(['groups', 'db', 'hosts', 'db-09'], { address: NOBODY }));
    try {
      const run = await apply([], variant.file);
      expect(run.code).toBe(4);
      expect(run.result.hosts['db-09']).toMatchObject({ unreachable: true });
      expect(run.result.hosts['db-09']!.error).toMatch(new RegExp(`^cannot connect to ${NOBODY.replace(/\./g, '\\.')}:22: `));
      expect(run.stderr).toMatch(new RegExp(`unreachable: db-09: cannot connect to ${NOBODY.replace(/\./g, '\\.')}:22: (connect )?(EHOSTUNREACH|ETIMEDOUT|Timed out)`));
      // Every other host ran all of its roles, with nothing failed.
      for (const h of STACK) expect(run.result.hosts[h], h).toMatchObject({ unreachable: false, failed: 0 });
      expect(run.result.steps.filter((s) => s.host === 'lb-02' && s.role === 'keepalived').length).toBeGreaterThan(0);
      expect(run.stdout).toMatch(/^db-09 .*unreachable=1/m);
    } finally {
      variant.remove();
    }
  });

  it('a host lost in the middle of a run is reported unreachable; the others finish; a re-run converges, handler included', async () => {
    const variant = bodyLimit();
    try {
      // On web-01, a watcher (bounded: about a minute) waits for the new nginx.conf, and the moment it is
      // in place — before the `reload nginx` handler — kills the engine's SSH session (sshd processes of
      // the deploy user; our own sessions are root's).
      await onHost('web-01', `rm -f /tmp/scaleup-watch.log; nohup setsid sh -c ${shQuote(WATCHER)} >/dev/null 2>&1 < /dev/null &`);
      const run = await apply([], variant.file);
      const watch = (await onHost('web-01', 'cat /tmp/scaleup-watch.log; rm -f /tmp/scaleup-watch.log')).stdout;
      expect(watch).toMatch(/^killed \d+/);
      expect(run.code, run.stdout + run.stderr).toBe(4);
      expect(run.result.hosts['web-01']).toMatchObject({ unreachable: true });
      expect(run.result.hosts['web-01']!.error).toMatch(/connection lost/);
      expect(run.stderr).toMatch(/unreachable: web-01: .*connection lost/);
      for (const h of STACK.filter((h) => h !== 'web-01')) expect(run.result.hosts[h], h).toMatchObject({ unreachable: false, failed: 0 });
      // The file went in whole (temp file + rename), and nothing half-written is left.
      expect((await onHost('web-01', 'grep -c "client_max_body_size 1m;" /etc/nginx/nginx.conf')).stdout.trim()).toBe('1');
      expect(await leftovers('web-01')).toBe('');
      // The handler never ran in that run: nginx still runs with the old limit.
      expect(run.result.steps.some((s) => s.host === 'web-01' && s.step === 'reload nginx')).toBe(false);
      expect(await nginxRefuses2MB()).toBe(false);

      // Re-run once the host is back: the change is on disk already, yet the pending reload runs.
      const again = await apply([], variant.file);
      expect(again.code, again.stderr).toBe(0);
      expect(again.result.steps.filter((s) => s.host === 'web-01' && s.status === 'changed').map((s) => s.step)).toEqual(['reload nginx']);
      await expectNginxLimit(true);
      const third = await apply([], variant.file);
      expect(third.result.totals.changed).toBe(0);
    } finally {
      variant.remove();
      await onHost('web-01', 'rm -f /tmp/scaleup-watch.log').catch(() => {});
    }
    // Back to inventory/lab.yml for the next test.
    const back = await apply([]);
    expect(back.code, back.stderr).toBe(0);
    await expectNginxLimit(false);
  });

  it('two runs at once: the second is refused by the per-host lock and touches nothing', async () => {
    // The first run has a change for web-01 and an unreachable host that keeps it going for ~10 s.
    const first = inventoryVariant('tool-faults-first', (doc) => {
      doc.setIn(['groups', 'web', 'hosts', 'web-01', 'vars'], { nginx_client_max_body_size: '1m' });
      doc.setIn(['groups', 'db', 'hosts', 'db-09'], { address: NOBODY });
    });
    try {
      const a = startApply(first.file);
      const holder = await waitFor('the first run holding web-01', async () => {
        const out = (await onHost('web-01', 'cat /run/scaleup/lock/holder 2>/dev/null; true')).stdout;
        return out.includes(`scaleup pid ${a.child.pid} `) && out.trim();
      }, 20_000, 100);
      const before = (await onHost('web-01', 'sha256sum /etc/nginx/nginx.conf')).stdout;
      // The second run wants web-01 back at 10m: it must not get in.
      const b = await apply([]);
      const ra = await a.done;
      expect(b.code).toBe(4);
      for (const h of STACK) {
        expect(b.result.hosts[h], h).toMatchObject({ unreachable: true });
        expect(b.result.hosts[h]!.error).toContain(`another run holds the host's run lock (${holder})`);
      }
      expect(b.result.steps).toEqual([]);
      expect(b.stderr).toContain(`unreachable: web-01: another run holds the host's run lock (scaleup pid ${a.child.pid} on `);
      // The first run did its work, undisturbed: exit 4 for its own unreachable host only.
      expect(ra.code).toBe(4);
      expect(ra.result!.hosts['web-01']).toMatchObject({ unreachable: false, failed: 0 });
      expect(ra.result!.steps.filter((s) => s.host === 'web-01' && s.status === 'changed').map((s) => s.step))
        .toEqual(['template /etc/nginx/nginx.conf', 'reload nginx']);
      expect(before).not.toBe('');
      expect((await onHost('web-01', 'grep -c "client_max_body_size 1m;" /etc/nginx/nginx.conf')).stdout.trim()).toBe('1');
      await expectNginxLimit(true);
      // Once the first run is over, the lock is free again.
      const c = await apply(['--limit', 'web-01']);
      expect(c.code, c.stderr).toBe(0);
      await expectNginxLimit(false);
    } finally {
      first.remove();
    }
  });

  it('Ctrl-C during a run: running steps finish, no new ones start, the recap is printed, exit 130, no temp files', async () => {
    // Work for every tier: the app's env file (restart), nginx.conf, haproxy.cfg.
    const variant = inventoryVariant('tool-faults-sigint', (doc) => {
      doc.setIn(['groups', 'app', 'vars'], { app_db_pool_size: 7 });
      doc.setIn(['groups', 'web', 'vars'], { nginx_client_max_body_size: '1m' });
      doc.setIn(['groups', 'lb', 'vars'], { haproxy_timeout_client: '31s' });
    });
    try {
      const run = startApply(variant.file);
      await waitFor('the first changed step', async () => /^changed: /m.test(run.stdout()), 60_000, 5);
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.code, r.stdout + r.stderr).toBe(130);
      expect(r.stderr).toContain('interrupt: finishing running steps, starting no new ones');
      expect(r.stdout).toMatch(/^RECAP/m);
      expect(r.stdout).toContain('interrupted: no new steps were started after Ctrl-C');
      expect(r.result!.interrupted).toBe(true);
      // The run stopped in the app play: neither web-01 nor the lbs were touched.
      expect(r.result!.steps.filter((s) => s.status === 'changed' && !['db-01', 'app-01'].includes(s.host))).toEqual([]);
      // What did change on app-01 still got its handler: the env file is never left unapplied.
      const app = r.result!.steps.filter((s) => s.host === 'app-01' && s.status === 'changed').map((s) => s.step);
      if (app.includes('template /etc/counter/env')) expect(app).toContain('restart counter with no dropped request');
      expect((await onHost('web-01', 'grep -c "client_max_body_size 10m;" /etc/nginx/nginx.conf')).stdout.trim()).toBe('1');
      for (const lb of ['lb-01', 'lb-02']) expect((await onHost(lb, 'grep -c "timeout client  30s" /etc/haproxy/haproxy.cfg')).stdout.trim()).toBe('1');
      for (const h of STACK) expect(await leftovers(h), h).toBe('');
    } finally {
      variant.remove();
    }
    // And the next run picks up where it stopped: back to inventory/lab.yml, then nothing to change.
    const back = await apply([]);
    expect(back.code, back.stderr).toBe(0);
    expect((await apply([])).result.totals.changed).toBe(0);
  });
});

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

// Runs on web-01 as root. Bounded: gives up after 20 000 polls (about a minute). The new nginx.conf is
// renamed into place, then the engine re-checks the role's remaining steps (a round trip, >= 10 ms)
// before the handlers run: polling every few ms kills the session inside that window. (Waiting for the
// staged temp file instead missed it whenever the write took less than one poll.)
const WATCHER = `
i=0
while [ "$i" -lt 20000 ]; do
  if grep -q 'client_max_body_size 1m;' /etc/nginx/nginx.conf; then
    pids=$(pgrep -f '^sshd: deploy' | tr '\\n' ' ')
    kill -KILL $pids
    echo "killed $pids" > /tmp/scaleup-watch.log
    exit 0
  fi
  i=$((i + 1))
  sleep 0.003
done
echo "gave up" > /tmp/scaleup-watch.log
`;
