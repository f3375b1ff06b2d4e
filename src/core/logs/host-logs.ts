// One host's logs: the last lines of its services (journal or files, by its init system), and then,
// for `-f`, the lines that come after them. Returns values and throws typed errors; prints nothing.
import type { Connection, FollowedCommand } from '../connection/connection.ts';
import { ConnectError, StepError } from '../errors.ts';
import type { Facts } from '../facts/facts.ts';
import { safeHostLine } from '../host-text.ts';
import type { LogSource } from '../role.ts';
import type { Redactor } from '../secret.ts';
import { fileLines, offsetMinutes, parseJournalEntry, safeLogText, type LogLine } from './log-lines.ts';
import { filesFollowScript, filesScript, journalFollowScript, journalScript, splitMarked } from './log-script.ts';

export interface LogsQuery {
  lines: number;
  /** journalctl's form (checked), and the instant it names, for files. */
  since?: { text: string; ms: number };
  redactor: Redactor;
  marker: string;
}

/** Where to go on from when following: the journal's cursor, or the files' host time zone. */
export type ResumePoint =
  | { kind: 'journal'; units: string[]; cursor?: string }
  | { kind: 'files'; files: string[]; offset: number };

export interface HostLogs {
  lines: LogLine[];
  resume: ResumePoint;
}

/** The units (systemd) or files (elsewhere) of `sources` on a host with these facts; a StepError when there are none. */
function what(host: string, facts: Facts, sources: LogSource[]): { units: string[] } | { files: string[] } {
  if (facts.initSystem === 'systemd') return { units: [...new Set(sources.map((s) => s.unit))] };
  const files = [...new Set(sources.flatMap((s) => s.files ?? []))];
  if (!files.length) {
    throw new StepError(`no systemd journal on this host, and no log file is declared for ${sources.map((s) => s.unit).join(', ')}`, { host });
  }
  return { files };
}

/** The last lines of `sources` on the host (ConnectError: the link dropped; StepError: no such unit, journalctl failed). */
export async function readHostLogs(conn: Connection, facts: Facts, sources: LogSource[], q: LogsQuery): Promise<HostLogs> {
  const host = conn.hostName;
  const target = what(host, facts, sources);
  if ('units' in target) {
    const out = await conn.exec(journalScript({ units: target.units, lines: q.lines, since: q.since?.text, marker: q.marker }));
    if (out.exitCode !== 0) throw new StepError(`journalctl failed: ${safeHostLine(q.redactor.redact(out.stderr.trim())) || `exit ${out.exitCode}`}`, { host });
    const { marks, lines } = splitMarked(out.stdout, q.marker);
    const entries = lines.map(parseJournalEntry).filter((e) => e !== undefined);
    if (!entries.length) {
      const missing = marks.filter(([k, v]) => k === 'unit' && / not-found$/.test(v)).map(([, v]) => v.split(' ')[0]!);
      if (missing.length) throw new StepError(`no unit ${missing.map(safeHostLine).join(', ')} on this host`, { host });
    }
    return {
      lines: entries.map((e) => ({ host, ...(e.time === undefined ? {} : { time: e.time }), text: safeLogText(e.text, q.redactor), showTime: true })),
      resume: { kind: 'journal', units: target.units, cursor: entries.at(-1)?.cursor },
    };
  }
  const out = await conn.exec(filesScript({ files: target.files, lines: q.lines, marker: q.marker }));
  const { marks, lines } = splitMarked(out.stdout, q.marker);
  if (out.exitCode !== 0) throw new StepError(`tail failed: ${safeHostLine(q.redactor.redact(out.stderr.trim())) || `exit ${out.exitCode}`}`, { host });
  const found = marks.filter(([k]) => k === 'file').map(([, v]) => v);
  if (!found.length) throw new StepError(`none of ${target.files.join(', ')} exists on this host`, { host });
  const offset = offsetMinutes(marks.find(([k]) => k === 'tz')?.[1]);
  const all = fileLines(host, lines, offset, q.redactor);
  return {
    lines: q.since ? all.filter((l) => l.time === undefined || l.time >= q.since!.ms) : all,
    resume: { kind: 'files', files: found, offset },
  };
}

/**
 * Follows the host's logs from where `resume` left them: every complete line to `onLine` as it comes,
 * until stop() (which ends the remote reader too).
 */
export async function followHostLogs(conn: Connection, resume: ResumePoint, q: LogsQuery, onLine: (line: LogLine) => void): Promise<FollowedCommand> {
  const host = conn.hostName;
  if (!conn.follow) throw new ConnectError(host, 'this connection cannot follow a command');
  let pending = '';
  let last: number | undefined;
  const take = (line: string) => {
    if (resume.kind === 'journal') {
      const entry = parseJournalEntry(line);
      // journalctl's own messages (stderr, merged) are shown as they are.
      const text = entry ? entry.text : line;
      if (entry?.time !== undefined) last = entry.time;
      return onLine({ host, ...(last === undefined ? {} : { time: entry?.time ?? last }), text: safeLogText(text, q.redactor), showTime: Boolean(entry) });
    }
    const [l] = fileLines(host, [line], resume.offset, q.redactor);
    if (l!.time !== undefined) last = l!.time;
    onLine({ ...l!, ...(last === undefined ? {} : { time: l!.time ?? last }) });
  };
  const script = resume.kind === 'journal' ? journalFollowScript(resume.units, resume.cursor) : filesFollowScript(resume.files);
  return conn.follow(script, (text) => {
    pending += text;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      take(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
}
