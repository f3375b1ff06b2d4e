// An ad-hoc command (Ansible's `ansible -m shell`, pyinfra's `exec`): one shell command line on many
// hosts at once, each host's outcome kept apart. What a host sends back is made safe here (secrets
// redacted, control characters escaped), before anyone shows or stores it.
import { parallel } from './batches.ts';
import type { Connection } from './connection/connection.ts';
import { ScaleupError, StepError } from './errors.ts';
import { safeHostLine, safeHostText } from './host-text.ts';
import type { Host } from './model.ts';
import type { Redactor } from './secret.ts';

export type AdHocStatus = 'ok' | 'failed' | 'unreachable';

export interface AdHocResult {
  host: string;
  /** ok: exit 0; failed: another exit code, a signal or a timeout; unreachable: no connection or lost. */
  status: AdHocStatus;
  exitCode: number | null;
  /** Redacted and escaped (safeHostText). */
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Why the host is unreachable or the command did not finish, one safe line. */
  error?: string;
}

export interface AdHocOptions {
  hosts: Host[];
  command: string;
  connect: (host: Host) => Promise<Connection>;
  redactor: Redactor;
  forks: number;
  timeoutMs: number;
  /** Called as each host finishes, in the order they finish. */
  onResult?: (result: AdHocResult) => void;
}

/** Runs `command` on every host, `forks` at a time; resolves with one result per host, in host order. */
export async function runAdHoc(options: AdHocOptions): Promise<AdHocResult[]> {
  const { redactor } = options;
  const clean = (text: string) => safeHostText(redactor.redact(text));
  const results = new Map<string, AdHocResult>();
  await parallel(options.hosts, options.forks, async (host) => {
    const started = performance.now();
    const done = (r: Omit<AdHocResult, 'host' | 'durationMs'>) => {
      const result = { host: host.name, ...r, durationMs: Math.round(performance.now() - started) };
      results.set(host.name, result);
      options.onResult?.(result);
    };
    let conn: Connection;
    try {
      conn = await options.connect(host);
    } catch (err) {
      if (!(err instanceof ScaleupError)) throw err;
      return done({ status: 'unreachable', exitCode: null, stdout: '', stderr: '', error: safeHostLine(redactor.redact(err.message)) });
    }
    try {
      const out = await conn.exec(options.command, { timeoutMs: options.timeoutMs });
      done({ status: out.exitCode === 0 ? 'ok' : 'failed', exitCode: out.exitCode, stdout: clean(out.stdout), stderr: clean(out.stderr) });
    } catch (err) {
      if (!(err instanceof ScaleupError)) throw err;
      // A timeout is the command's failure; a dropped link is the host's.
      const status = err instanceof StepError ? 'failed' : 'unreachable';
      done({ status, exitCode: null, stdout: '', stderr: '', error: safeHostLine(redactor.redact(err.message)) });
    } finally {
      await conn.close();
    }
  });
  return options.hosts.map((h) => results.get(h.name)!);
}

/** How many hosts ended each way. */
export function adHocTotals(results: AdHocResult[]): Record<AdHocStatus, number> {
  const totals = { ok: 0, failed: 0, unreachable: 0 };
  for (const r of results) totals[r.status]++;
  return totals;
}
