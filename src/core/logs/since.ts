// `provision logs --since`: the forms journalctl takes (systemd.time(7)) that scaleup also reads itself,
// for hosts whose logs are files: checked before anything connects, so a typo is a clear error rather
// than each host's journalctl refusing it.
import { InventoryError } from '../errors.ts';

const UNITS: Record<string, number> = {
  us: 1e-3, usec: 1e-3, ms: 1, msec: 1,
  s: 1000, sec: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
};
const SPAN = new RegExp(`^(\\d+)\\s*(${Object.keys(UNITS).sort((a, b) => b.length - a.length).join('|')})`);
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Milliseconds of a span like `1h 30min`, or undefined when it is not one. */
function spanMs(text: string): number | undefined {
  let rest = text.trim();
  if (rest === '') return undefined;
  let total = 0;
  while (rest !== '') {
    const m = SPAN.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
    rest = rest.slice(m[0].length).trimStart();
  }
  return total;
}

function startOfDay(now: Date, days: number): number {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() + days).getTime();
}

/**
 * The instant `text` names, in ms since the epoch, read as journalctl does (a date or time without a
 * zone in local time); undefined when it is not a form scaleup accepts.
 */
export function sinceInstant(text: string, now = new Date()): number | undefined {
  const t = text.trim();
  if (t === 'now') return now.getTime();
  if (t === 'today') return startOfDay(now, 0);
  if (t === 'yesterday') return startOfDay(now, -1);
  if (/^@\d+$/.test(t)) return Number(t.slice(1)) * 1000;
  if (t.startsWith('-') || t.startsWith('+')) {
    const span = spanMs(t.slice(1));
    return span === undefined ? undefined : now.getTime() + (t.startsWith('-') ? -span : span);
  }
  if (t.endsWith(' ago')) {
    const span = spanMs(t.slice(0, -4));
    return span === undefined ? undefined : now.getTime() - span;
  }
  const d = DATE.exec(t);
  if (d) {
    const [, y, mo, day, h = '0', mi = '0', s = '0'] = d;
    const at = new Date(Number(y), Number(mo) - 1, Number(day), Number(h), Number(mi), Number(s));
    return at.getMonth() === Number(mo) - 1 && Number(h) < 24 && Number(mi) < 60 && Number(s) < 60 ? at.getTime() : undefined;
  }
  const tm = TIME.exec(t);
  if (tm) {
    const [, h, mi, s = '0'] = tm;
    if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
    return new Date(now.getFullYear(), now.getMonth(), now.getDate(), Number(h), Number(mi), Number(s)).getTime();
  }
  return undefined;
}

/** `--since` as given, checked (an InventoryError naming the flag and the accepted forms otherwise). */
export function checkedSince(text: string): string {
  if (sinceInstant(text) === undefined) {
    throw new InventoryError(
      `'${text}' is not a time journalctl and scaleup both read: use e.g. '2025-06-01 12:00', '12:00', today, yesterday, '-1h', '30min ago' or @EPOCH`,
      { file: '(command line)', field: '--since' },
    );
  }
  // journalctl's own form: a space, not ISO's T, between date and time (older journalctl refuses T).
  return text.trim().replace(/^(\d{4}-\d{2}-\d{2})T/, '$1 ');
}
