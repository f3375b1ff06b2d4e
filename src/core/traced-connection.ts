// A Connection that reports every command it sends (`-vvv`): what was sent (redacted, shortened), how
// many bytes went on stdin, through sudo or not, the exit code and the round-trip time. The run puts
// it around a host's connection only when it traces commands; otherwise commands go out untouched.
import type { Connection } from './connection/connection.ts';
import type { Host } from './model.ts';
import type { EventSink } from './results.ts';
import type { Redactor } from './secret.ts';
import type { ExecResult } from './steps/step.ts';
import { tracedText } from './trace.ts';

export function tracedConnection(conn: Connection, host: Host, emit: EventSink, redactor: Redactor): Connection {
  const sudo = (become: boolean | undefined) => (become ?? host.become) && host.user !== 'root';
  const report = (command: string, started: number, extra: { stdin?: string | Buffer; become: boolean; lock?: boolean }, outcome: { exitCode?: number | null; error?: unknown }) => {
    emit({
      type: 'trace-command',
      host: host.name,
      command: tracedText(command, redactor),
      ...(extra.stdin !== undefined ? { stdinBytes: Buffer.byteLength(extra.stdin) } : {}),
      become: extra.become,
      ...(extra.lock ? { lock: true } : {}),
      ...('exitCode' in outcome ? { exitCode: outcome.exitCode } : {}),
      ...(outcome.error !== undefined ? { error: tracedText(outcome.error instanceof Error ? outcome.error.message : String(outcome.error), redactor) } : {}),
      roundTripMs: performance.now() - started,
    });
  };
  const traced: Connection = {
    get hostName() {
      return conn.hostName;
    },
    get roundTrips() {
      return conn.roundTrips;
    },
    get reused() {
      return conn.reused;
    },
    get setup() {
      return conn.setup;
    },
    async exec(command, options = {}): Promise<ExecResult> {
      const started = performance.now();
      const extra = { stdin: options.stdin, become: sudo(options.become) };
      try {
        const result = await conn.exec(command, options);
        report(command, started, extra, { exitCode: result.exitCode });
        return result;
      } catch (err) {
        report(command, started, extra, { error: err });
        throw err;
      }
    },
    close: () => conn.close(),
  };
  if (conn.lock) {
    const lock = conn.lock.bind(conn);
    traced.lock = async (holder, thenRun) => {
      const started = performance.now();
      // The lock script is long and always the same; what runs under it (the facts) is the news.
      const shown = thenRun === undefined ? 'take the run lock' : `take the run lock, then: ${thenRun}`;
      const extra = { become: sudo(undefined), lock: true };
      try {
        const output = await lock(holder, thenRun);
        report(shown, started, extra, { exitCode: 0 });
        return output;
      } catch (err) {
        report(shown, started, extra, { error: err });
        throw err;
      }
    };
  }
  return traced;
}
