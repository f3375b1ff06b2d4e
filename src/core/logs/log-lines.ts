// A host's log lines as `provision logs` shows them: from the journal (one JSON object per entry) or
// from a service's own files (text lines, their time read from the usual timestamp forms), each with
// the instant it was written, so that the lines of several hosts can be put in time order.
// Everything in a line came from the host: it is redacted and escaped before it leaves this file.
import { safeHostText } from '../host-text.ts';
import type { Redactor } from '../secret.ts';

export interface LogLine {
  host: string;
  /** ms since the epoch; undefined when the line carries no time scaleup can read (and none came before it). */
  time?: number;
  /** Safe to show: redacted, control characters escaped, one line. */
  text: string;
  /** The text carries no time of its own (a journal entry's message): show `time` before it. */
  showTime?: boolean;
}

/** A journal entry (`journalctl -o json`): its time, the text a person reads, and its cursor. */
export interface JournalEntry {
  time?: number;
  cursor?: string;
  /** `identifier[pid]: message`, as journalctl's short format shows it; raw (not yet made safe). */
  text: string;
}

/** MESSAGE is a string, or an array of bytes when it is not valid UTF-8 (or null when too large). */
function messageText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((b) => typeof b === 'number')) return Buffer.from(value as number[]).toString('utf8');
  return '';
}

/** One line of `journalctl -o json`, or undefined when it is not a journal entry. */
export function parseJournalEntry(line: string): JournalEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!entry || typeof entry !== 'object') return undefined;
  const micros = Number(entry.__REALTIME_TIMESTAMP);
  const ident = typeof entry.SYSLOG_IDENTIFIER === 'string' ? entry.SYSLOG_IDENTIFIER : typeof entry._COMM === 'string' ? entry._COMM : '';
  const pid = typeof entry._PID === 'string' ? entry._PID : typeof entry.SYSLOG_PID === 'string' ? entry.SYSLOG_PID : '';
  const who = ident ? `${ident}${pid ? `[${pid}]` : ''}: ` : '';
  return {
    time: Number.isFinite(micros) && micros > 0 ? Math.floor(micros / 1000) : undefined,
    cursor: typeof entry.__CURSOR === 'string' ? entry.__CURSOR : undefined,
    text: `${who}${messageText(entry.MESSAGE)}`,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An offset like `+0200` or `-05:30` in minutes, 0 when absent or unreadable. */
export function offsetMinutes(text: string | undefined): number {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text?.trim() ?? '');
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/**
 * The time at the start of a log file's line, in the forms the stack's services write: ISO 8601
 * (`2025-06-01T12:00:00.123Z`, `2025-06-01 12:00:00`), nginx's error log (`2025/06/01 12:00:00`),
 * syslog (`Jun  1 12:00:00`, the year taken from `now`), and an access log's `[01/Jun/2025:12:00:00 +0000]`
 * anywhere in the line. A time without a zone is the host's local time, `hostOffset` minutes from UTC.
 */
export function fileLineTime(line: string, hostOffset: number, now = new Date()): number | undefined {
  const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offset: number) =>
    Date.UTC(y, mo, d, h, mi, s, ms) - offset * 60_000;
  let m = /^(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?\s*(Z|[+-]\d{2}:?\d{2})?/.exec(line);
  if (m) {
    const zone = m[8] === 'Z' ? 0 : m[8] ? offsetMinutes(m[8]) : hostOffset;
    const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
    return utc(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms, zone);
  }
  m = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})/.exec(line);
  if (m && MONTHS.includes(m[1]!)) {
    const month = MONTHS.indexOf(m[1]!);
    // syslog writes no year: this year, unless that is in the future (a December line read in January).
    let year = now.getUTCFullYear();
    if (utc(year, month, +m[2]!, +m[3]!, +m[4]!, +m[5]!, 0, hostOffset) > now.getTime() + 86_400_000) year--;
    return utc(year, month, +m[2]!, +m[3]!, +m[4]!, +m[5]!, 0, hostOffset);
  }
  m = /\[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})\]/.exec(line);
  if (m && MONTHS.includes(m[2]!)) return utc(+m[3]!, MONTHS.indexOf(m[2]!), +m[1]!, +m[4]!, +m[5]!, +m[6]!, 0, offsetMinutes(m[7]));
  return undefined;
}

/** Text from a host, made safe to show: secrets masked, control characters escaped, line breaks escaped too. */
export function safeLogText(text: string, redactor: Redactor): string {
  return safeHostText(redactor.redact(text)).replace(/\n/g, '\\n');
}

/**
 * A file's lines (several files' lines one after the other, as `tail -q` prints them) as LogLines: a
 * line without a time of its own (a stack trace's continuation) takes the time of the line before it.
 */
export function fileLines(host: string, lines: string[], hostOffset: number, redactor: Redactor, now = new Date()): LogLine[] {
  let last: number | undefined;
  return lines.map((line) => {
    const time = fileLineTime(line, hostOffset, now) ?? last;
    last = time;
    return { host, ...(time === undefined ? {} : { time }), text: safeLogText(line, redactor) };
  });
}

/**
 * The lines of several hosts in time order. The sort is stable: a host's own lines keep their order
 * when their times are equal or unknown, and a line with no time at all comes before every timed one.
 */
export function interleave(perHost: LogLine[][]): LogLine[] {
  return perHost.flat().sort((a, b) => (a.time ?? -Infinity) - (b.time ?? -Infinity) || 0);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** An instant as journalctl's short-iso shows it, in the local time of the machine showing it: `2025-06-01T12:00:00+0000`. */
export function isoLocal(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `${sign}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
}
