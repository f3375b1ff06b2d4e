// The plan as the wizard shows it: a check-mode result, per host, what would change (one line per
// role), and on request the full detail (each step's changes and its diff, secrets already masked).
// Every text from the run is escaped again here (the engine did already): the last line of defence
// against a host's escape sequences reaching the terminal.
import { safeHostLine as line, safeHostText as text } from '../../core/host-text.ts';
import type { RunResult, StepResult } from '../../core/results.ts';
import { palette } from '../render/style.ts';

type Palette = ReturnType<typeof palette>;

function byHost(result: RunResult): Map<string, StepResult[]> {
  const out = new Map<string, StepResult[]>();
  for (const name of Object.keys(result.hosts)) out.set(name, []);
  for (const s of result.steps) out.get(s.host)?.push(s);
  return out;
}

function stepLabel(s: StepResult): string {
  return line(`${s.handler ? 'handler ' : ''}${s.step}`);
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Totals in words: `12 changes on 3 of 5 hosts`. */
export function planHeadline(result: RunResult): string {
  const hosts = Object.values(result.hosts);
  const changing = hosts.filter((t) => t.changed > 0).length;
  const n = result.totals.changed;
  return `${n} change${n === 1 ? '' : 's'} on ${changing} of ${hosts.length} host${hosts.length === 1 ? '' : 's'}`;
}

/** One block per host: converged, unreachable, failed, or what would change grouped by role. */
export function planSummary(result: RunResult, options: { color?: boolean; width?: number } = {}): string {
  const c: Palette = palette(Boolean(options.color));
  const width = options.width ?? 100;
  const names = Object.keys(result.hosts);
  const pad = Math.max(4, ...names.map((n) => n.length));
  const lines = [c.bold(`Plan: ${planHeadline(result)} (check mode: nothing has been changed)`)];
  for (const [name, steps] of byHost(result)) {
    const t = result.hosts[name]!;
    if (t.unreachable) {
      lines.push(`  ${name.padEnd(pad)}  ${c.failed(`unreachable: ${text(t.error ?? '')}`)}`);
      continue;
    }
    const failed = steps.filter((s) => s.status === 'failed');
    for (const f of failed) lines.push(`  ${name.padEnd(pad)}  ${c.failed(`failed: ${f.role} › ${stepLabel(f)}: ${text(f.error ?? '')}`)}`);
    const changed = steps.filter((s) => s.status === 'changed');
    if (!changed.length) {
      if (!failed.length) lines.push(`  ${name.padEnd(pad)}  ${c.ok('converged')}`);
      continue;
    }
    lines.push(`  ${name.padEnd(pad)}  ${c.changed(`${changed.length} to change`)}`);
    const roles = [...new Set(changed.map((s) => s.role))];
    const rolePad = Math.max(...roles.map((r) => r.length));
    for (const role of roles) {
      const list = changed.filter((s) => s.role === role).map(stepLabel).join(', ');
      lines.push(clip(`  ${' '.repeat(pad)}    ${role.padEnd(rolePad)}  ${list}`, width));
    }
  }
  return lines.join('\n') + '\n';
}

/** Every step that would change, with what it reported and its diff. */
export function planDetails(result: RunResult, options: { color?: boolean } = {}): string {
  const c: Palette = palette(Boolean(options.color));
  const out: string[] = [];
  for (const [name, steps] of byHost(result)) {
    const changed = steps.filter((s) => s.status === 'changed');
    if (!changed.length) continue;
    out.push(c.bold(`── ${name} ──`));
    for (const s of changed) {
      out.push(`${c.changed('~')} ${s.role} › ${stepLabel(s)}`);
      for (const change of s.changes ?? []) out.push(`    ${line(change)}`);
      if (s.diff) out.push(...text(s.diff).replace(/\n$/, '').split('\n').map((l) => `    ${colorDiffLine(l, c)}`));
    }
  }
  if (!out.length) return 'Nothing would change.\n';
  return out.join('\n') + '\n';
}

function colorDiffLine(line: string, c: Palette): string {
  if (line.startsWith('+') && !line.startsWith('+++')) return c.ok(line);
  if (line.startsWith('-') && !line.startsWith('---')) return c.failed(line);
  if (line.startsWith('@@')) return c.skipped(line);
  return line;
}
