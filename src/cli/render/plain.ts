// One line per event, the host in every line, no ANSI codes: for CI logs and pipes.
// The engine hands out results already made safe (shown-text.ts); every text is escaped here again
// anyway, the last line of defence against a host's escape sequences reaching the terminal.
import { safeHostLine as line, safeHostText as text } from '../../core/host-text.ts';
import type { EventSink } from '../../core/results.ts';
import { palette } from './style.ts';
import { traceLevel, traceLines, type Verbosity } from './trace-lines.ts';

export function plainRenderer(options: {
  color: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  /** -v: every step; -vv, -vvv: the run's trace as well (trace-lines.ts). */
  verbosity?: Verbosity;
}): EventSink {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const c = palette(options.color);
  const verbosity = options.verbosity ?? 0;
  return (event) => {
    switch (event.type) {
      case 'trace-connection':
      case 'trace-command':
      case 'trace-decision':
        if (verbosity >= traceLevel(event)) out.write(traceLines(event, c));
        break;
      case 'play':
        out.write(`${c.bold(`PLAY ${line(event.name)}`)} [${event.hosts.map(line).join(', ')}]\n`);
        break;
      case 'step': {
        const r = event.result;
        const label = line(`${r.host} | ${r.role} | ${r.handler ? 'handler ' : ''}${r.step}`);
        if (r.status === 'failed') {
          err.write(`${c.failed('failed')}: ${label}: ${text(r.error ?? '')}\n`);
        } else if (r.status === 'changed') {
          out.write(`${c.changed('changed')}: ${label}${r.changes ? ` (${r.changes.map(line).join('; ')})` : ''}\n`);
          if (r.diff) out.write(text(r.diff.endsWith('\n') ? r.diff : r.diff + '\n'));
        } else if (verbosity >= 1 || r.status === 'skipped') {
          out.write(`${c[r.status](r.status)}: ${label}\n`);
        }
        break;
      }
      case 'host-unreachable':
        err.write(`${c.failed('unreachable')}: ${line(event.host)}: ${text(event.error)}\n`);
        break;
      default:
        break;
    }
  };
}
