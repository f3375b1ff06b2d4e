// One shell that stays up and runs script after script read from its stdin, so that a property
// test can put a hundred cases through a real shell without starting a hundred processes. Each
// script's output is framed by a NUL byte, which no case may contain (no argument can hold one).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { PROCESS_MS } from './budgets.ts';

export class ShellSession {
  #child: ChildProcessWithoutNullStreams | undefined;
  #out: Buffer[] = [];
  #err = '';
  #waiting: { resolve: (out: string) => void; reject: (err: Error) => void } | undefined;

  constructor(readonly shell = 'sh') {}

  #start(): ChildProcessWithoutNullStreams {
    const child = spawn(this.shell, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#out = [];
    this.#err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      this.#out.push(chunk);
      const all = Buffer.concat(this.#out);
      const end = all.indexOf(0);
      if (end < 0) return;
      this.#out = [all.subarray(end + 1)];
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.resolve(all.subarray(0, end).toString('utf8'));
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (this.#err += c));
    // A script the shell cannot parse ends a non-interactive shell: the case fails, the next one gets a new shell.
    child.on('close', (code, signal) => {
      if (this.#child === child) this.#child = undefined;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.reject(new Error(`${this.shell} ended (${signal ?? `exit ${code}`}) running the script: ${this.#err.trim()}`));
    });
    child.stdin.on('error', () => {});
    return child;
  }

  /** The stdout of `script`, run in this shell (its variables and functions stay for the next one). */
  run(script: string): Promise<string> {
    if (this.#waiting) throw new Error('ShellSession.run: one script at a time');
    const child = (this.#child ??= this.#start());
    return new Promise((resolve, reject) => {
      // A script with an unterminated quote would leave the shell reading on: that is a hang, and
      // is reported as one long before the test's own limit, which counts many scripts.
      const hang = setTimeout(() => {
        this.#waiting = undefined;
        if (this.#child === child) this.#child = undefined;
        child.kill('SIGKILL');
        reject(new Error(`${this.shell} gave no answer in ${PROCESS_MS / 1000} s: still reading the script (an unterminated quote?)`));
      }, PROCESS_MS);
      this.#waiting = {
        resolve: (out) => (clearTimeout(hang), resolve(out)),
        reject: (err) => (clearTimeout(hang), reject(err)),
      };
      child.stdin.write(`${script}\nprintf '\\000'\n`);
    });
  }

  close(): void {
    this.#child?.stdin.end();
    this.#child = undefined;
  }
}
