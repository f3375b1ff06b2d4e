// Shared set-up of the wizard tests that drive its real prompts (@inquirer/testing): answering
// questions, collecting what the wizard prints, host keys made on demand, and runWizard options that
// stay off the network. A test file still imports `screen` from '@inquirer/testing/vitest' itself,
// first, so that the prompts are mocked before the wizard is loaded.
import { screen } from '@inquirer/testing/vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { WizardOptions } from '../../src/cli/wizard/index.ts';
import type { RunOutcome, RunRequest } from '../../src/cli/wizard/run.ts';

/** A stream that keeps everything written to it; `text()` is all of it so far. */
export function collector(): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { out, text: () => text };
}

/** Waits for the first question: the wizard may reach it synchronously or after a few awaits. */
export async function firstPrompt(): Promise<void> {
  if (!screen.getScreen()) await screen.next();
}

/** Types `text` (nothing: take the default) and presses Enter; resolves when the screen has changed. */
export async function answer(text: string): Promise<void> {
  if (text) screen.type(text);
  screen.keypress('enter');
  await screen.next();
}

/** Erases the `previous` answer still in the field, then answers `text`. */
export async function clearAndAnswer(previous: string, text: string): Promise<void> {
  for (let i = 0; i < previous.length; i++) screen.keypress('backspace');
  await answer(text);
}

let keyDir: string | undefined;

/** The public host key (the key blob) of host `name`: made on first use, the same key after that. */
export function hostKey(name: string): Buffer {
  keyDir ??= mkdtempSync(path.join(tmpdir(), 'scaleup-wizard-keys-'));
  const file = path.join(keyDir, name);
  if (!existsSync(file)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  return Buffer.from(readFileSync(`${file}.pub`, 'utf8').split(' ')[1]!, 'base64');
}

/**
 * runWizard options for a world without hosts: each host presents hostKey(its name), and each run the
 * wizard starts is recorded in `runs` and, instead of planning and applying, ends as the next of
 * `outcomes` says (succeeds once they are used up).
 */
export function offlineOptions(runs: RunRequest[], outcomes: RunOutcome[] = []): Pick<WizardOptions, 'scanHostKey' | 'planAndApply'> {
  return {
    scanHostKey: async (target) => hostKey(target.name),
    planAndApply: async (_ctx, request) => {
      runs.push(request);
      return outcomes.shift() ?? { code: 0 };
    },
  };
}
