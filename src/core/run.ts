// Runs plays: hosts of a play in parallel up to `forks`, in serial batches when the play asks for
// them; roles in order on each host; a failed or unreachable host stops there while others go on.
import { hostname } from 'node:os';
import { applyRole, roleProbes } from './apply-role.ts';
import type { Connection } from './connection/connection.ts';
import { ConnectError } from './errors.ts';
import type { Facts } from './facts/facts.ts';
import { lockAndGatherFacts } from './facts/gather.ts';
import { hostsInGroup } from './host-groups.ts';
import type { Host, Inventory, Vars } from './model.ts';
import { emptyTotals, type EventSink, type HostTotals, type RunResult, type StepResult } from './results.ts';
import type { Role, RoleContext } from './role.ts';
import type { Redactor } from './secret.ts';
import { shownText } from './shown-text.ts';
import { probeBatch } from './probe-batch.ts';
import type { Handler, ProbeOutput, Step, StepContext } from './steps/step.ts';

export interface PlannedPlay {
  name: string;
  hosts: Host[];
  roles: Role[];
  /** Hosts per batch: a count, or a percentage like "50%". */
  serial?: number | string;
  maxFailPercentage?: number;
}

export interface RunOptions {
  inventory: Inventory;
  plays: PlannedPlay[];
  connect: (host: Host) => Promise<Connection>;
  redactor: Redactor;
  check?: boolean;
  diff?: boolean;
  forks?: number;
  tags?: string[];
  stepTimeoutMs?: number;
  emit?: EventSink;
  /** Polled between steps; true stops starting new work (Ctrl-C). */
  stopRequested?: () => boolean;
}

/** A host's own merged inventory variables, as other hosts' roles read them. */
const hostVars = (host: Host): Vars => host.vars;

/** Role defaults < the host's merged inventory variables. */
export function roleVars(role: Role, host: Host): Vars {
  return { ...role.defaults, ...host.vars };
}


function batches(hosts: Host[], serial: number | string | undefined): Host[][] {
  if (serial === undefined) return [hosts];
  const size = typeof serial === 'string' && serial.endsWith('%')
    ? Math.max(1, Math.floor((hosts.length * Number(serial.slice(0, -1))) / 100))
    : Math.max(1, Number(serial));
  const out: Host[][] = [];
  for (let i = 0; i < hosts.length; i += size) out.push(hosts.slice(i, i + size));
  return out;
}

async function parallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

