// Converges one role on one host: probe every step in one round trip, then walk the steps in
// order; a step with changes is applied (unless --check) and the steps after it are probed again,
// so each sees what earlier steps did. Notified handlers run once, after the role, in the order
// they were notified — also when a later step failed, so a changed config is never left unloaded.
import type { Connection } from './connection/connection.ts';
import { ConnectError, ScaleupError, StepError } from './errors.ts';
import { probeBatch } from './probe-batch.ts';
import { remoteFor } from './remote.ts';
import type { EventSink, StepResult } from './results.ts';
import { redactDiff, type Redactor } from './secret.ts';
import type { Change, Handler, ProbeOutput, Step, StepContext } from './steps/step.ts';

export interface RoleRun {
  role: string;
  steps: Step[];
  handlers: Record<string, Handler>;
  ctx: StepContext;
  conn: Connection;
  redactor: Redactor;
  check: boolean;
  emit: EventSink;
  stepTimeoutMs?: number;
  /** Asked before each step; true stops the role (Ctrl-C): running steps finish, no new ones start. */
  stopRequested?: () => boolean;
  /** Probe answers already fetched for these steps (nothing changed on the host since). */
  probed?: ProbeOutput[];
}

/** Outcome of a role on a host: its results, and whether the host must stop (failed/unreachable). */
export interface RoleOutcome {
  results: StepResult[];
  failed: boolean;
  unreachable?: string;
}

async function probeAll(run: RoleRun, steps: Step[]): Promise<ProbeOutput[]> {
  const batch = probeBatch(steps.map((s) => s.probe(run.ctx)));
  const result = await run.conn.exec(batch.script, { timeoutMs: run.stepTimeoutMs });
  return batch.parse(result.stdout);
}

function errorText(err: unknown, redactor: Redactor): string {
  const message = err instanceof Error ? err.message : String(err);
  return redactor.redact(message);
}

export async function applyRole(run: RoleRun): Promise<RoleOutcome> {
  const { role, steps, ctx, redactor, emit } = run;
  const host = ctx.host.name;
  const results: StepResult[] = [];
  const notified: string[] = [];
  let failed = false;
  let unreachable: string | undefined;

  const record = (r: StepResult) => {
    results.push(r);
    emit({ type: 'step', result: r });
  };

  try {
    let outputs = run.probed?.length === steps.length ? run.probed : await probeAll(run, steps);
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      if (run.stopRequested?.()) {
        record({ host, role, step: step.name, status: 'skipped', durationMs: 0, changes: ['interrupted'] });
        continue;
      }
      const started = performance.now();
      emit({ type: 'step-start', host, role, step: step.name });
      let changes: Change[];
      try {
        changes = await step.decide(outputs[i]!, ctx);
        if (changes.length && !run.check) {
          await step.apply(remoteFor(run.conn, redactor, run.stepTimeoutMs), changes, ctx);
        }
      } catch (err) {
        if (err instanceof ConnectError) throw err;
        const error = errorText(err, redactor);
        record({ host, role, step: step.name, status: 'failed', durationMs: performance.now() - started, error });
        failed = true;
        break;
      }
      const diff = changes.map((c) => c.diff).filter(Boolean).join('\n');
      record({
        host, role, step: step.name,
        status: changes.length ? 'changed' : 'ok',
        durationMs: performance.now() - started,
        changes: changes.length ? changes.map((c) => redactor.redact(c.summary)) : undefined,
        diff: diff ? redactDiff(diff, redactor) : undefined,
      });
      if (changes.length) {
        for (const h of step.notify ?? []) if (!notified.includes(h)) notified.push(h);
        // Later steps may depend on what this one did: check them again against the new state.
        if (!run.check && i + 1 < steps.length) {
          const rest = await probeAll(run, steps.slice(i + 1));
          outputs = [...outputs.slice(0, i + 1), ...rest];
        }
      }
    }
  } catch (err) {
    if (!(err instanceof ConnectError)) throw err;
    unreachable = errorText(err, redactor);
  }

  if (!run.check && !unreachable) {
    for (const name of notified) {
      const handler = run.handlers[name];
      const started = performance.now();
      if (!handler) {
        record({ host, role, step: name, status: 'failed', durationMs: 0, handler: true, error: `no handler named '${name}' in role ${role}` });
        failed = true;
        continue;
      }
      try {
        await handler.apply(remoteFor(run.conn, redactor, run.stepTimeoutMs), [{ summary: name }], ctx);
        record({ host, role, step: handler.name, status: 'changed', durationMs: performance.now() - started, handler: true });
      } catch (err) {
        if (err instanceof ConnectError) {
          unreachable = errorText(err, redactor);
          break;
        }
        record({ host, role, step: handler.name, status: 'failed', durationMs: performance.now() - started, handler: true, error: errorText(err, redactor) });
        failed = true;
      }
    }
  }
  return { results, failed, unreachable };
}

export function isUserFacing(err: unknown): err is ScaleupError {
  return err instanceof ScaleupError || err instanceof StepError;
}
