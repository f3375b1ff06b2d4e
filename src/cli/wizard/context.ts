// What every wizard step is handed: where it runs, where it prints, and the few parts that talk to
// the outside world (host keys, the run, other commands), so tests can replace them.
import { findProjectRoot } from '../../core/project-config.ts';
import path from 'node:path';
import type { Command } from 'commander';
import { palette, useColor } from '../render/style.ts';
import type { RunOutcome, RunRequest } from './run.ts';
import type { ScanTarget } from './host-keys.ts';

export interface WizardOptions {
  /** The project folder (inventory/ and playbooks/ are looked up here). Default: process.cwd(). */
  cwd?: string;
  /** Where the wizard writes what it tells the person (prompts draw themselves). Default: stdout. */
  out?: NodeJS.WritableStream;
  /** Builds the command tree, so the wizard can run `provision verify` exactly as typed. */
  buildProgram?: () => Command;
  /** scrypt work factor for a new passphrase-encrypted secrets file (age's default 18; tests lower it). */
  scryptWorkFactor?: number;
  /** Fetches the public host key a host presents (default: an SSH handshake; tests inject keys). */
  scanHostKey?: (target: ScanTarget) => Promise<Buffer>;
  /** Plans and applies (default: run.ts; tests replace it to stay off the network). */
  planAndApply?: (ctx: WizardContext, request: RunRequest) => Promise<RunOutcome>;
}

export interface WizardContext {
  cwd: string;
  /** Prints one or more lines. */
  say(text?: string): void;
  color: boolean;
  c: ReturnType<typeof palette>;
  /** A path as the person reads it: relative to the project folder when inside it. */
  show(file: string): string;
  options: WizardOptions;
}

export function wizardContext(options: WizardOptions): WizardContext {
  const out = options.out ?? process.stdout;
  const color = options.out ? false : useColor();
  // Started anywhere inside a project, the wizard opens that project (the folder of its scaleup.yml).
  const cwd = options.cwd ?? findProjectRoot(process.cwd()) ?? process.cwd();
  return {
    cwd,
    say: (text = '') => {
      out.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    color,
    c: palette(color),
    show: (file) => {
      const rel = path.relative(cwd, file);
      return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
    },
    options,
  };
}

/** Ctrl-C (or a closed terminal) at a prompt: inquirer rejects with ExitPromptError. */
export function isPromptExit(err: unknown): boolean {
  return err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError');
}
