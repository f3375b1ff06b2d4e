// What the engine sends for one command, whichever transport carries it: the command line (never a
// login shell; `sudo -n` so a missing rule fails fast), its stdin, and — for a host with a sudo
// password — how to answer sudo's prompt (see SudoAnswer and channel-io.ts).
import { randomBytes } from 'node:crypto';
import type { Host } from '../model.ts';
import { quote } from '../quote.ts';
import { Secret } from '../secret.ts';

/**
 * How a channel answers sudo. sudo prints `prompt` on stderr when it wants the password (not when a
 * NOPASSWD rule or a cached credential lets it through); the command then prints `ready` on stderr
 * before it reads anything. The channel sends the password only after the prompt, and the command's
 * stdin only after `ready`: the password never reaches a command's stdin, whether sudo asked for it
 * or not. Both markers are random per process, so no command output is mistaken for them by chance.
 */
export interface SudoAnswer {
  password: string;
  prompt: string;
  ready: string;
}

const MARKER = randomBytes(12).toString('hex');
export const SUDO_PROMPT = `[scaleup-sudo-prompt-${MARKER}]`;
export const SUDO_READY = `[scaleup-sudo-ready-${MARKER}]`;

export interface CommandToSend {
  line: string;
  stdin?: Buffer;
  sudo?: SudoAnswer;
}

function becomePassword(host: Host): string | undefined {
  const value = host.vars.become_password;
  if (value === undefined || value === null || value === '') return undefined;
  return value instanceof Secret ? value.reveal() : String(value);
}

/**
 * Given to the command as `$1` by the login shell, before sudo resets the environment: the SSH session
 * as the host sees it (sshd's SSH_CONNECTION), for the facts, read without a process of their own.
 */
const SESSION_ARG = ' scaleup "$SSH_CONNECTION"';

export function commandToSend(
  host: Host, command: string, stdin?: string | Buffer, become = host.become, options: { sessionArg?: boolean } = {},
): CommandToSend {
  const input = stdin === undefined ? undefined : Buffer.from(stdin);
  const arg = options.sessionArg ? SESSION_ARG : '';
  const sh = `sh -c ${quote(command)}${arg}`;
  const target = host.becomeUser ?? 'root';
  if (!become || host.user === target) return { line: `exec ${sh}`, stdin: input };
  // `-u` only for another user than root, so the line for root stays what sudo rules usually allow.
  const as = target === 'root' ? '' : `-u ${quote(target)} `;
  const password = becomePassword(host);
  if (password === undefined) return { line: `sudo -n -H ${as}-- ${sh}`, stdin: input };
  const announced = `printf '%s\\n' ${quote(SUDO_READY)} >&2; ${command}`;
  return {
    line: `sudo -S -p ${quote(SUDO_PROMPT)} -H ${as}-- sh -c ${quote(announced)}${arg}`,
    stdin: input,
    sudo: { password, prompt: SUDO_PROMPT, ready: SUDO_READY },
  };
}
