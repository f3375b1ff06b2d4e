// The report's timeline: one block per host, a Gantt-like row for each thing the host spent time on
// (connect, facts, probes, each role, each step and handler), bars placed on the run's time axis in
// plain CSS. A bar's title and the row's last column give the duration; nothing needs a script.
import type { HostPhase, HostTotals, RunResult, StepResult } from '../../core/results.ts';
import { duration, html } from './html-text.ts';

interface Row {
  kind: 'host' | 'phase' | 'role' | 'step' | 'handler';
  label: string;
  status: string;
  startMs?: number;
  durationMs: number;
  data: Record<string, string>;
}

const PHASE_LABELS: Record<HostPhase['name'], string> = {
  connect: 'connect',
  facts: 'lock and facts',
  probes: 'probes',
};

/** The host's state in one word, for the recap and the timeline. */
export function hostState(t: HostTotals): 'unreachable' | 'failed' | 'changed' | 'ok' {
  return t.unreachable ? 'unreachable' : t.failed || t.error ? 'failed' : t.changed ? 'changed' : 'ok';
}

const end = (r: { startMs?: number; durationMs: number }) => (r.startMs ?? 0) + r.durationMs;

/** The span of the rows that were timed (results of an older run may carry no start). */
function span(rows: Row[]): { startMs: number; durationMs: number } | undefined {
  const timed = rows.filter((r) => r.startMs !== undefined);
  if (!timed.length) return undefined;
  const start = Math.min(...timed.map((r) => r.startMs!));
  return { startMs: start, durationMs: Math.max(...timed.map(end)) - start };
}

function stepRow(s: StepResult): Row {
  return {
    kind: s.handler ? 'handler' : 'step',
    label: s.handler ? `handler: ${s.step}` : s.step,
    status: s.status,
    startMs: s.startMs,
    durationMs: s.durationMs,
    data: { host: s.host, role: s.role, step: s.step, status: s.status },
  };
}

/** The host's rows: its phases, then each role (consecutive steps of one role) with its steps. */
function hostRows(host: string, totals: HostTotals, steps: StepResult[]): Row[] {
  const rows: Row[] = (totals.phases ?? []).map((p) => ({
    kind: 'phase', label: PHASE_LABELS[p.name], status: p.failed ? 'failed' : 'phase', startMs: p.startMs, durationMs: p.durationMs,
    data: { host, phase: p.name, status: p.failed ? 'failed' : 'ok' },
  }));
  for (let i = 0; i < steps.length;) {
    const role = steps[i]!.role;
    let j = i;
    while (j < steps.length && steps[j]!.role === role) j++;
    const children = steps.slice(i, j).map(stepRow);
    const whole = span(children);
    const status = children.some((c) => c.status === 'failed') ? 'failed' : 'role';
    rows.push({
      kind: 'role', label: role, status, startMs: whole?.startMs,
      durationMs: whole?.durationMs ?? children.reduce((sum, c) => sum + c.durationMs, 0), data: { host, role },
    }, ...children);
    i = j;
  }
  return rows;
}

/** A round step for the axis: about six ticks of 1, 2 or 5 times a power of ten. */
function tickStep(totalMs: number): number {
  const raw = Math.max(totalMs / 6, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
}

const tickLabel = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(2))} s`);
const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(3)}%`;

function rowHtml(row: Row, scaleMs: number, host: string): string {
  const data = Object.entries(row.data).map(([k, v]) => ` data-${k}="${html(v)}"`).join('');
  const title = `${host} · ${row.label}: ${row.status === 'phase' || row.status === 'role' ? '' : `${row.status}, `}${duration(row.durationMs)}` +
    (row.startMs !== undefined ? ` from ${duration(row.startMs)}` : '');
  const bar = row.startMs === undefined
    ? ''
    : `<div class="bar s-${html(row.status)}" style="left:${pct(row.startMs, scaleMs)};width:${pct(row.durationMs, scaleMs)}" title="${html(title)}"></div>`;
  const tag = row.kind === 'host' ? 'summary' : 'div';
  return `<${tag} class="row k-${row.kind}"${data}><span class="label" title="${html(row.label)}">${html(row.label)}</span>` +
    `<span class="lane">${bar}</span><span class="dur">${duration(row.durationMs)}</span></${tag}>`;
}

/** The timeline of `hosts` (in the order given) on one time axis, the run's length. */
export function timelineHtml(result: RunResult, hosts: string[]): string {
  const perHost = hosts.map((host) => {
    const rows = hostRows(host, result.hosts[host]!, result.steps.filter((s) => s.host === host));
    return { host, rows };
  });
  const scaleMs = Math.max(1, result.durationMs, ...perHost.flatMap(({ rows }) => rows.map(end)));
  const step = tickStep(scaleMs);
  const ticks: string[] = [];
  for (let t = 0; t <= scaleMs; t += step) ticks.push(`<span class="tick" style="left:${pct(t, scaleMs)}">${tickLabel(t)}</span>`);
  const blocks = perHost.map(({ host, rows }) => {
    const totals = result.hosts[host]!;
    const whole = span(rows);
    const status = hostState(totals);
    const head: Row = {
      kind: 'host', label: host, status, startMs: whole?.startMs, durationMs: whole?.durationMs ?? totals.durationMs, data: { host, status },
    };
    return `<details class="host" open>${rowHtml(head, scaleMs, host)}${rows.map((r) => rowHtml(r, scaleMs, host)).join('')}</details>`;
  });
  return `<div class="timeline" style="--tick:${pct(step, scaleMs)}">` +
    `<div class="row axis"><span class="label">${html(`0 – ${duration(scaleMs)}`)}</span><span class="lane">${ticks.join('')}</span><span class="dur"></span></div>` +
    `${blocks.join('\n')}</div>`;
}
