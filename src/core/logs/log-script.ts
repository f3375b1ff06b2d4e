// The shell scripts `provision logs` sends: the journal of some units (hosts with systemd), or the tail
// of some files (hosts without). A line scaleup adds starts with a marker drawn at random per run,
// so no log line can pass for one. A followed script ends when its stdin closes (Connection.follow):
// the reader runs in the background and the shell waits on stdin, then ends it — closing an SSH
// channel does not signal the remote process, and `journalctl -f` would otherwise run on for ever.
import { randomBytes } from 'node:crypto';
import { quote } from '../quote.ts';

/** What unit names journalctl takes (systemd.unit(5)): letters, digits and `:-_.\@`. */
export const UNIT_NAME = /^[A-Za-z0-9:_.@\\-]+$/;

export function newMarker(): string {
  return `#scaleup-${randomBytes(8).toString('hex')}`;
}

export interface JournalQuery {
  units: string[];
  lines: number;
  /** Already checked (since.ts). */
  since?: string;
  marker: string;
}

/** The last `lines` entries of the units as JSON lines, then one `MARKER unit NAME LOADSTATE` line per unit. */
export function journalScript(q: JournalQuery): string {
  const units = q.units.map((u) => `-u ${quote(u)}`).join(' ');
  const since = q.since ? ` --since ${quote(q.since)}` : '';
  return [
    `journalctl --no-pager -q -o json -n ${q.lines}${since} ${units}; rc=$?`,
    `for u in ${q.units.map(quote).join(' ')}; do printf '%s unit %s %s\\n' ${quote(q.marker)} "$u" "$(systemctl show -p LoadState --value -- "$u" 2>/dev/null)"; done`,
    'exit $rc',
  ].join('\n');
}

/** Until stdin closes: the units' new entries, after `cursor` (the last one shown) when there was one. */
export function journalFollowScript(units: string[], cursor: string | undefined): string {
  const from = cursor ? `--after-cursor ${quote(cursor)}` : '-n 0';
  return followed(`journalctl --no-pager -q -o json -f ${from} ${units.map((u) => `-u ${quote(u)}`).join(' ')}`);
}

export interface FilesQuery {
  files: string[];
  lines: number;
  marker: string;
}

const existingFiles = (files: string[]) => `set --; for f in ${files.map(quote).join(' ')}; do [ -f "$f" ] && set -- "$@" "$f"; done`;

/** `MARKER tz +0000`, one `MARKER file PATH` per file that exists, then the last `lines` lines of each. */
export function filesScript(q: FilesQuery): string {
  return [
    existingFiles(q.files),
    `printf '%s tz %s\\n' ${quote(q.marker)} "$(date +%z)"`,
    `for f in "$@"; do printf '%s file %s\\n' ${quote(q.marker)} "$f"; done`,
    '[ $# -gt 0 ] || exit 0',
    `exec tail -q -n ${q.lines} -- "$@"`,
  ].join('\n');
}

/** Until stdin closes: the lines added to the files that exist (followed by name, across rotation). */
export function filesFollowScript(files: string[]): string {
  return `${existingFiles(files)}\nif [ $# -eq 0 ]; then exec cat >/dev/null; fi\n${followed('tail -q -n 0 -F -- "$@"')}`;
}

/** `command` (one simple command) in the background, its stderr with its stdout, ended when stdin closes. */
function followed(command: string): string {
  return `${command} 2>&1 &\np=$!\ncat >/dev/null\nkill $p 2>/dev/null\nwait $p 2>/dev/null\nexit 0`;
}

/** The marker lines of a script's output, split from the rest: `[kind, value]` pairs and the other lines. */
export function splitMarked(output: string, marker: string): { marks: [string, string][]; lines: string[] } {
  const marks: [string, string][] = [];
  const lines: string[] = [];
  const all = output.endsWith('\n') ? output.slice(0, -1).split('\n') : output === '' ? [] : output.split('\n');
  for (const line of all) {
    if (line.startsWith(`${marker} `)) {
      const rest = line.slice(marker.length + 1);
      const space = rest.indexOf(' ');
      marks.push(space < 0 ? [rest, ''] : [rest.slice(0, space), rest.slice(space + 1)]);
    } else {
      lines.push(line);
    }
  }
  return { marks, lines };
}
