// The lines `-vv` and `-vvv` add to the plain output: each step's probe and decision, each
// connection's setup, each command with its round-trip time. One line per fact, the host in each.
// The engine made every text safe already (trace.ts); it is escaped again here all the same.
import { safeHostLine as line } from '../../core/host-text.ts';
import type { ConnectionSetup, TraceEvent } from '../../core/trace.ts';
import type { palette } from './style.ts';

type Palette = ReturnType<typeof palette>;

/** How much a run shows: 0 changes only, 1 every step (-v), 2 probes and decisions (-vv), 3 commands and connections (-vvv). */
export type Verbosity = 0 | 1 | 2 | 3;

/** The verbosity a trace event needs to be shown. */
export function traceLevel(event: TraceEvent): Verbosity {
  return event.type === 'trace-decision' ? 2 : 3;
}

export function milliseconds(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

function describeSetup(s: ConnectionSetup): string {
  const where = `${line(s.address)}:${s.port} as ${line(s.user)}${s.via ? ` via ${line(s.via)}` : ''}`;
  const link = {
    direct: `new SSH connection to ${where}`,
    'kept-new': `new SSH connection to ${where}, opened by the connection keeper (kept for the next run)`,
    'kept-reused': `kept SSH connection to ${where} reused (no handshake)`,
  }[s.link];
  const key = {
    verified: 'host key verified against known_hosts',
    pinned: 'host key new: pinned in known_hosts (--accept-new-host-keys)',
    'verified-by-keeper': 'host key verified against known_hosts when the link was opened',
  }[s.hostKey];
  return `${link}, ${key}`;
}

/** The lines of one trace event, each ending in a newline. */
export function traceLines(event: TraceEvent, c: Palette): string {
  switch (event.type) {
    case 'trace-connection': {
      const setup = event.setup ? describeSetup(event.setup) : 'connected';
      return `${c.dim('connect')}: ${line(event.host)} | ${setup}, become: ${event.become} (${milliseconds(event.connectMs)})\n`;
    }
    case 'trace-command': {
      const outcome = event.error !== undefined ? `error: ${line(event.error)}` : event.lock ? 'lock held' : `exit ${event.exitCode ?? 'none'}`;
      const how = [
        milliseconds(event.roundTripMs),
        outcome,
        ...(event.become ? ['sudo'] : []),
        ...(event.stdinBytes !== undefined ? [`stdin ${event.stdinBytes} bytes not shown`] : []),
      ].join(', ');
      return `${c.dim('command')}: ${line(event.host)} | ${how} | ${line(event.command)}\n`;
    }
    case 'trace-decision': {
      const label = `${line(event.host)} | ${line(event.role)} | ${line(event.step)}`;
      const answer = `exit ${event.answer.exitCode}${event.answer.output ? `, "${line(event.answer.output)}"` : ', no output'}`;
      const decision = event.changes.length
        ? `${event.changes.length} change(s): ${event.changes.map(line).join('; ')}`
        : 'ok: converged (the answer matches what the step wants; nothing to change)';
      return `${c.dim('probe')}: ${label}: ${line(event.probe)}\n` +
        `${c.dim('decision')}: ${label}: answered ${answer} → ${decision}\n`;
    }
  }
}
