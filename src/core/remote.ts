// The Remote a step's apply() gets: a Connection plus redaction and failure context.
import type { Connection } from './connection/connection.ts';
import { StepError } from './errors.ts';
import { quote } from './quote.ts';
import type { Redactor } from './secret.ts';
import type { ExecResult, Remote } from './steps/step.ts';

export function remoteFor(conn: Connection, redactor: Redactor, stepTimeoutMs?: number): Remote {
  const exec = (command: string, options: { stdin?: string | Buffer; timeoutMs?: number } = {}): Promise<ExecResult> =>
    conn.exec(command, { ...options, timeoutMs: options.timeoutMs ?? stepTimeoutMs });
  return {
    exec,
    async run(command, options) {
      const result = await exec(command, options);
      if (result.exitCode !== 0) {
        const stderr = redactor.redact(result.stderr.trim() || result.stdout.trim()).split('\n').slice(-8).join('\n');
        const shown = redactor.redact(command.length > 300 ? command.slice(0, 300) + '…' : command);
        throw new StepError(`command failed (exit ${result.exitCode}): ${shown}${stderr ? `\n${stderr}` : ''}`, {
          command: shown, exitCode: result.exitCode, stderr,
        });
      }
      return result;
    },
    async upload(content, path) {
      await this.run(`cat > ${quote(path)}`, { stdin: content });
    },
  };
}
