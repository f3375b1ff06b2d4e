// Runs commands for the benchmark: wall time from spawn to exit (measured here), peak RSS and
// user+sys CPU from GNU time (`/usr/bin/time -f`), output to a log file. stdio goes to files, not
// pipes, and the end is the child's `exit`, not `close`: Ansible's ControlPersist masters inherit
// the child's stdio and outlive it, and would hold a pipe open for minutes.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

export interface Sample {
  /** Spawn to exit, measured by this process. */
  wallMs: number;
  /** Peak resident set size of the largest process of the tree (GNU time %M, from wait4's rusage). */
  rssKb: number;
  /** User + system CPU seconds of the command and every child it waited for. */
  cpuS: number;
  exitCode: number;
  log: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** File that receives stdout and stderr. */
  log: string;
}

export const TIME = '/usr/bin/time';

function spawnToExit(cmd: string, args: string[], options: RunOptions): Promise<{ exitCode: number; wallMs: number }> {
  mkdirSync(path.dirname(options.log), { recursive: true });
  const fd = openSync(options.log, 'a');
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', fd, fd] });
    child.on('error', (err) => {
      closeSync(fd);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      const wallMs = performance.now() - started;
      closeSync(fd);
      resolve({ exitCode: code ?? (signal ? 128 : 1), wallMs });
    });
  });
}

/** Runs `cmd args` under GNU time and returns one sample. Never throws on a non-zero exit. */
export async function measure(cmd: string, args: string[], options: RunOptions): Promise<Sample> {
  const stats = `${options.log}.time`;
  rmSync(stats, { force: true });
  const { exitCode, wallMs } = await spawnToExit(TIME, ['-f', '%M %U %S', '-o', stats, cmd, ...args], options);
  // GNU time prints "Command exited with non-zero status N" first when the command failed.
  const line = readFileSync(stats, 'utf8').trim().split('\n').at(-1) ?? '';
  const [rss, user, sys] = line.split(' ').map(Number);
  return { wallMs, rssKb: rss ?? NaN, cpuS: (user ?? NaN) + (sys ?? NaN), exitCode, log: options.log };
}

/** Runs a command that is not measured (lab up, resets…); returns its exit code. */
export async function run(cmd: string, args: string[], options: RunOptions): Promise<number> {
  return (await spawnToExit(cmd, args, options)).exitCode;
}

/** Like run(), but fails the benchmark with the log's tail when the command fails. */
export async function mustRun(cmd: string, args: string[], options: RunOptions): Promise<void> {
  const code = await run(cmd, args, options);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}; see ${options.log}:\n${tail(options.log)}`);
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Summary {
  runs: number;
  wallMs: number;
  minWallMs: number;
  maxWallMs: number;
  rssMb: number;
  cpuS: number;
}

/** Medians (and the wall range) of a set of samples. */
export function summarize(samples: Sample[]): Summary {
  const walls = samples.map((s) => s.wallMs);
  return {
    runs: samples.length,
    wallMs: median(walls),
    minWallMs: Math.min(...walls),
    maxWallMs: Math.max(...walls),
    rssMb: median(samples.map((s) => s.rssKb)) / 1024,
    cpuS: median(samples.map((s) => s.cpuS)),
  };
}
