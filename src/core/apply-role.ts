// Converges one role on one host: probe every step in one round trip, then walk the steps in
// order; a step with changes is applied (unless --check), and the later steps it may have affected
// are probed again (in one round trip, right before the first of them is decided), so each sees
// what earlier steps did. A file step affects only later steps on the same paths (`Step.paths`). Notified handlers run once, after the role, in the order
// they were notified — also when a later step failed, so a changed config is never left unloaded.
// Handlers a change notifies are recorded on the host before the change is made, and cleared once
// they have run (pending-handlers.ts): a run that loses the host in between leaves them pending, and
// the next run runs them even though it finds nothing left to change.
import type { Connection } from './connection/connection.ts';
import { ConnectError, ScaleupError, StepError } from './errors.ts';
import { PendingHandlers, pendingHandlersProbe } from './pending-handlers.ts';
import { probeBatch, type BatchedProbe } from './probe-batch.ts';
import { remoteFor } from './remote.ts';
import type { EventSink, StepResult } from './results.ts';
import type { Redactor } from './secret.ts';
import { shownLine, shownResult, shownText } from './shown-text.ts';
import type { Change, Handler, ProbeOutput, Step, StepContext } from './steps/step.ts';
import { tracedAnswer, tracedText } from './trace.ts';

export interface RoleRun {
  role: string;
  steps: Step[];
  handlers: Record<string, Handler>;
  ctx: StepContext;
  conn: Connection;
  redactor: Redactor;
  check: boolean;
  /** performance.now() when the run began: each result's `startMs` is measured from it (else from this role's start). */
  runStart?: number;
  emit: EventSink;
  stepTimeoutMs?: number;
  /** Asked before each step; true stops the role (Ctrl-C): running steps finish, no new ones start. */
  stopRequested?: () => boolean;
  /** Probe answers already fetched for these steps (nothing changed on the host since). */
  probed?: ProbeOutput[];
  /** `-vv`: report what each step checked and what it decided (trace.ts). */
  traceDecisions?: boolean;
}

/** Outcome of a role on a host: its results, and whether the host must stop (failed/unreachable). */
export interface RoleOutcome {
  results: StepResult[];
  failed: boolean;
  unreachable?: string;
}

/** A step's probe as a batch runs it: its own snippet, or its share of a command common to its kind. */
function batchedProbe(step: Step, ctx: StepContext): BatchedProbe {
  return { probe: step.probe(ctx), shared: step.shared?.(ctx) };
}

/** The probes of a role on a host, in one batch: every step's, then its pending handlers. */
export function roleProbes(role: string, steps: Step[], ctx: StepContext): BatchedProbe[] {
  return [...steps.map((s) => batchedProbe(s, ctx)), { probe: pendingHandlersProbe(role) }];
}

async function probeAll(run: RoleRun, probes: BatchedProbe[]): Promise<ProbeOutput[]> {
  const batch = probeBatch(probes);
  const result = await run.conn.exec(batch.script, { timeoutMs: run.stepTimeoutMs });
  return batch.parse(result.stdout);
}

