import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/core/results.ts';
import { exitCodeFor } from '../../src/cli/exit-codes.ts';
import { junitReport } from '../../src/cli/render/junit.ts';
import { plainRenderer } from '../../src/cli/render/plain.ts';
import { recap } from '../../src/cli/render/recap.ts';

function result(over: Partial<RunResult['totals']> = {}, extra: Partial<RunResult> = {}): RunResult {
  const totals = { ok: 3, changed: 1, failed: 0, skipped: 0, unreachable: 0, ...over };
  return {
    version: 1, ok: !totals.failed && !totals.unreachable, check: false, durationMs: 1234, totals,
    hosts: {
      'web-01': { ok: 3, changed: 1, failed: totals.failed, skipped: 0, unreachable: false, roundTrips: 4, durationMs: 800 },
      'db-01': { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: totals.unreachable > 0, roundTrips: 0, durationMs: 10, error: 'connection refused' },
    },
    steps: [
      { host: 'web-01', role: 'nginx', step: 'template /etc/nginx/nginx.conf', status: 'changed', durationMs: 12, changes: ['content'] },
      { host: 'web-01', role: 'nginx', step: 'package nginx', status: totals.failed ? 'failed' : 'ok', durationMs: 3, error: totals.failed ? 'apt <broke> & "died"' : undefined },
    ],
    ...extra,
  };
}

describe('exit codes', () => {
  it('follows the documented table', () => {
    expect(exitCodeFor(result())).toBe(0);
    expect(exitCodeFor(result(), true)).toBe(3);
    expect(exitCodeFor(result({ changed: 0 }), true)).toBe(0);
    expect(exitCodeFor(result({ failed: 1 }))).toBe(2);
    expect(exitCodeFor(result({ unreachable: 1 }))).toBe(4);
    expect(exitCodeFor(result({ failed: 1, unreachable: 1 }))).toBe(2);
    expect(exitCodeFor(result({}, { interrupted: true }))).toBe(130);
  });
});

describe('renderers', () => {
  it('recap has a line per host and the totals, no ANSI codes when colour is off', () => {
    const text = recap(result({ unreachable: 1 }), false);
    expect(text).toMatch(/^web-01\s+ok=3\s+changed=1\s+failed=0\s+skipped=0\s+unreachable=0/m);
    expect(text).toMatch(/^db-01\s+ok=0.*unreachable=1/m);
    expect(text).toMatch(/^total\s+ok=3\s+changed=1.*in 1\.23s/m);
    expect(text).not.toMatch(/\x1b\[/);
  });

  it('plain renderer names the host on every line and sends failures to stderr', () => {
    const out: string[] = [];
    const err: string[] = [];
    const sink = plainRenderer({ color: false, out: { write: (s: string) => out.push(s) } as never, err: { write: (s: string) => err.push(s) } as never });
    for (const step of result({ failed: 1 }).steps) sink({ type: 'step', result: step });
    sink({ type: 'host-unreachable', host: 'db-01', error: 'db-01: connection refused' });
    expect(out).toEqual(['changed: web-01 | nginx | template /etc/nginx/nginx.conf (content)\n']);
    expect(err).toEqual(['failed: web-01 | nginx | package nginx: apt <broke> & "died"\n', 'unreachable: db-01: db-01: connection refused\n']);
  });

  it('JUnit report is well-formed XML with one testcase per step, failures escaped', () => {
    const xml = junitReport(result({ failed: 1, unreachable: 1 }));
    expect(xml).toContain('<testsuite name="web-01" tests="2" failures="1"');
    expect(xml).toContain('<failure message="apt &lt;broke&gt; &amp; &quot;died&quot;"/>');
    expect(xml).toContain('<testcase classname="db-01" name="connect" time="0"><error message="connection refused"/>');
  });
});
