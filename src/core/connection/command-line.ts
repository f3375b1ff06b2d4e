// What the engine sends for one command, whichever transport carries it: the command line (never a
// login shell; `sudo -n` so a missing rule fails fast) and its stdin (the sudo password first, if any).
import type { Host } from '../model.ts';
import { quote } from '../quote.ts';
import { Secret } from '../secret.ts';

function becomePassword(host: Host): string | undefined {
  const value = host.vars.become_password;
  if (value === undefined || value === null || value === '') return undefined;
  return value instanceof Secret ? value.reveal() : String(value);
}

function usesSudo(host: Host, become: boolean): boolean {
  return become && host.user !== 'root';
}

export function commandLine(host: Host, command: string, become = host.become): string {
  const sh = `sh -c ${quote(command)}`;
  if (!usesSudo(host, become)) return `exec ${sh}`;
  // With a sudo password (variable `become_password`, from the vault) sudo reads it from the first
  // line of stdin, silently (-p ''); the rest of stdin goes on to the command.
  return becomePassword(host) === undefined ? `sudo -n -H -- ${sh}` : `sudo -S -p '' -H -- ${sh}`;
}

export function commandStdin(host: Host, stdin: string | Buffer | undefined, become = host.become): Buffer | undefined {
  const password = usesSudo(host, become) ? becomePassword(host) : undefined;
  if (password !== undefined) return Buffer.concat([Buffer.from(`${password}\n`), Buffer.from(stdin ?? '')]);
  return stdin === undefined ? undefined : Buffer.from(stdin);
}
