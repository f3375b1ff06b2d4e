// Runs commands on the control machine itself through `sh -c`: the same contract as SSH, used
// for `hosts: localhost`-style work and to test steps against a real shell without a network.
import { spawn } from 'node:child_process';
import { StepError } from '../errors.ts';
import type { ExecResult } from '../steps/step.ts';
import type { Connection } from './connection.ts';

export class LocalConnection implements Connection {
  #roundTrips = 0;

  constructor(readonly hostName = 'localhost') {}

  get roundTrips(): number {
    return this.#roundTrips;
  }

  exec(command: string, options: { stdin?: string | Buffer; timeoutMs?: number } = {}): Promise<ExecResult> {
    this.#roundTrips++;
    return new Promise((resolve, reject) => {
      // Its own process group, so that a timeout kills the whole command: killing only `sh` would
      // leave its children holding the pipes open, and the step hanging until they end.
      const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, options.timeoutMs);
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (timedOut) {
          reject(new StepError(`timed out after ${Math.round(options.timeoutMs! / 1000)} s`, { host: this.hostName }));
          return;
        }
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode: code });
      });
      child.stdin.on('error', () => {});
      child.stdin.end(options.stdin ?? '');
    });
  }

  async close(): Promise<void> {}
}
