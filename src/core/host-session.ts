// A host as the run holds it: connected once, its run lock taken and its facts gathered, and the
// probes of every role it will run fetched in one round trip — all up front, for every host of the
// run in parallel, so that SSH handshakes overlap instead of adding up play after play.
import { hostname } from 'node:os';
import { roleProbes } from './apply-role.ts';
import { parallel } from './batches.ts';
import type { Connection } from './connection/connection.ts';
import type { Facts } from './facts/facts.ts';
import { lockAndGatherFacts } from './facts/gather.ts';
import type { Host } from './model.ts';
import type { HostPhase } from './results.ts';
import { probeBatch } from './probe-batch.ts';
import type { Role } from './role.ts';
import { planRole, type RolePlan, type RolePlanSettings } from './role-plan.ts';
import type { EventSink } from './results.ts';
import type { Redactor } from './secret.ts';
import type { ProbeOutput } from './steps/step.ts';
import type { BecomeMode } from './trace.ts';
import { tracedConnection } from './traced-connection.ts';

/** A play as far as sessions care: which hosts run which roles (its index in the run is its key). */
export interface PlayRoles {
  hosts: Host[];
  roles: Role[];
}

export interface HostSessionSettings {
  connect: (host: Host) => Promise<Connection>;
  plays: PlayRoles[];
  plan: RolePlanSettings;
  /** A --check run: its lock holder text says so, for a run that finds the host busy. */
  check: boolean;
  stepTimeoutMs?: number;
  /** `-vvv`: report each connection's setup and every command sent (traced-connection.ts). */
  traceCommands?: { emit: EventSink; redactor: Redactor };
  /** performance.now() when the run began: phases are timed from it. */
  runStart: number;
}

/** One connected, locked host with its facts: its role plans, and probe answers while they hold. */
export class HostSession {
  readonly #plans = new Map<string, RolePlan>();
  // Probe answers fetched for all of the host's roles right after its facts; valid until something
  // changes on the host (then each role probes again, as it would anyway).
  readonly #prefetched = new Map<string, ProbeOutput[]>();
  #changed = false;

  constructor(
    readonly host: Host,
    readonly conn: Connection,
    readonly facts: Facts,
    private readonly settings: RolePlanSettings,
  ) {}

  /** The role's plan on this host in play `playIndex`, built once. */
  plan(playIndex: number, role: Role): RolePlan {
    const key = `${playIndex}\0${role.name}`;
    let plan = this.#plans.get(key);
    if (!plan) this.#plans.set(key, (plan = planRole(role, this.host, this.facts, this.settings)));
    return plan;
  }

  /** The answers fetched up front for the role's probes, unless the host has changed since. */
  probed(playIndex: number, role: Role): ProbeOutput[] | undefined {
    return this.#changed ? undefined : this.#prefetched.get(`${playIndex}\0${role.name}`);
  }

  /** A step changed the host: answers fetched before no longer hold. */
  markChanged(): void {
    this.#changed = true;
  }

  /** Fetches the probes of every role the host runs in `plays`, in one round trip. */
  async prefetch(plays: PlayRoles[], timeoutMs: number | undefined): Promise<void> {
    const planned = plays.flatMap((play, i) =>
      play.hosts.some((h) => h.name === this.host.name)
        ? play.roles.map((role) => {
          const plan = this.plan(i, role);
          return { key: `${i}\0${role.name}`, probes: roleProbes(role.name, plan.steps, plan.ctx) };
        })
        : []);
    const all = planned.flatMap((p) => p.probes);
    if (!all.length) return;
    const batch = probeBatch(all);
    const outputs = batch.parse((await this.conn.exec(batch.script, { timeoutMs })).stdout);
    let at = 0;
    for (const p of planned) {
      this.#prefetched.set(p.key, outputs.slice(at, at + p.probes.length));
      at += p.probes.length;
    }
  }
}

/** What the run lock says about this run to a run that finds the host busy. */
function lockHolder(check: boolean): string {
  return `scaleup pid ${process.pid} on ${hostname()} since ${new Date().toISOString()}${check ? ' (check)' : ''}`;
}

function becomeMode(host: Host): BecomeMode {
  if (!host.become || host.user === 'root') return 'none';
  const password = host.vars.become_password;
  return password === undefined || password === null || password === '' ? 'sudo' : 'sudo with password';
}

/** The sessions of a run, one per host name, opened at most once; closed together at the end. */
export class HostSessions {
  readonly #opening = new Map<string, Promise<HostSession>>();
  // Every connection made, also of hosts whose lock or facts then failed: all are closed at the end.
  readonly #connections = new Map<string, Connection>();
  // How long each host's opening took, phase by phase, also when a phase failed (a slow unreachable host).
  readonly #phases = new Map<string, HostPhase[]>();
  readonly #lockHolder: string;

  constructor(private readonly settings: HostSessionSettings) {
    this.#lockHolder = lockHolder(settings.check);
  }

  /** The host's session, opened on first use; rejects (ConnectError…) as often as it is asked for. */
  ready(host: Host): Promise<HostSession> {
    let p = this.#opening.get(host.name);
    if (!p) {
      p = this.#open(host);
      // Failures surface in the host's play; an opening nobody awaits yet must not be "unhandled".
      p.catch(() => {});
      this.#opening.set(host.name, p);
    }
    return p;
  }

  async #open(host: Host): Promise<HostSession> {
    const phases: HostPhase[] = [];
    this.#phases.set(host.name, phases);
    const timed = async <T>(name: HostPhase['name'], work: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      const phase = (failed: boolean): HostPhase => ({
        name, startMs: Math.round(started - this.settings.runStart), durationMs: Math.round(performance.now() - started),
        ...(failed ? { failed } : {}),
      });
      try {
        const value = await work();
        phases.push(phase(false));
        return value;
      } catch (err) {
        phases.push(phase(true));
        throw err;
      }
    };
    const trace = this.settings.traceCommands;
    const opened = await timed('connect', () => this.settings.connect(host));
    this.#connections.set(host.name, opened);
    let conn = opened;
    if (trace) {
      trace.emit({ type: 'trace-connection', host: host.name, setup: opened.setup, become: becomeMode(host), connectMs: phases.at(-1)!.durationMs });
      conn = tracedConnection(opened, host, trace.emit, trace.redactor);
    }
    // The lock and the facts share one channel: one round trip, then one for all the probes.
    const facts = await timed('facts', () => lockAndGatherFacts(conn, this.#lockHolder));
    const session = new HostSession(host, conn, facts, this.settings.plan);
    await timed('probes', () => session.prefetch(this.settings.plays, this.settings.stepTimeoutMs));
    return session;
  }

  /** Each opened host's phases so far, by host name. */
  phases(): Map<string, HostPhase[]> {
    return this.#phases;
  }

  /** Starts opening every host of the run, `forks` at a time, without waiting for them. */
  openAll(forks: number): void {
    const hosts = [...new Map(this.settings.plays.flatMap((p) => p.hosts).map((h) => [h.name, h])).values()];
    void parallel(hosts, forks, async (h) => {
      await this.ready(h).catch(() => {});
    });
  }

  /** Waits for the openings under way, closes every connection, and returns them by host name. */
  async closeAll(): Promise<Map<string, Connection>> {
    await Promise.allSettled(this.#opening.values());
    await Promise.all([...this.#connections.values()].map((c) => c.close().catch(() => {})));
    return this.#connections;
  }
}
