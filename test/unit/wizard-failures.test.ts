// What the wizard lists of a failed run: every failed step and unreachable host, secrets masked, host text escaped.
import { describe, expect, it } from 'vitest';
import { failureList, runFailures } from '../../src/cli/wizard/run-failures.ts';
import type { RunResult, StepResult } from '../../src/core/results.ts';
import { Redactor, Secret } from '../../src/core/secret.ts';

const totals = (over: Partial<RunResult['hosts'][string]> = {}) => ({
  ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, roundTrips: 1, durationMs: 10, ...over,
});
const step = (host: string, role: string, name: string, status: StepResult['status'], extra: Partial<StepResult> = {}): StepResult => ({
  host, role, step: name, status, durationMs: 1, ...extra,
});

const result: RunResult = {
  version: 1,
  ok: false,
  check: false,
  durationMs: 50,
  totals: { ok: 2, changed: 1, failed: 2, skipped: 0, unreachable: 1 },
  hosts: {
    'lb-01': totals({ ok: 2 }),
    'app-01': totals({ failed: 1, changed: 1 }),
    'web-01': totals({ failed: 1 }),
    'db-01': totals({ unreachable: true, error: 'cannot connect to 10.0.0.41:22: timed out' }),
  },
  steps: [
    step('lb-01', 'haproxy', 'service haproxy', 'ok'),
    step('app-01', 'app', 'release', 'changed'),
    // A secret that reached an error unmasked (the engine masks them; the list masks again).
    step('app-01', 'app', 'create user', 'failed', { error: 'mysql: access denied for s3cret-pw-77\n\u001b[31mERROR 1045' }),
    step('web-01', 'nginx', 'reload nginx', 'failed', { handler: true, error: 'nginx: [emerg] unknown directive' }),
  ],
};

describe('the failures of a run', () => {
  const redactor = new Redactor();
  redactor.add(new Secret('s3cret-pw-77'));

  it('lists each failed step (host, role, step, error) and each unreachable host, in host order', () => {
    expect(runFailures(result, redactor)).toEqual([
      { host: 'app-01', role: 'app', step: 'create user', error: 'mysql: access denied for ***\n\\x1b[31mERROR 1045' },
      { host: 'web-01', role: 'nginx', step: 'handler reload nginx', error: 'nginx: [emerg] unknown directive' },
      { host: 'db-01', error: 'unreachable: cannot connect to 10.0.0.41:22: timed out' },
    ]);
  });

  it('shows them one per line, further lines of an error indented, nothing a terminal would act on', () => {
    expect(failureList(runFailures(result, redactor))).toBe([
      'The run failed on 3 hosts:',
      '  app-01  app › create user: mysql: access denied for ***',
      '            \\x1b[31mERROR 1045',
      '  web-01  nginx › handler reload nginx: nginx: [emerg] unknown directive',
      '  db-01   unreachable: cannot connect to 10.0.0.41:22: timed out',
      '',
    ].join('\n'));
  });

  it('escapes what it is given even when it did not make the list itself', () => {
    const text = failureList([{ host: 'web-01\u001b[2J', role: 'nginx', step: 'x\ny', error: 'boom\u0007' }]);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(text).toContain('web-01\\x1b[2J  nginx › x\\ny: boom\\x07');
  });
});
