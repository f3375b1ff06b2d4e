// Why a host's value cannot stand for a role variable: checked against the variable's schema when the
// role declares `variables`, else against the type of its default. Messages name what was expected and
// what was given, never a secret's value. Role variables are printed into line-oriented config files
// (haproxy.cfg, nginx, keepalived, my.cnf, sudoers…): a line break in one would add lines of its own
// choosing to that file, so text with a control character is refused too.
import type * as z from 'zod';
import { variableMeta } from './role-variables.ts';
import { Secret } from './secret.ts';
import { asciiJson, describeValue } from './yaml-source.ts';

/** Line breaks and other control characters (a tab is fine). */
export const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** One problem with a variable's value; `path` leads to the part of it at fault (`[2]`, `["net.core.somaxconn"]`). */
export interface VariableProblem {
  name: string;
  path: (string | number)[];
  problem: string;
}

const LINE_BREAK = 'may not contain a line break or other control character (it is written into a config file line)';

/** A string, or a list of strings, that holds a control character. */
function hasControl(value: unknown): boolean {
  const strings = Array.isArray(value) ? value.filter((v) => typeof v === 'string') : typeof value === 'string' ? [value] : [];
  return strings.some((s) => CONTROL.test(s));
}

/** A variable without a schema: its value must have the type of its default. */
export function defaultTypeProblem(name: string, value: unknown, def: unknown): VariableProblem[] {
  if (value === undefined || value instanceof Secret) return [];
  const got = describeValue(value);
  const problem = (() => {
    if (typeof def === 'number' && typeof value !== 'number') return `expected a number, got ${got}`;
    if (typeof def === 'boolean' && typeof value !== 'boolean') return `expected true or false, got ${got}`;
    if (typeof def === 'string' && typeof value !== 'string' && typeof value !== 'number') return `expected a string, got ${got}`;
    if (Array.isArray(def) && !Array.isArray(value)) return `expected a list, got ${got}`;
    return hasControl(value) ? LINE_BREAK : undefined;
  })();
  return problem ? [{ name, path: [], problem }] : [];
}

const EXPECTED: Record<string, string> = {
  number: 'a number', int: 'an integer', string: 'a string', boolean: 'true or false', array: 'a list',
  object: 'a map', record: 'a map', null: 'null', Secret: 'a secret (from the vault)',
};
const expected = (type: string) => EXPECTED[type] ?? `a ${type}`;
const either = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`);
const shown = (v: unknown) => (typeof v === 'string' ? asciiJson(v.length > 40 ? `${v.slice(0, 40)}…` : v) : String(v));

/** The text of a zod issue, written as the rest of scaleup writes them; the value only when `reveal`. */
function issueText(iss: z.core.$ZodRawIssue, reveal: boolean): string {
  const got = reveal && (typeof iss.input === 'number' || typeof iss.input === 'string') ? `, got ${shown(iss.input)}` : '';
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${expected(iss.expected)}, got ${describeValue(iss.input)}`;
    case 'invalid_value':
      return `must be ${either(iss.values.map((v) => shown(v)))}${got}`;
    case 'too_small':
    case 'too_big': {
      const bound = iss.code === 'too_small' ? iss.minimum : iss.maximum;
      const word = iss.code === 'too_small' ? (iss.inclusive ? 'at least' : 'more than') : iss.inclusive ? 'at most' : 'less than';
      if (iss.origin === 'array') return `needs ${word} ${String(bound)} item(s)`;
      if (iss.origin === 'string') return Number(bound) === 1 && iss.code === 'too_small' ? 'may not be empty' : `must have ${word} ${String(bound)} characters`;
      return `must be ${word} ${String(bound)}${got}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(iss.divisor)}${got}`;
    case 'invalid_format':
      return `is not in the expected form${iss.format === 'regex' && 'pattern' in iss ? ` (${String(iss.pattern)})` : ''}${got}`;
    case 'invalid_union': {
      // Each alternative failed on the value itself: name them all ("a secret, a string or null").
      const firsts = iss.errors.map((e) => e[0]);
      if (firsts.every((e) => e && e.path.length === 0 && (e.code === 'invalid_type' || e.code === 'invalid_value'))) {
        const options = firsts.flatMap((e) => (e!.code === 'invalid_type' ? [expected(e!.expected)] : e!.code === 'invalid_value' ? e!.values.map((v) => shown(v)) : []));
        return `expected ${either(options)}, got ${describeValue(iss.input)}`;
      }
      return firsts.find((e) => e)?.message ?? 'is not valid';
    }
    default:
      return 'is not valid';
  }
}

/**
 * The problems of `value` for the variable `name` declared by `field`: none for a value that is unset
 * or a Secret (a vault value; its templates quote it for their file). A secret's value never appears.
 */
export function schemaProblems(name: string, field: z.ZodType, value: unknown): VariableProblem[] {
  if (value === undefined || value instanceof Secret) return [];
  const reveal = !variableMeta(field).secret;
  const result = field.safeParse(value, { error: (iss) => issueText(iss, reveal) });
  if (!result.success) {
    return result.error.issues.map((iss) => ({ name, path: iss.path.map((p) => (typeof p === 'number' ? p : String(p))), problem: iss.message }));
  }
  return hasControl(value) ? [{ name, path: [], problem: LINE_BREAK }] : [];
}
