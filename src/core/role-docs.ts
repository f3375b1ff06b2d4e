// The variable table of a role's README, generated from the role's declaration (its `variables`
// schema: type and range, default, description, secret), so the README cannot drift from the code.
// The table sits between two marker comments; the prose around it stays hand-written.
// `npx tsx scripts/gen-role-docs.ts` rewrites the shipped roles' READMEs; a unit test fails when one is stale.
import { stringify } from 'yaml';
import * as z from 'zod';
import type { Role } from './role.ts';
import { variableMeta } from './role-variables.ts';

export const TABLE_START = '<!-- variables:start -->';
export const TABLE_END = '<!-- variables:end -->';

/** The part of a JSON Schema (zod's `toJSONSchema`) the table describes. */
interface JsonSchema {
  type?: string | string[];
  title?: string;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
}

const code = (s: string) => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``);
const either = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`);
/** A bound worth printing: not the ±2^53 that `.int()` implies. */
const bound = (n: number | undefined): n is number => n !== undefined && Math.abs(n) < Number.MAX_SAFE_INTEGER;

function rangeText(s: JsonSchema): string {
  const low = bound(s.minimum) ? s.minimum : undefined;
  const high = bound(s.maximum) ? s.maximum : undefined;
  if (low !== undefined && high !== undefined) return ` ${low}–${high}`;
  if (low !== undefined) return ` ≥ ${low}`;
  if (bound(s.exclusiveMinimum)) return ` > ${s.exclusiveMinimum}`;
  if (high !== undefined) return ` ≤ ${high}`;
  if (bound(s.exclusiveMaximum)) return ` < ${s.exclusiveMaximum}`;
  return '';
}

const PLURAL: Record<string, string> = { string: 'strings', integer: 'integers', number: 'numbers', boolean: 'booleans' };

/** A JSON Schema in a few words: `integer 1–65535`, `list of strings`, `` `daily`, `weekly` or `monthly` ``. */
export function typeText(s: JsonSchema): string {
  if (s.const !== undefined) return code(String(s.const));
  if (s.enum) return either(s.enum.map((v) => code(String(v))));
  if (s.anyOf) {
    const nullable = s.anyOf.some((o) => o.type === 'null');
    const rest = either(s.anyOf.filter((o) => o.type !== 'null').map(typeText));
    return nullable ? `${rest} or null` : rest;
  }
  if (Array.isArray(s.type)) return either(s.type.map((type) => typeText({ ...s, type })));
  switch (s.type) {
    case 'integer':
    case 'number':
      return `${s.type}${rangeText(s)}`;
    case 'array': {
      const item = s.items ? typeText(s.items) : 'any';
      return `list of ${PLURAL[item] ?? `(${item})`}`;
    }
    case 'object':
      return typeof s.additionalProperties === 'object' ? `map: key → ${typeText(s.additionalProperties)}` : 'map';
    case undefined:
      // A value JSON Schema cannot describe (a Secret) is named by its schema's title.
      return typeof s.title === 'string' ? s.title : 'any';
    default:
      return s.type;
  }
}

/** A default as YAML (what one would write in the inventory), on one line. */
function defaultText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  return code(stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trimEnd());
}

/** A value of the old kind of role (plain `defaults`): its type from its default. */
function typeOfDefault(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'any';
  if (typeof value === 'object') return 'map';
  return typeof value;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The markdown table of a role's variables, one row per variable in declaration order. */
export function variablesTable(role: Role): string {
  const required = new Set<string>(role.required ?? []);
  const secrets = new Set<string>(role.secrets ?? []);
  const rows = Object.entries(role.defaults).map(([name, def]) => {
    const field = role.variables?.shape[name];
    const { description, secret } = field ? variableMeta(field) : { description: '', secret: false };
    const isSecret = secret || secrets.has(name);
    const type = isSecret ? 'secret' : field ? typeText(z.toJSONSchema(field, { io: 'output', unrepresentable: 'any' }) as JsonSchema) : typeOfDefault(def);
    const shownType = required.has(name) ? `${type}, required` : type;
    return `| ${cell(code(name))} | ${cell(shownType)} | ${cell(isSecret ? '(secret)' : defaultText(def))} | ${cell(description)} |`;
  });
  return ['| Variable | Type | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** `readme` with the text between its variable markers replaced by the role's table. */
export function withVariablesTable(readme: string, role: Role): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`the README of role ${role.name} has no ${TABLE_START} … ${TABLE_END} markers`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${variablesTable(role)}\n${readme.slice(end)}`;
}
