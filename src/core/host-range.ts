// Ansible's host ranges: `web[01:20]` is web01 … web20 (the width of a zero-padded start is kept),
// `db-[a:c]` is db-a, db-b, db-c, `web[01:20:2]` takes every second one. Several ranges in one
// pattern multiply. A problem is reported with the column of its `[` inside the pattern.

/** A range that cannot be expanded: `column` is 0-based within the pattern. */
export class HostRangeError extends Error {
  constructor(
    readonly reason: string,
    readonly column: number,
  ) {
    super(reason);
  }
}

/** Ranges are for a handful of hosts per line; a typo like [1:100000] should not build a huge list. */
export const MAX_RANGE_HOSTS = 10_000;

const RANGE = /\[([^\]]*)\]/;

/** Whether the pattern holds a `[…:…]` range at all. */
export function hasHostRange(pattern: string): boolean {
  return /\[[^\]]*:[^\]]*\]/.test(pattern);
}

/** The host names a pattern stands for; a pattern without a range is itself. */
export function expandHostRange(pattern: string, offset = 0): string[] {
  const m = RANGE.exec(pattern);
  if (!m) {
    if (pattern.includes(']')) throw new HostRangeError('"]" without a matching "["', offset + pattern.indexOf(']'));
    return [pattern];
  }
  const at = offset + m.index;
  const head = pattern.slice(0, m.index);
  if (head.includes('[')) throw new HostRangeError('"[" without a matching "]"', offset + head.indexOf('['));
  const tail = pattern.slice(m.index + m[0].length);
  const values = rangeValues(m[1]!, at);
  const rest = expandHostRange(tail, at + m[0].length);
  const out: string[] = [];
  for (const v of values) {
    for (const r of rest) {
      out.push(head + v + r);
      if (out.length > MAX_RANGE_HOSTS) throw new HostRangeError(`the range gives more than ${MAX_RANGE_HOSTS} hosts`, at);
    }
  }
  return out;
}

function rangeValues(body: string, at: number): string[] {
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new HostRangeError(`bad host range [${body}]: expected [START:END] or [START:END:STEP]`, at);
  }
  const [begin, end, stepText] = parts as [string, string, string | undefined];
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
      throw new HostRangeError(`bad host range [${body}]: the step must be a whole number of at least 1`, at);
    }
    step = Number(stepText);
  }
  if (end === '') throw new HostRangeError(`bad host range [${body}]: the range needs an end`, at);
  if (/^[A-Za-z]$/.test(begin) && /^[A-Za-z]$/.test(end)) {
    const a = begin.charCodeAt(0);
    const b = end.charCodeAt(0);
    if ((begin < 'a') !== (end < 'a')) throw new HostRangeError(`bad host range [${body}]: both letters must have the same case`, at);
    if (a > b) throw new HostRangeError(`bad host range [${body}]: ${begin} comes after ${end}`, at);
    const out: string[] = [];
    for (let c = a; c <= b; c += step) out.push(String.fromCharCode(c));
    return out;
  }
  const start = begin === '' ? '0' : begin;
  if (!/^\d+$/.test(start) || !/^\d+$/.test(end)) {
    throw new HostRangeError(`bad host range [${body}]: use numbers ([01:20]) or single letters ([a:f])`, at);
  }
  const width = start.length > 1 && start.startsWith('0') ? start.length : 0;
  if (width && end.length !== width) {
    throw new HostRangeError(`bad host range [${body}]: a zero-padded start and the end must have the same width`, at);
  }
  const a = Number(start);
  const b = Number(end);
  if (a > b) throw new HostRangeError(`bad host range [${body}]: ${start} is greater than ${end}`, at);
  if ((b - a) / step >= MAX_RANGE_HOSTS) throw new HostRangeError(`the range gives more than ${MAX_RANGE_HOSTS} hosts`, at);
  const out: string[] = [];
  for (let n = a; n <= b; n += step) out.push(String(n).padStart(width, '0'));
  return out;
}
