// Starts the CLI as a person or CI does, a process with no terminal, and collects what it said.
// It runs the bundle test/unit/global-setup.ts built (what bin/provision.js runs once `npm run build`
// is fresh). Its time limits are budgets per CLI start (test/unit/budgets.ts).
import { spawn } from 'node:child_process';
import { inject } from 'vitest';
import { packageRoot as projectRoot } from '../../src/package-root.ts';
import { budget, CLI_START_MS } from './budgets.ts';

/** The time limit of a test that starts the CLI `starts` times. */
export const cliBudget = (starts: number): number => budget({ cliStarts: starts });

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `provision ARGS…` without a terminal (CI=true, stdin empty), from the project folder. Connections
 * are never kept (SCALEUP_SSH_PERSIST=0): no keeper process outlives a test.
 */
export function provision(args: string[], options: { env?: Record<string, string>; cwd?: string; uid?: number } = {}): Promise<CliResult> {
  const broken = inject('cliBuildError');
  if (broken) return Promise.reject(new Error(`the CLI could not be bundled: ${broken}`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [inject('cliEntry'), ...args], {
      cwd: options.cwd ?? projectRoot, env: { ...process.env, CI: 'true', SCALEUP_SSH_PERSIST: '0', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'], timeout: CLI_START_MS, killSignal: 'SIGKILL',
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal) reject(new Error(`provision ${args.join(' ')}: killed by ${signal} after ${CLI_START_MS / 1000} s\n${stderr}`));
      else resolve({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}
