// A step that hangs: the per-step timeout (`provision apply --step-timeout SECONDS`) fails it within
// the limit, names it, kills the whole command (not only its shell), and the role stops there.
// Through the engine's executor (applyRole) on the control machine's real shell (LocalConnection).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applyRole } from '../../src/core/apply-role.ts';
import { LocalConnection } from '../../src/core/connection/local.ts';
import { Redactor } from '../../src/core/secret.ts';
import { command } from '../../src/core/steps/index.ts';
import type { StepResult } from '../../src/core/results.ts';
import { context } from '../support/local-role.ts';
import { budget, PROCESS_MS } from './budgets.ts';

/** Processes whose command line holds `marker` (ours: nobody else knows it). */
function running(marker: string): string {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** Polls until no process holds `marker`, for as long as a process may take to go; what is left. */
async function gone(marker: string): Promise<string> {
  const deadline = performance.now() + PROCESS_MS;
  let left = running(marker);
  while (left && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = running(marker);
  }
  return left;
}

// A limit the quick step keeps however busy the machine is: its shell and `sleep`, and the 0.2 s.
const QUICK_STEP_LIMIT_MS = budget({ processes: 2, plusMs: 200 });

describe('per-step timeout', () => {
  // The hanging steps sleep ten minutes: were the limit not kept, the test would fail on its own
  // limit (the step's second plus the processes), with no guess at how fast this machine is.
  it('fails a hanging step at the limit, naming it; later steps do not run', async () => {
    const events: StepResult[] = [];
    const outcome = await applyRole({
      role: 'slow', ctx: context(), conn: new LocalConnection(), redactor: new Redactor(), check: false, handlers: {},
      emit: (e) => { if (e.type === 'step') events.push(e.result); },
      stepTimeoutMs: 1000,
      steps: [
        command.run({ name: 'wait for the mirror', command: 'sleep 600' }),
        command.run({ name: 'after', command: 'true' }),
      ],
    });
    expect(outcome.failed).toBe(true);
    expect(outcome.results).toHaveLength(1);
    expect(outcome.results[0]).toMatchObject({ role: 'slow', step: 'wait for the mirror', status: 'failed', error: 'timed out after 1 s' });
    expect(outcome.results[0]!.durationMs).toBeGreaterThanOrEqual(900);
    expect(events.map((r) => `${r.step}: ${r.status}`)).toEqual(['wait for the mirror: failed']);
  }, budget({ processes: 2, plusMs: 1000 }));

  it('kills the command and everything it started, not only its shell', async () => {
    const marker = `scaleup-timeout-${randomBytes(6).toString('hex')}`;
    // A shell that does not exec its last command, with a child that would outlive it.
    const outcome = await applyRole({
      role: 'slow', ctx: context(), conn: new LocalConnection(), redactor: new Redactor(), check: false, handlers: {},
      emit: () => {}, stepTimeoutMs: 800,
      steps: [command.run({ name: 'hang in a pipeline', command: `sleep 600 | cat; : ${marker}` })],
    });
    expect(outcome.results[0]).toMatchObject({ step: 'hang in a pipeline', status: 'failed', error: 'timed out after 1 s' });
    // The group was killed: nothing of it is left running.
    expect(await gone(marker)).toBe('');
  }, budget({ processes: 4, plusMs: 800 }) + PROCESS_MS);

  it('leaves a step that finishes in time alone', async () => {
    const outcome = await applyRole({
      role: 'quick', ctx: context(), conn: new LocalConnection(), redactor: new Redactor(), check: false, handlers: {},
      emit: () => {}, stepTimeoutMs: QUICK_STEP_LIMIT_MS,
      steps: [command.run({ name: 'short', command: 'sleep 0.2' })],
    });
    expect(outcome.results.map((r) => r.status)).toEqual(['changed']);
  }, QUICK_STEP_LIMIT_MS + PROCESS_MS);
});
