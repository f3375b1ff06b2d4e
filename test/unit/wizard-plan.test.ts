// The plan the wizard shows before applying: per host, from a check-mode result.
import { describe, expect, it } from 'vitest';
import type { RunResult, StepResult } from '../../src/core/results.ts';
import { planDetails, planHeadline, planSummary } from '../../src/cli/wizard/plan-summary.ts';

const step = (host: string, role: string, name: string, status: StepResult['status'], extra: Partial<StepResult> = {}): StepResult => ({
  host, role, step: name, status, durationMs: 1, ...extra,
});

const totals = (over: Partial<RunResult['hosts'][string]> = {}) => ({
  ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, roundTrips: 1, durationMs: 10, ...over,
});

const result: RunResult = {
  version: 1,
  ok: false,
  check: true,
  durationMs: 50,
  totals: { ok: 3, changed: 3, failed: 1, skipped: 0, unreachable: 1 },
  hosts: {
    'lb-01': totals({ changed: 2, ok: 1 }),
    'web-01': totals({ ok: 2 }),
    'app-01': totals({ failed: 1, changed: 1 }),
    'db-01': totals({ unreachable: true, error: 'cannot connect to 10.0.0.41:22: timed out' }),
  },
  steps: [
    step('lb-01', 'haproxy', 'package haproxy', 'changed', { changes: ['install haproxy'] }),
    step('lb-01', 'haproxy', 'template /etc/haproxy/haproxy.cfg', 'changed', {
      changes: ['content differs'],
      diff: '--- /etc/haproxy/haproxy.cfg\n+++ /etc/haproxy/haproxy.cfg\n@@ -1 +1 @@\n-maxconn 2000\n+maxconn 4096\n stats auth admin:***\n',
    }),
    step('lb-01', 'keepalived', 'service keepalived', 'ok'),
    step('web-01', 'nginx', 'package nginx', 'ok'),
    step('web-01', 'nginx', 'service nginx', 'ok'),
    step('app-01', 'app', 'release', 'changed'),
    step('app-01', 'app', 'service app', 'failed', { error: 'systemctl exited 1' }),
  ],
};

describe('the plan', () => {
  it('sums up in words', () => {
    expect(planHeadline(result)).toBe('3 changes on 2 of 4 hosts');
  });

  it('shows per host: what would change by role, converged, failed, unreachable', () => {
    expect(planSummary(result)).toBe([
      'Plan: 3 changes on 2 of 4 hosts (check mode: nothing has been changed)',
      '  lb-01   2 to change',
      '            haproxy  package haproxy, template /etc/haproxy/haproxy.cfg',
      '  web-01  converged',
      '  app-01  failed: app › service app: systemctl exited 1',
      '  app-01  1 to change',
      '            app  release',
      '  db-01   unreachable: cannot connect to 10.0.0.41:22: timed out',
      '',
    ].join('\n'));
  });

  it('clips long step lists to the terminal width', () => {
    const lines = planSummary(result, { width: 40 }).split('\n');
    expect(lines[2]).toBe('            haproxy  package haproxy, t…');
    expect(lines[2]).toHaveLength(40);
  });

  it('gives the detail on request: each change and its diff, secrets already masked', () => {
    const text = planDetails(result);
    expect(text).toContain('── lb-01 ──\n~ haproxy › package haproxy\n    install haproxy\n~ haproxy › template /etc/haproxy/haproxy.cfg\n    content differs\n');
    expect(text).toContain('    -maxconn 2000\n    +maxconn 4096\n     stats auth admin:***\n');
    expect(text).not.toContain('web-01');
  });

  it('says so when nothing would change', () => {
    expect(planDetails({ ...result, steps: [] })).toBe('Nothing would change.\n');
  });
});
