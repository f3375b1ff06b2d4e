// The recap printed after every run: one line per host, then the totals and the duration.
import type { RunResult } from '../../core/results.ts';
import { palette } from './style.ts';

export function recap(result: RunResult, color: boolean): string {
  const c = palette(color);
  const names = Object.keys(result.hosts);
  const width = Math.max(4, ...names.map((n) => n.length));
  const lines = [c.bold(`RECAP${result.check ? ' (check mode: nothing was changed)' : ''}`)];
  for (const name of names) {
    const t = result.hosts[name]!;
    const cells = [
      c.ok(`ok=${t.ok}`),
      (t.changed ? c.changed : (s: string) => s)(`changed=${t.changed}`),
      (t.failed ? c.failed : (s: string) => s)(`failed=${t.failed}`),
      `skipped=${t.skipped}`,
      (t.unreachable ? c.failed : (s: string) => s)(`unreachable=${t.unreachable ? 1 : 0}`),
      c.dim(`${(t.durationMs / 1000).toFixed(2)}s`),
    ];
    lines.push(`${name.padEnd(width)}  ${cells.join('  ')}`);
  }
  const s = result.totals;
  lines.push(`${'total'.padEnd(width)}  ok=${s.ok}  changed=${s.changed}  failed=${s.failed}  skipped=${s.skipped}  unreachable=${s.unreachable}  in ${(result.durationMs / 1000).toFixed(2)}s`);
  if (result.interrupted) lines.push(c.failed('interrupted: no new steps were started after Ctrl-C'));
  return lines.join('\n') + '\n';
}
