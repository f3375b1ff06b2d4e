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

/** Processes whose command line holds `marker` (ours: nobody else knows it). */
function running(marker: string): string {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

describe('per-step timeout', () => {
  it('fails a hanging step within the limit, naming it; later steps do not run', async () => {
    const events: StepResult[] = [];
    const started = performance.now();
    const outcome = await applyRole({
      role: 'slow', ctx: context(), conn: new LocalConnection(), redactor: new Redactor(), check: false, handlers: {},
      emit: (e) => { if (e.type === 'step') events.push(e.result); },
      stepTimeoutMs: 1000,
      steps: [
        command.run({ name: 'wait for the mirror', command: 'sleep 30' }),
        command.run({ name: 'after', command: 'true' }),
      ],
    });
    const seconds = (performance.now() - started) / 1000;
    expect(seconds).toBeLessThan(5);
    expect(outcome.failed).toBe(true);
    expect(outcome.results).toHaveLength(1);
    expect(outcome.results[0]).toMatchObject({ role: 'slow', step: 'wait for the mirror', status: 'failed', error: 'timed out after 1 s' });
    expect(outcome.results[0]!.durationMs).toBeGreaterThanOrEqual(900);
    expect(events.map((r) => `${r.step}: ${r.status}`)).toEqual(['wait for the mirror: failed']);
  });

  it('kills the command and everything it started, not only its shell', async () => {
    const marker = `scaleup-timeout-${randomBytes(6).toString('hex')}`;
    // A shell that does not exec its last command, with a child that would outlive it.
    const outcome = await applyRole({
      role: 'slow', ctx: context(), conn: new LocalConnection(), redactor: new Redactor(), check: false, handlers: {},
      emit: () => {}, stepTimeoutMs: 800,
      steps: [command.run({ name: 'hang in a pipeline', command: `sleep 30 | cat; : ${marker}` })],
    });
    expect(outcome.results[0]).toMatchObject({ step: 'hang in a pipeline', status: 'failed', error: 'timed out after 1 s' });
    // The group was killed: nothing of it is left running.
    await new Promise((r) => setTimeout(r, 200));
    expect(running(marker)).toBe('');
  });

  it('leaves a step that finishes in time alone', async () => {
    const outcome = await applyRole({
      role: 'quick', ctx: context(), conn: new LocalConnection(), redactor: new Redactor(), check: false, handlers: {},
      emit: () => {}, stepTimeoutMs: 5000,
      steps: [command.run({ name: 'short', command: 'sleep 0.2' })],
    });
    expect(outcome.results.map((r) => r.status)).toEqual(['changed']);
  });
});
