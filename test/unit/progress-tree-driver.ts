// Drives the live tree (src/cli/render/tree.ts) through a run's events on a real terminal, for
// progress-tree.test.ts, which starts it in tmux and reads the screen. Four hosts: lb-01 goes well,
// app-01 fails a step, db-01 is lost before its first step, web-01 is never reached. It waits for a
// file to appear before the run ends, so that the screen can be read while the run still goes on.
import { existsSync } from 'node:fs';
import { ProgressTree } from '../../src/cli/render/tree.ts';
import type { HostTotals, RunResult } from '../../src/core/results.ts';

const totals = (over: Partial<HostTotals>): HostTotals => ({
  ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, roundTrips: 1, durationMs: 1500, ...over,
});
const lb = totals({ ok: 1, changed: 1 });
const app = totals({ ok: 1, failed: 1 });
const db = totals({ unreachable: true, error: 'cannot connect to 10.0.0.41:22: timed out' });

const tree = new ProgressTree(['lb-01', 'app-01', 'db-01', 'web-01']);
const tick = () => new Promise((r) => setTimeout(r, 100));
await tick();
tree.sink({ type: 'host-start', host: 'lb-01' });
tree.sink({ type: 'step-start', host: 'lb-01', role: 'haproxy', step: 'package haproxy' });
tree.sink({ type: 'step', result: { host: 'lb-01', role: 'haproxy', step: 'package haproxy', status: 'changed', durationMs: 1 } });
tree.sink({ type: 'step-start', host: 'lb-01', role: 'haproxy', step: 'service haproxy' });
tree.sink({ type: 'step-start', host: 'app-01', role: 'app', step: 'release' });
tree.sink({ type: 'step', result: { host: 'app-01', role: 'app', step: 'release', status: 'ok', durationMs: 1 } });
tree.sink({ type: 'step-start', host: 'app-01', role: 'app', step: 'service app' });
const failed = { host: 'app-01', role: 'app', step: 'service app', status: 'failed' as const, durationMs: 1, error: 'command failed (exit 1): systemctl restart app' };
tree.sink({ type: 'step', result: failed });
tree.sink({ type: 'host-done', host: 'app-01', totals: app });
tree.sink({ type: 'host-unreachable', host: 'db-01', error: db.error! });
tree.sink({ type: 'host-done', host: 'db-01', totals: db });

// Typed keys would echo into the tree's lines: the test says "go on" by creating the file named first.
const goOn = process.argv[2]!;
while (!existsSync(goOn)) await tick();
tree.sink({ type: 'step', result: { host: 'lb-01', role: 'haproxy', step: 'service haproxy', status: 'ok', durationMs: 1 } });
tree.sink({ type: 'host-done', host: 'lb-01', totals: lb });
const result: RunResult = {
  version: 1, ok: false, check: false, durationMs: 2000, interrupted: true,
  totals: { ok: 2, changed: 1, failed: 1, skipped: 0, unreachable: 1 },
  hosts: { 'lb-01': lb, 'app-01': app, 'db-01': db },
  steps: [failed],
};
await tree.finish(result);
process.stdout.write('run over\n');
process.exit(0);
