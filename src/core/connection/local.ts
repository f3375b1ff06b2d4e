// Runs commands on the control machine itself through `sh -c`: the same contract as SSH, used
// for `hosts: localhost`-style work and to test steps against a real shell without a network.
import { spawn } from 'node:child_process';
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
      const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode: code }));
      child.stdin.on('error', () => {});
      child.stdin.end(options.stdin ?? '');
    });
  }

  async close(): Promise<void> {}
}
