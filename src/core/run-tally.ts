// What a run counts as it goes — every step's result, each host's totals — and the RunResult made
// of them at the end.
import type { Connection } from './connection/connection.ts';
import { emptyTotals, type HostPhase, type HostTotals, type RunResult, type StepResult } from './results.ts';

export class RunTally {
  readonly #hosts = new Map<string, HostTotals>();
  readonly #steps: StepResult[] = [];

  /** The host's totals, created empty on first use (a host's place in the result is its first use). */
  host(name: string): HostTotals {
    let t = this.#hosts.get(name);
    if (!t) this.#hosts.set(name, (t = emptyTotals()));
    return t;
  }

  /** A result, kept in order and counted in its host's totals. */
  record(result: StepResult): void {
    this.#steps.push(result);
    this.host(result.host)[result.status]++;
  }

  /** What each host's connection did: its round trips, and whether it was kept from an earlier run. */
  recordConnections(connections: Map<string, Connection>): void {
    for (const [name, conn] of connections) {
      this.host(name).roundTrips = conn.roundTrips;
      if (conn.reused !== undefined) this.host(name).connection = conn.reused ? 'reused' : 'new';
    }
  }

  /** How long each host took to connect, lock and gather facts, and fetch its probes. */
  recordPhases(phases: Map<string, HostPhase[]>): void {
    for (const [name, list] of phases) if (list.length) this.host(name).phases = [...list];
  }

  /** The run's result: ok only when no host failed or was unreachable and the run was not stopped. */
  result(run: { check: boolean; startedAt: Date; durationMs: number; interrupted: boolean }): RunResult {
    const sum = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
    for (const t of this.#hosts.values()) {
      sum.ok += t.ok;
      sum.changed += t.changed;
      sum.failed += t.failed;
      sum.skipped += t.skipped;
      if (t.unreachable) sum.unreachable++;
    }
    return {
      version: 1,
      ok: sum.failed === 0 && sum.unreachable === 0 && !run.interrupted,
      check: run.check,
      startedAt: run.startedAt.toISOString(),
      durationMs: Math.round(run.durationMs),
      totals: sum,
      hosts: Object.fromEntries(this.#hosts),
      steps: this.#steps,
      ...(run.interrupted ? { interrupted: true } : {}),
    };
  }
}
