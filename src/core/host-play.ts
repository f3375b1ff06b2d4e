// One play on one host: the host's roles in order, until one fails, the host is lost, or the person
// stops the run. Whatever goes wrong stays with this host: it is counted and reported, never thrown.
import { applyRole } from './apply-role.ts';
import { ConnectError } from './errors.ts';
import type { HostSessions } from './host-session.ts';
import type { Host } from './model.ts';
import type { EventSink } from './results.ts';
import type { Role } from './role.ts';
import type { RunTally } from './run-tally.ts';
import type { Redactor } from './secret.ts';
import { shownText } from './shown-text.ts';

export interface HostPlay {
  host: Host;
  roles: Role[];
  /** The play's index in the run: a role's plan and prefetched probes are kept under it. */
  playIndex: number;
  sessions: HostSessions;
  tally: RunTally;
  emit: EventSink;
  redactor: Redactor;
  check: boolean;
  /** performance.now() when the run began: results are timed from it. */
  runStart: number;
  stepTimeoutMs?: number;
  stopRequested?: () => boolean;
  /** `-vv`: each step's probe and decision are reported. */
  traceDecisions?: boolean;
}

/**
 * How the play ended on the host: `done` (every role ran), `stopped` (a role failed, the host was
 * lost or the engine failed on it: it runs nothing more in this run), or `interrupted` (the person
 * stopped the run before a role began).
 */
export type HostPlayOutcome = 'done' | 'stopped' | 'interrupted';

export async function playOnHost(run: HostPlay): Promise<HostPlayOutcome> {
  const { host, emit, tally } = run;
  const t = tally.host(host.name);
  const hostStarted = performance.now();
  emit({ type: 'host-start', host: host.name });
  try {
    const session = await run.sessions.ready(host);
    for (const role of run.roles) {
      if (run.stopRequested?.()) return 'interrupted';
      emit({ type: 'role-start', host: host.name, role: role.name });
      const plan = session.plan(run.playIndex, role);
      const outcome = await applyRole({
        role: role.name, steps: plan.steps, handlers: plan.handlers, ctx: plan.ctx, conn: session.conn,
        redactor: run.redactor, check: run.check, runStart: run.runStart, emit, stepTimeoutMs: run.stepTimeoutMs,
        stopRequested: run.stopRequested,
        probed: session.probed(run.playIndex, role),
        traceDecisions: run.traceDecisions,
      });
      for (const r of outcome.results) {
        tally.record(r);
        if (r.status === 'changed' && !run.check) session.markChanged();
      }
      if (outcome.unreachable) throw new ConnectError(host.name, outcome.unreachable.replace(`${host.name}: `, ''));
      if (outcome.failed) return 'stopped';
    }
    return 'done';
  } catch (err) {
    // A lock holder's description, a facts command's output: host text, shown safe like a step's.
    const message = shownText(err instanceof Error ? err.message : String(err), run.redactor);
    if (!(err instanceof ConnectError)) {
      // An engine bug or a role that threw outside a step: fail the host, never the whole run.
      tally.record({
        host: host.name, role: '-', step: 'internal', status: 'failed',
        startMs: Math.round(performance.now() - run.runStart), durationMs: 0, error: message,
      });
      t.error = message;
    } else {
      // A ConnectError's message starts with the host's name; the host is reported beside it already.
      const reason = message.startsWith(`${host.name}: `) ? message.slice(host.name.length + 2) : message;
      t.unreachable = true;
      t.error = reason;
      emit({ type: 'host-unreachable', host: host.name, error: reason });
    }
    return 'stopped';
  } finally {
    t.durationMs += performance.now() - hostStarted;
    emit({ type: 'host-done', host: host.name, totals: t });
  }
}
