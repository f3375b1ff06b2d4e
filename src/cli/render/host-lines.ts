// How `provision exec` and `provision logs` show what hosts said: every line behind its host's name,
// names padded to one width so the text lines up, `|` before a line of stdout and `!` before one of
// stderr (the mark is ours, outside the text, so a host cannot forge it). Texts arrive already safe.
import type { AdHocResult, AdHocStatus } from '../../core/ad-hoc.ts';
import { isoLocal, type LogLine } from '../../core/logs/log-lines.ts';

/** The width host names are padded to: the longest of them. */
export function nameWidth(names: readonly string[]): number {
  return Math.max(0, ...names.map((n) => n.length));
}

/** `text`'s lines, each as `NAME | line` (`NAME ! line` for stderr); a final newline adds no empty line. */
export function prefixedLines(host: string, text: string, width: number, stream: 'stdout' | 'stderr' = 'stdout'): string[] {
  if (text === '') return [];
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const mark = stream === 'stderr' ? '!' : '|';
  return lines.map((line) => `${host.padEnd(width)} ${mark} ${line}`.trimEnd());
}

function outcome(r: AdHocResult): string {
  if (r.status === 'unreachable') return `unreachable: ${r.error ?? ''}`;
  if (r.exitCode === null) return `failed: ${r.error ?? 'no exit code'}`;
  return r.exitCode === 0 ? 'ok' : `failed: exit code ${r.exitCode}`;
}

/** One host's result as `provision exec` prints it: its output, then (unless it is plain ok) its outcome. */
export function adHocLines(r: AdHocResult, width: number): string[] {
  const lines = [...prefixedLines(r.host, r.stdout, width), ...prefixedLines(r.host, r.stderr, width, 'stderr')];
  if (r.status !== 'ok') lines.push(`${r.host.padEnd(width)} ! ${outcome(r)}`);
  return lines;
}

/** `--group`: a header line per host, then its output unprefixed (stderr lines marked `! `). */
export function adHocBlock(r: AdHocResult): string[] {
  const header = `==> ${r.host}: ${outcome(r)} (${(r.durationMs / 1000).toFixed(1)} s)`;
  const strip = (text: string) => (text === '' ? [] : (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n'));
  return [header, ...strip(r.stdout), ...strip(r.stderr).map((l) => `! ${l}`)];
}

/** The last line: `2 ok, 1 failed, 0 unreachable`. */
export function summaryLine(totals: Record<AdHocStatus, number>): string {
  return `${totals.ok} ok, ${totals.failed} failed, ${totals.unreachable} unreachable`;
}

/** A log line behind its host's name, the journal's time before a message that has none of its own. */
export function logLine(line: LogLine, width: number): string {
  const time = line.showTime && line.time !== undefined ? `${isoLocal(line.time)} ` : '';
  return `${line.host.padEnd(width)} | ${time}${line.text}`.trimEnd();
}
