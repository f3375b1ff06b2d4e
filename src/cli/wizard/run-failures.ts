// What went wrong in a run, as the wizard lists it above the menu it returns to: one entry per failed
// step (host, role, step, error) and per unreachable host. The engine already masked the secrets and
// escaped what the hosts sent; both are done again here, the last line of defence before a terminal.
import { safeHostLine as line, safeHostText as text } from '../../core/host-text.ts';
import type { RunResult } from '../../core/results.ts';
import type { Redactor } from '../../core/secret.ts';
import { palette } from '../render/style.ts';

export interface RunFailure {
  host: string;
  /** Absent when the host was unreachable (no step ran or could go on). */
  role?: string;
  step?: string;
  error: string;
}

/** The failures of `result`, in its host order, each text masked by `redactor` and escaped. */
export function runFailures(result: RunResult, redactor?: Redactor): RunFailure[] {
  const shown = (s: string) => text(redactor ? redactor.redact(s) : s);
  const out: RunFailure[] = [];
  for (const [host, totals] of Object.entries(result.hosts)) {
    for (const s of result.steps.filter((r) => r.host === host && r.status === 'failed')) {
      out.push({ host, role: s.role, step: shown(`${s.handler ? 'handler ' : ''}${s.step}`), error: shown(s.error ?? 'failed') });
    }
    if (totals.unreachable) out.push({ host, error: shown(`unreachable: ${totals.error ?? 'no answer'}`) });
  }
  return out;
}

/** The list shown above the menu: `  web-01  app › service app: exit 1`, an error's further lines indented. */
export function failureList(failures: RunFailure[], options: { color?: boolean } = {}): string {
  const c = palette(Boolean(options.color));
  const hosts = new Set(failures.map((f) => f.host));
  const pad = Math.max(4, ...failures.map((f) => line(f.host).length));
  const lines = [c.failed(`The run failed on ${hosts.size} host${hosts.size === 1 ? '' : 's'}:`)];
  for (const f of failures) {
    const [first = '', ...rest] = text(f.error).replace(/\n+$/, '').split('\n');
    const where = f.role ? `${line(f.role)} › ${line(f.step ?? '')}: ` : '';
    lines.push(`  ${line(f.host).padEnd(pad)}  ${where}${first}`);
    for (const more of rest) lines.push(`  ${' '.repeat(pad)}    ${more}`);
  }
  return lines.join('\n') + '\n';
}
