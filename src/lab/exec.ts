// Runs the system tools the lab is made of (ip, mmdebstrap, apt-get, ssh-keygen…) and turns a failure
// into a LabError that names the command and shows the end of its output.
import { spawn } from 'node:child_process';
import { LabError } from './errors.ts';

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Return the result instead of throwing when the command exits non-zero. */
  allowFail?: boolean;
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(new LabError(e.code === 'ENOENT' ? `command not found: ${cmd}` : `${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      const result = { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (code === 0 || opts.allowFail) return resolve(result);
      const why = signal ? `killed by ${signal}` : `exit code ${code}`;
      const tail = tailLines(result.stderr || result.stdout, 15);
      reject(new LabError(`${cmd} ${shortArgs(args)} failed (${why})${tail ? `:\n${tail}` : ''}`, tail));
    });
  });
}

/** Runs a command and returns its stdout; throws on failure. */
export async function output(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return (await run(cmd, args, opts)).stdout;
}

function tailLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

function shortArgs(args: readonly string[]): string {
  const s = args.join(' ');
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}