/** Whether `b`'s probe may see what `a` changed: unless both declare paths and none is at or below another. */
export function mayAffect(a: Step, b: Step): boolean {
  if (!a.paths || !b.paths) return true;
  const within = (p: string, q: string) => p === q || p.startsWith(q.endsWith('/') ? q : `${q}/`);
  return a.paths.some((p) => b.paths!.some((q) => within(p, q) || within(q, p)));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function applyRole(run: RoleRun): Promise<RoleOutcome> {
  const { role, steps, ctx, redactor, emit } = run;
  const host = ctx.host.name;
  const results: StepResult[] = [];
  const origin = run.runStart ?? performance.now();
  const at = (t: number) => Math.round(t - origin);
  const notified: string[] = [];
  let failed = false;
  let unreachable: string | undefined;

  const record = (r: StepResult) => {
    const shown = shownResult(r, redactor);
    results.push(shown);
    emit({ type: 'step', result: shown });
  };

  const list = new PendingHandlers(run.conn, role, run.stepTimeoutMs);
  // Handlers an earlier run recorded on the host but never ran (it lost the host, or a handler failed).
  let pending: string[] = [];

  try {
    const first = run.probed?.length === steps.length + 1 ? run.probed : await probeAll(run, roleProbes(role, steps, ctx));
    const outputs = first.slice(0, steps.length);
    // Steps whose probe answer predates a change that may affect them.
    const stale = new Set<number>();
    list.read(first[steps.length]?.stdout ?? '');
    pending = list.recorded.filter((h) => run.handlers[h]);
    notified.push(...pending);
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      if (run.stopRequested?.()) {
        record({ host, role, step: step.name, status: 'skipped', startMs: at(performance.now()), durationMs: 0, changes: ['interrupted'] });
        continue;
      }
      let started = performance.now();
      emit({ type: 'step-start', host, role, step: shownLine(step.name, redactor) });
      let changes: Change[];
      try {
        if (stale.has(i)) {
          // This step and every later stale one, in one round trip.
          const again = [...stale].filter((j) => j >= i).sort((x, y) => x - y);
          const fresh = await probeAll(run, again.map((j) => batchedProbe(steps[j]!, ctx)));
          again.forEach((j, k) => {
            outputs[j] = fresh[k]!;
            stale.delete(j);
          });
          // The step's own time starts after the re-check (reports count re-checks between steps).
          started = performance.now();
        }
        changes = await step.decide(outputs[i]!, ctx);
        if (run.traceDecisions) emit(decisionEvent(run, step, outputs[i]!, changes));
        if (changes.length && !run.check) {
          // Recorded before the change: if the host is lost after it, the next run still reloads.
          await list.include([...new Set([...notified, ...(step.notify ?? [])])]);
          await step.apply(remoteFor(run.conn, redactor, run.stepTimeoutMs), changes, ctx);
        }
      } catch (err) {
        if (err instanceof ConnectError) throw err;
        record({ host, role, step: step.name, status: 'failed', startMs: at(started), durationMs: performance.now() - started, error: messageOf(err) });
        failed = true;
        break;
      }
      const diff = changes.map((c) => c.diff).filter(Boolean).join('\n');
      record({
        host, role, step: step.name,
        status: changes.length ? 'changed' : 'ok',
        startMs: at(started),
        durationMs: performance.now() - started,
        changes: changes.length ? changes.map((c) => c.summary) : undefined,
        diff: diff || undefined,
      });
      if (changes.length) {
        for (const h of step.notify ?? []) if (!notified.includes(h)) notified.push(h);
        // Later steps may depend on what this one did: they are checked again before they are decided.
        if (!run.check) {
          for (let j = i + 1; j < steps.length; j++) if (mayAffect(step, steps[j]!)) stale.add(j);
        }
      }
    }
  } catch (err) {
    if (!(err instanceof ConnectError)) throw err;
    unreachable = shownText(messageOf(err), redactor);
  }

  if (run.check) {
    // What the next real run will do although no step has changes: the handlers left pending.
    for (const name of pending) {
      record({
        host, role, step: run.handlers[name]!.name, status: 'changed', startMs: at(performance.now()), durationMs: 0, handler: true,
        changes: ['pending since an earlier run'],
      });
    }
  } else if (!unreachable) {
    const handled = await runHandlers(run, notified, pending, record, at);
    failed ||= handled.failed;
    unreachable = handled.unreachable;
    // A failed handler stays pending for the next run; the others are done.
    if (!unreachable) {
      try {
        await list.leaveOnly(handled.unrun);
      } catch (err) {
        if (!(err instanceof ConnectError)) throw err;
        unreachable = shownText(messageOf(err), redactor);
      }
    }
  }
  return { results, failed, unreachable };
}

/** What `step` checked, what the host answered, and what the step made of it — all made safe. */
function decisionEvent(run: RoleRun, step: Step, answer: ProbeOutput, changes: Change[]) {
  const { redactor } = run;
  return {
    type: 'trace-decision' as const,
    host: run.ctx.host.name,
    role: run.role,
    step: shownLine(step.name, redactor),
    probe: tracedText(step.probe(run.ctx), redactor),
    // The host's answer is untrusted text that may quote a secret (a config file's line): masked, escaped.
    answer: { exitCode: answer.exitCode, output: tracedAnswer(answer.stdout.trim(), redactor) },
    changes: changes.map((c) => shownLine(c.summary, redactor)),
  };
}

/**
 * Runs the notified handlers once each, in the order notified. A failed one is reported and left in
 * `unrun`, and the others still run; a lost host ends them (`unreachable`).
 */
async function runHandlers(
  run: RoleRun,
  notified: string[],
  pending: string[],
  record: (r: StepResult) => void,
  at: (t: number) => number,
): Promise<{ failed: boolean; unreachable?: string; unrun: string[] }> {
  const { role, redactor } = run;
  const host = run.ctx.host.name;
  const unrun: string[] = [];
  let failed = false;
  for (const name of notified) {
    const handler = run.handlers[name];
    const started = performance.now();
    if (!handler) {
      record({ host, role, step: name, status: 'failed', startMs: at(started), durationMs: 0, handler: true, error: `no handler named '${name}' in role ${role}` });
      failed = true;
      continue;
    }
    try {
      await handler.apply(remoteFor(run.conn, redactor, run.stepTimeoutMs), [{ summary: name }], run.ctx);
      record({
        host, role, step: handler.name, status: 'changed', startMs: at(started), durationMs: performance.now() - started, handler: true,
        ...(pending.includes(name) ? { changes: ['pending since an earlier run'] } : {}),
      });
    } catch (err) {
      if (err instanceof ConnectError) return { failed, unreachable: shownText(messageOf(err), redactor), unrun };
      record({
        host, role, step: handler.name, status: 'failed', startMs: at(started), durationMs: performance.now() - started, handler: true,
        error: messageOf(err),
      });
      failed = true;
      unrun.push(name);
    }
  }
  return { failed, unrun };
}
