// The Remote a step's apply() gets: a Connection plus redaction, escaping and failure context.
import type { Connection } from './connection/connection.ts';
import { StepError } from './errors.ts';
import type { Redactor } from './secret.ts';
import { shownText } from './shown-text.ts';
import type { ExecResult, Remote } from './steps/step.ts';

export function remoteFor(conn: Connection, redactor: Redactor, stepTimeoutMs?: number): Remote {
  const exec = (command: string, options: { stdin?: string | Buffer; timeoutMs?: number } = {}): Promise<ExecResult> =>
    conn.exec(command, { ...options, timeoutMs: options.timeoutMs ?? stepTimeoutMs });
  return {
    exec,
    async run(command, options) {
      const result = await exec(command, options);
      if (result.exitCode !== 0) {
        // The host's output is masked and escaped here, where the error is made: a StepError's text is
        // safe to print, store or put in a JUnit file wherever it goes.
        const stderr = shownText(result.stderr.trim() || result.stdout.trim(), redactor).split('\n').slice(-8).join('\n');
        const shown = shownText(command.length > 300 ? command.slice(0, 300) + '…' : command, redactor);
        throw new StepError(`command failed (exit ${result.exitCode}): ${shown}${stderr ? `\n${stderr}` : ''}`, {
          command: shown, exitCode: result.exitCode, stderr,
        });
      }
      return result;
    },
  };
}
