// JUnit XML: one testsuite per host, one testcase per step, for CI systems to display.
import { safeHostText } from '../../core/host-text.ts';
import type { RunResult } from '../../core/results.ts';

function xml(s: string): string {
  // Host text made visible first (the engine did so already: this is the last line of defence), then
  // what XML 1.0 forbids is dropped.
  return safeHostText(s).replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!)
    // Control characters are not allowed in XML 1.0.
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '');
}

export function junitReport(result: RunResult): string {
  const suites = Object.entries(result.hosts).map(([host, t]) => {
    const steps = result.steps.filter((s) => s.host === host);
    const cases = steps.map((s) => {
      const name = `${s.role} › ${s.handler ? 'handler ' : ''}${s.step}`;
      const time = (s.durationMs / 1000).toFixed(3);
      let body = '';
      if (s.status === 'failed') body = `<failure message="${xml(s.error ?? 'failed')}"/>`;
      else if (s.status === 'skipped') body = '<skipped/>';
      else if (s.status === 'changed') body = `<system-out>${xml(`changed: ${(s.changes ?? []).join('; ')}`)}</system-out>`;
      return `    <testcase classname="${xml(host)}" name="${xml(name)}" time="${time}">${body}</testcase>`;
    });
    if (t.unreachable) cases.push(`    <testcase classname="${xml(host)}" name="connect" time="0"><error message="${xml(t.error ?? 'unreachable')}"/></testcase>`);
    const failures = steps.filter((s) => s.status === 'failed').length;
    return `  <testsuite name="${xml(host)}" tests="${cases.length}" failures="${failures}" errors="${t.unreachable ? 1 : 0}" skipped="${t.skipped}" time="${(t.durationMs / 1000).toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="scaleup" time="${(result.durationMs / 1000).toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