export async function runPlays(options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const emit = options.emit ?? (() => {});
  const forks = options.forks ?? 10;
  const hostsIn = hostsInGroup(options.inventory);
  const connections = new Map<string, Connection>();
  const facts = new Map<string, Facts>();
  const totals = new Map<string, HostTotals>();
  const stopped = new Set<string>();
  const steps: StepResult[] = [];
  let interrupted = false;
  const lockHolder = `scaleup pid ${process.pid} on ${hostname()} since ${new Date().toISOString()}${options.check ? ' (check)' : ''}`;

  // What a role is on a host: its steps, handlers and context, built once per host, play and role.
  interface RolePlan { steps: Step[]; handlers: Record<string, Handler>; ctx: StepContext }
  const plans = new Map<string, RolePlan>();
  const planOf = (host: Host, playIndex: number, role: Role): RolePlan => {
    const key = `${host.name}\0${playIndex}\0${role.name}`;
    let plan = plans.get(key);
    if (!plan) {
      const vars = roleVars(role, host);
      const roleCtx: RoleContext = { host, facts: facts.get(host.name)!, inventory: options.inventory, hostsIn, dir: role.home?.dir ?? '', varsOf: hostVars };
      let roleSteps = role.steps(vars as never, roleCtx);
      if (options.tags?.length) {
        roleSteps = roleSteps.filter((s) => options.tags!.some((tag) => tag === role.name || s.tags?.includes(tag)));
      }
      plan = {
        steps: roleSteps,
        handlers: role.handlers?.(vars as never, roleCtx) ?? {},
        ctx: { host, facts: roleCtx.facts, vars, hostsIn, diff: options.diff ?? false, role: { name: role.name, home: role.home } },
      };
      plans.set(key, plan);
    }
    return plan;
  };
  // Probe answers fetched for all of a host's roles in one round trip, right after its facts; valid
  // until something changes on that host (then each role probes again, as it would anyway).
  const prefetched = new Map<string, ProbeOutput[]>();
  const changedHosts = new Set<string>();
  const prefetch = async (host: Host, conn: Connection) => {
    const planned = options.plays.flatMap((play, i) =>
      play.hosts.some((h) => h.name === host.name)
        ? play.roles.map((role) => {
          const plan = planOf(host, i, role);
          return { key: `${host.name}\0${i}\0${role.name}`, probes: roleProbes(role.name, plan.steps, plan.ctx) };
        })
        : []);
    const all = planned.flatMap((p) => p.probes);
    if (!all.length) return;
    const batch = probeBatch(all);
    const outputs = batch.parse((await conn.exec(batch.script, { timeoutMs: options.stepTimeoutMs })).stdout);
    let at = 0;
    for (const p of planned) {
      prefetched.set(p.key, outputs.slice(at, at + p.probes.length));
      at += p.probes.length;
    }
  };

  // Every host of the run is connected, locked and its facts gathered up front, in parallel: the
  // SSH handshakes overlap instead of adding up play after play. Failures surface in the host's play.
  const opening = new Map<string, Promise<Connection>>();
  const ready = (host: Host): Promise<Connection> => {
    let p = opening.get(host.name);
    if (!p) {
      p = (async () => {
        const conn = await options.connect(host);
        connections.set(host.name, conn);
        // The lock and the facts share one channel: one round trip, then one for all the probes.
        facts.set(host.name, await lockAndGatherFacts(conn, lockHolder));
        await prefetch(host, conn);
        return conn;
      })();
      p.catch(() => {});
      opening.set(host.name, p);
    }
    return p;
  };
  const allHosts = [...new Map(options.plays.flatMap((p) => p.hosts).map((h) => [h.name, h])).values()];
  void parallel(allHosts, forks, async (h) => {
    await ready(h).catch(() => {});
  });

  const totalsOf = (name: string) => {
    let t = totals.get(name);
    if (!t) totals.set(name, (t = emptyTotals()));
    return t;
  };

  const runHost = async (host: Host, play: PlannedPlay, playIndex: number) => {
    if (stopped.has(host.name)) return;
    if (options.stopRequested?.()) {
      interrupted = true;
      return;
    }
    const t = totalsOf(host.name);
    const hostStarted = performance.now();
    emit({ type: 'host-start', host: host.name });
    try {
      const conn = await ready(host);
      for (const role of play.roles) {
        if (options.stopRequested?.()) {
          interrupted = true;
          break;
        }
        emit({ type: 'role-start', host: host.name, role: role.name });
        const plan = planOf(host, playIndex, role);
        const outcome = await applyRole({
          role: role.name, steps: plan.steps, handlers: plan.handlers, ctx: plan.ctx, conn,
          redactor: options.redactor, check: options.check ?? false, emit, stepTimeoutMs: options.stepTimeoutMs,
          stopRequested: options.stopRequested,
          probed: changedHosts.has(host.name) ? undefined : prefetched.get(`${host.name}\0${playIndex}\0${role.name}`),
        });
        for (const r of outcome.results) {
          steps.push(r);
          t[r.status]++;
          if (r.status === 'changed' && !options.check) changedHosts.add(host.name);
        }
        if (outcome.unreachable) throw new ConnectError(host.name, outcome.unreachable.replace(`${host.name}: `, ''));
        if (outcome.failed) {
          stopped.add(host.name);
          break;
        }
      }
    } catch (err) {
      // A lock holder's description, a facts command's output: host text, shown safe like a step's.
      const message = shownText(err instanceof Error ? err.message : String(err), options.redactor);
      if (!(err instanceof ConnectError)) {
        // An engine bug or a role that threw outside a step: fail the host, never the whole run.
        t.failed++;
        t.error = message;
        steps.push({ host: host.name, role: '-', step: 'internal', status: 'failed', durationMs: 0, error: message });
      } else {
        // A ConnectError's message starts with the host's name; the host is reported beside it already.
        const reason = message.startsWith(`${host.name}: `) ? message.slice(host.name.length + 2) : message;
        t.unreachable = true;
        t.error = reason;
        emit({ type: 'host-unreachable', host: host.name, error: reason });
      }
      stopped.add(host.name);
    } finally {
      t.durationMs += performance.now() - hostStarted;
      emit({ type: 'host-done', host: host.name, totals: t });
    }
  };

  try {
    for (const [playIndex, play] of options.plays.entries()) {
      emit({ type: 'play', name: play.name, hosts: play.hosts.map((h) => h.name) });
      for (const h of play.hosts) totalsOf(h.name);
      for (const batch of batches(play.hosts, play.serial)) {
        const before = new Set(stopped);
        await parallel(batch, forks, (host) => runHost(host, play, playIndex));
        const newlyFailed = batch.filter((h) => stopped.has(h.name) && !before.has(h.name)).length;
        if (play.maxFailPercentage !== undefined && (newlyFailed * 100) / batch.length > play.maxFailPercentage) {
          // Too many failures in a rolling batch: do not roll the change onto more hosts.
          for (const h of play.hosts) stopped.add(h.name);
          break;
        }
        if (interrupted) break;
      }
      if (interrupted) break;
    }
  } finally {
    await Promise.allSettled(opening.values());
    await Promise.all([...connections.values()].map((c) => c.close().catch(() => {})));
  }

  for (const [name, conn] of connections) {
    totalsOf(name).roundTrips = conn.roundTrips;
    if (conn.reused !== undefined) totalsOf(name).connection = conn.reused ? 'reused' : 'new';
  }
  const hosts = Object.fromEntries(totals);
  const sum = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
  for (const t of totals.values()) {
    sum.ok += t.ok;
    sum.changed += t.changed;
    sum.failed += t.failed;
    sum.skipped += t.skipped;
    if (t.unreachable) sum.unreachable++;
  }
  return {
    version: 1,
    ok: sum.failed === 0 && sum.unreachable === 0 && !interrupted,
    check: options.check ?? false,
    durationMs: Math.round(performance.now() - started),
    totals: sum,
    hosts,
    steps,
    ...(interrupted ? { interrupted } : {}),
  };
}
