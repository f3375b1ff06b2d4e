// runPlays on the control machine's real shell: every host (h1…h4) is served by a LocalConnection, so
// facts, probes and steps run for real, into a fresh temporary folder. The steps write down what ran
// (a shared log, one line per step, in the order the steps ran), and the tests read that log, the
// files and the run's result and events — never how long anything took.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../src/core/connection/local.ts';
import { ConnectError } from '../../src/core/errors.ts';
import type { Host, Inventory, Vars } from '../../src/core/model.ts';
import { quote } from '../../src/core/quote.ts';
import type { RunEvent } from '../../src/core/results.ts';
import { defineRole, type Role } from '../../src/core/role.ts';
import { runPlays, type PlannedPlay, type RunOptions } from '../../src/core/run.ts';
import { Redactor } from '../../src/core/secret.ts';
import { command, file } from '../../src/core/steps/index.ts';

/** Real runs spawn shells; a slow machine gets all the time it needs. */
const TIMEOUT = 60_000;

const host = (name: string): Host => ({
  name, address: '127.0.0.1', privateAddress: '127.0.0.1', port: 22, user: 'root', become: false, groups: ['all'], vars: {},
});
const [h1, h2, h3, h4] = ['h1', 'h2', 'h3', 'h4'].map(host) as [Host, Host, Host, Host];
const inventory: Inventory = {
  file: '/nonexistent/inventory.yml',
  hosts: new Map([h1, h2, h3, h4].map((h) => [h.name, h])),
  groups: new Map([['all', ['h1', 'h2', 'h3', 'h4']]]),
  knownHosts: '/nonexistent/known_hosts',
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-run-plays-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The shared log: one `<host> <step>` line per step that ran, in the order they ran. */
const logged = (): string[] => {
  try {
    return readFileSync(path.join(dir, 'log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

/**
 * A step that appends `<host> <label>` to the log once: it leaves a marker behind, and a host that
 * has it is converged. With `fail`, it fails on that host instead.
 */
const logStep = (hostName: string, label: string, options: { fail?: boolean } = {}) => {
  const marker = path.join(dir, `${hostName}.${label}.done`);
  const line = quote(`${hostName} ${label}`);
  return command.run({
    name: `log ${label}`,
    command: options.fail ? `echo ${line} failed >&2; exit 1` : `echo ${line} >> ${quote(path.join(dir, 'log'))} && touch ${quote(marker)}`,
    creates: marker,
  });
};

/**
 * A role whose steps log `<label>.<n>` on each host, n = 1…`count`; `failOn` hosts fail its first step.
 * Its name is the test's own: the engine reads a role's pending handlers on the host by that name.
 */
const loggingRole = (label: string, count: number, failOn: string[] = []): Role => defineRole({
  name: `run-plays-${label}`, description: `logs ${count} steps`, defaults: {},
  steps: (_vars, ctx) => Array.from({ length: count }, (_, i) => logStep(ctx.host.name, `${label}.${i + 1}`, { fail: i === 0 && failOn.includes(ctx.host.name) })),
});

/**
 * Runs `plays` with one LocalConnection per host; `unreachable` hosts refuse the connection. Returns
 * the result, the events (also handed to `options.emit` as they come), and the hosts let go at the end.
 */
async function run(plays: PlannedPlay[], options: Partial<RunOptions> & { unreachable?: string[] } = {}) {
  const events: RunEvent[] = [];
  const closed: string[] = [];
  const result = await runPlays({
    ...options,
    inventory, plays, redactor: new Redactor(),
    emit: (e) => {
      events.push(e);
      options.emit?.(e);
    },
    connect: async (h) => {
      if (options.unreachable?.includes(h.name)) throw new ConnectError(h.name, 'connection refused');
      return new (class extends LocalConnection {
        override async close() {
          closed.push(this.hostName);
        }
      })(h.name);
    },
  });
  /** The index of the first event of `type` for `host` (which must be there: -1 would compare as "first"). */
  const at = (type: RunEvent['type'], hostName: string) => {
    const i = events.findIndex((e) => e.type === type && 'host' in e && e.host === hostName);
    if (i < 0) throw new Error(`no ${type} event for ${hostName}`);
    return i;
  };
  /** Hosts in the order they started, and the roles (`host role`) in the order they started. */
  const started = events.flatMap((e) => (e.type === 'host-start' ? [e.host] : []));
  const rolesStarted = events.flatMap((e) => (e.type === 'role-start' ? [`${e.host} ${e.role}`] : []));
  return { result, events, closed, at, started, rolesStarted };
}

describe('runPlays', () => {
  it('serial: 1 runs one host after another, in play order', async () => {
    const { result, at, started } = await run([{ name: 'rolling', hosts: [h1, h2, h3], roles: [loggingRole('a', 2)], serial: 1 }]);
    expect(logged()).toEqual(['h1 a.1', 'h1 a.2', 'h2 a.1', 'h2 a.2', 'h3 a.1', 'h3 a.2']);
    expect(started).toEqual(['h1', 'h2', 'h3']);
    expect(at('host-done', 'h1')).toBeLessThan(at('host-start', 'h2'));
    expect(at('host-done', 'h2')).toBeLessThan(at('host-start', 'h3'));
    expect(result.ok).toBe(true);
    expect(result.totals).toMatchObject({ changed: 6, failed: 0, unreachable: 0 });
  }, TIMEOUT);

  it('serial: "50%" of four hosts is two batches of two: the second starts once the first is done', async () => {
    const { result, at } = await run([{ name: 'halves', hosts: [h1, h2, h3, h4], roles: [loggingRole('a', 1)], serial: '50%' }]);
    for (const first of ['h1', 'h2']) {
      for (const second of ['h3', 'h4']) expect(at('host-done', first)).toBeLessThan(at('host-start', second));
    }
    expect(logged().slice(0, 2).sort()).toEqual(['h1 a.1', 'h2 a.1']);
    expect(logged().slice(2).sort()).toEqual(['h3 a.1', 'h4 a.1']);
    expect(result.ok).toBe(true);
  }, TIMEOUT);

  it('max_fail_percentage: 0: a host failing in the first batch keeps the change off the later batches', async () => {
    const { result, started, closed } = await run([
      { name: 'rolling', hosts: [h1, h2, h3], roles: [loggingRole('a', 2, ['h1'])], serial: 1, maxFailPercentage: 0 },
      // Held back by the first play, its hosts run nothing in the later plays either.
      { name: 'next', hosts: [h2, h3, h4], roles: [loggingRole('b', 1)] },
    ]);
    expect(logged()).toEqual(['h4 b.1']);
    expect(started).toEqual(['h1', 'h4']);
    expect(result.steps.map((s) => `${s.host} ${s.step} ${s.status}`)).toEqual(['h1 log a.1 failed', 'h4 log b.1 changed']);
    expect(result.hosts.h1).toMatchObject({ failed: 1, changed: 0 });
    for (const name of ['h2', 'h3']) expect(result.hosts[name]).toMatchObject({ ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false });
    expect(result.ok).toBe(false);
    // Connected up front, every host is let go at the end, also the ones that ran nothing.
    expect(closed.sort()).toEqual(['h1', 'h2', 'h3', 'h4']);
  }, TIMEOUT);

  it('without max_fail_percentage a failed host stops alone, in this play and the next; the others go on', async () => {
    const { result } = await run([
      { name: 'first', hosts: [h1, h2, h3], roles: [loggingRole('a', 2, ['h1'])], serial: 1 },
      { name: 'second', hosts: [h1, h2, h3], roles: [loggingRole('b', 1)] },
    ]);
    expect(logged().filter((l) => l.startsWith('h1'))).toEqual([]);
    expect(logged().filter((l) => !l.startsWith('h1')).sort()).toEqual(['h2 a.1', 'h2 a.2', 'h2 b.1', 'h3 a.1', 'h3 a.2', 'h3 b.1']);
    expect(result.steps.filter((s) => s.host === 'h1').map((s) => `${s.step} ${s.status}`)).toEqual(['log a.1 failed']);
    expect(result.hosts.h2).toMatchObject({ changed: 3, failed: 0 });
    expect(result.hosts.h3).toMatchObject({ changed: 3, failed: 0 });
    expect(result.totals).toMatchObject({ changed: 6, failed: 1, unreachable: 0 });
    expect(result.ok).toBe(false);
  }, TIMEOUT);

  it('an unreachable host is reported as such while the others converge', async () => {
    const { result, events, closed } = await run([{ name: 'all', hosts: [h1, h2, h3], roles: [loggingRole('a', 1)] }], { unreachable: ['h2'] });
    expect(logged().sort()).toEqual(['h1 a.1', 'h3 a.1']);
    expect(result.hosts.h2).toMatchObject({ unreachable: true, error: 'connection refused', ok: 0, changed: 0, failed: 0 });
    expect(events).toContainEqual({ type: 'host-unreachable', host: 'h2', error: 'connection refused' });
    expect(result.hosts.h1).toMatchObject({ unreachable: false, changed: 1, failed: 0 });
    expect(result.hosts.h3).toMatchObject({ unreachable: false, changed: 1, failed: 0 });
    expect(result.totals).toMatchObject({ changed: 2, failed: 0, unreachable: 1 });
    expect(result.ok).toBe(false);
    expect(closed.sort()).toEqual(['h1', 'h3']);
  }, TIMEOUT);

  it('a stop requested after the first step: later steps are skipped, later roles and hosts never start', async () => {
    let stop = false;
    const { result, started, rolesStarted } = await run(
      [{ name: 'rolling', hosts: [h1, h2], roles: [loggingRole('a', 3), loggingRole('b', 1)], serial: 1 }],
      // Ctrl-C as soon as the first step has been reported.
      { stopRequested: () => stop, emit: (e) => (stop ||= e.type === 'step') },
    );
    expect(logged()).toEqual(['h1 a.1']);
    expect(result.steps.map((s) => `${s.host} ${s.step} ${s.status}`)).toEqual(['h1 log a.1 changed', 'h1 log a.2 skipped', 'h1 log a.3 skipped']);
    expect(result.steps[1]!.changes).toEqual(['interrupted']);
    expect(rolesStarted).toEqual(['h1 run-plays-a']);
    expect(started).toEqual(['h1']);
    expect(result.interrupted).toBe(true);
    expect(result.totals).toMatchObject({ changed: 1, skipped: 2, failed: 0 });
    expect(result.ok).toBe(false);
  }, TIMEOUT);

  it('a stop requested on the last host to run: its next role never starts, and the run is interrupted', async () => {
    let stop = false;
    const { result, rolesStarted } = await run(
      [{ name: 'one host', hosts: [h1], roles: [loggingRole('a', 1), loggingRole('b', 1)] }],
      { stopRequested: () => stop, emit: (e) => (stop ||= e.type === 'step') },
    );
    expect(logged()).toEqual(['h1 a.1']);
    expect(rolesStarted).toEqual(['h1 run-plays-a']);
    expect(result.steps.map((s) => `${s.host} ${s.step} ${s.status}`)).toEqual(['h1 log a.1 changed']);
    expect(result.interrupted).toBe(true);
    expect(result.ok).toBe(false);
  }, TIMEOUT);

  it('the same plays run again change nothing, and check each role with the probes fetched up front', async () => {
    const owner = os.userInfo().username;
    const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
    const config = defineRole<Vars>({
      name: 'run-plays-config', description: 'one file per host', defaults: { greeting: 'hello' },
      steps: (vars, ctx) => [
        file.content({ dest: path.join(dir, `${ctx.host.name}.conf`), content: `${vars.greeting} from ${ctx.host.name}\n`, owner, group, mode: '0640' }),
      ],
    });
    const plays: PlannedPlay[] = [
      { name: 'base', hosts: [h1, h2, h3], roles: [loggingRole('a', 2), config], serial: 2 },
      { name: 'more', hosts: [h2, h3], roles: [loggingRole('b', 1)] },
    ];
    const first = await run(plays);
    expect(first.result.ok).toBe(true);
    expect(first.result.totals).toMatchObject({ changed: 3 * 3 + 2, failed: 0 });
    expect(readFileSync(path.join(dir, 'h2.conf'), 'utf8')).toBe('hello from h2\n');

    const second = await run(plays);
    expect(second.result.ok).toBe(true);
    expect(second.result.totals).toMatchObject({ ok: 3 * 3 + 2, changed: 0, failed: 0, skipped: 0, unreachable: 0 });
    expect(logged()).toHaveLength(3 * 2 + 2);
    // Facts, then every role's probes in one batch: a converged host costs two round trips, whatever
    // the number of plays and roles it is in.
    for (const name of ['h1', 'h2', 'h3']) expect(second.result.hosts[name]!.roundTrips).toBe(2);
  }, TIMEOUT);
});

describe('--tags and --skip-tags', () => {
  const tagged = (): Role => defineRole({
    name: 'run-plays-tagged', description: 'tagged steps', defaults: {}, tags: ['config'],
    steps: (_vars, ctx) => [logStep(ctx.host.name, 'plain'), { ...logStep(ctx.host.name, 'config'), tags: ['config'] }],
  });

  it('--tags keeps the steps with the tag, --skip-tags leaves them out', async () => {
    await run([{ name: 'only', hosts: [h1], roles: [tagged()] }], { tags: ['config'] });
    expect(logged()).toEqual(['h1 config']);
    await run([{ name: 'skip', hosts: [h2], roles: [tagged()] }], { skipTags: ['config'] });
    expect(logged()).toEqual(['h1 config', 'h2 plain']);
    await run([{ name: 'role', hosts: [h3], roles: [tagged()] }], { skipTags: ['run-plays-tagged'] });
    expect(logged()).toEqual(['h1 config', 'h2 plain']);
  }, TIMEOUT);

  it('a step with a tag its role does not declare fails the host, naming it', async () => {
    const undeclared = defineRole({
      name: 'run-plays-undeclared', description: '', defaults: {},
      steps: (_vars, ctx) => [{ ...logStep(ctx.host.name, 'x'), tags: ['secret-tag'] }],
    });
    const { result } = await run([{ name: 'p', hosts: [h1], roles: [undeclared] }]);
    expect(result.ok).toBe(false);
    expect(result.steps[0]!.error).toMatch(/role run-plays-undeclared: step 'log x' has the tag 'secret-tag', which the role does not declare/);
  }, TIMEOUT);
});

describe('runPlays: the run as a timeline (what --report draws)', () => {
  it('times each host\'s connect, facts and probes, and each step, from the run\'s start, in the order they ran', async () => {
    const { result } = await run(
      [{ name: 'rolling', hosts: [h1, h2], roles: [loggingRole('t', 3)], serial: 1 }],
      { unreachable: ['h2'] },
    );
    expect(Number.isNaN(Date.parse(result.startedAt!))).toBe(false);
    expect(result.hosts.h1!.phases!.map((p) => p.name)).toEqual(['connect', 'facts', 'probes']);
    // The host that refused the connection still shows how long connecting took, marked failed.
    expect(result.hosts.h2!.phases).toEqual([expect.objectContaining({ name: 'connect', failed: true })]);
    const ends = (x: { startMs: number; durationMs: number }) => x.startMs + x.durationMs;
    const phases = result.hosts.h1!.phases!;
    const steps = result.steps.filter((s) => s.host === 'h1');
    expect(steps).toHaveLength(3);
    // Rounded to whole milliseconds: each one starts no earlier than the one before it ended, less 1 ms.
    const timeline = [...phases, ...steps.map((s) => ({ startMs: s.startMs!, durationMs: s.durationMs }))];
    for (let i = 1; i < timeline.length; i++) expect(timeline[i]!.startMs).toBeGreaterThanOrEqual(ends(timeline[i - 1]!) - 1);
    expect(timeline[0]!.startMs).toBeGreaterThanOrEqual(0);
    expect(ends(timeline.at(-1)!)).toBeLessThanOrEqual(result.durationMs + 1);
  }, TIMEOUT);
});
