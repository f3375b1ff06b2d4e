// The numeric flags of every command, checked by commander while it reads the command line: a bad
// value is a usage error naming the flag (exit 1) before an inventory is read or a host contacted.
// `--forks 0` used to run no host at all and exit 0, so a `--check --detailed-exitcode` drift
// check in CI passed without looking at anything.
import { InvalidArgumentError } from 'commander';

export interface WholeNumberRule {
  min: number;
  max?: number;
  /** What the number counts, for the message: 'seconds'. */
  unit?: string;
  /** Said after the rule, e.g. what 0 means. */
  note?: string;
}

/** Node's timers hold at most 2^31-1 ms; a longer delay fires at once instead of late. */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** What `text` fails of `rule` ("a whole number ≥ 1"), or undefined when it is such a number. */
export function wholeNumberProblem(text: string, rule: WholeNumberRule): string | undefined {
  // Digits only: Number() would also take '', ' 5', '1e3', '0x10' and '-0'.
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (Number.isSafeInteger(n) && n >= rule.min && (rule.max === undefined || n <= rule.max)) return undefined;
  const range = rule.max === undefined ? `≥ ${rule.min}` : `from ${rule.min} to ${rule.max}`;
  return `a whole number${rule.unit ? ` of ${rule.unit}` : ''} ${range}${rule.note ? ` (${rule.note})` : ''}`;
}

/** A commander argParser for `flag`: its text as a number that keeps `rule`, else a usage error. */
export function wholeNumber(flag: string, rule: WholeNumberRule): (text: string) => number {
  return (text) => {
    const problem = wholeNumberProblem(text, rule);
    if (problem) throw new InvalidArgumentError(`${flag} must be ${problem}.`);
    return Number(text);
  };
}

export const SSH_PERSIST_RULE: WholeNumberRule = { min: 0, max: MAX_TIMER_SECONDS, unit: 'seconds', note: '0 keeps no connection' };

export const forksFlag = wholeNumber('--forks', { min: 1 });
export const stepTimeoutFlag = wholeNumber('--step-timeout', { min: 1, max: MAX_TIMER_SECONDS, unit: 'seconds' });
export const sshPersistFlag = wholeNumber('--ssh-persist', SSH_PERSIST_RULE);
export const connectTimeoutFlag = wholeNumber('--connect-timeout', { min: 1, max: MAX_TIMER_SECONDS, unit: 'seconds' });
