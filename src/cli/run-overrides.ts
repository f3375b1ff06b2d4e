// What the command line changes for one run, as Ansible's flags do: `-e` variables above everything
// else, `-u`/`--private-key`/`-b` over the inventory's connection settings, `--limit @FILE` (a retry
// file's hosts), `--start-at-role`. Pure: the project loader applies them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYamlScalar } from 'yaml';
import { InventoryError } from '../core/errors.ts';
import type { Host, Vars, VarValue } from '../core/model.ts';
import type { Play } from '../core/playbook.ts';
import type { Role } from '../core/role.ts';
import { VAR_NAME_RE } from '../core/inventory-schema.ts';
import { readYamlFile } from '../core/yaml-source.ts';

const FLAG = { file: '(command line)', field: '--extra-vars' };

/**
 * The value `text` stands for, typed by the variable's declaration: what its schema accepts as text
 * stays text; otherwise the text read as a YAML scalar (`8080` a number, `true` a boolean), as
 * `-e port=8080` must give a port a role can use.
 */
function typedValue(name: string, text: string, roles: Role[]): VarValue {
  const role = roles.find((r) => Object.hasOwn(r.defaults, name));
  const field = role?.variables?.shape[name] as { safeParse(v: unknown): { success: boolean } } | undefined;
  if (field?.safeParse(text).success) return text;
  if (role && !field && typeof role.defaults[name] === 'string') return text;
  try {
    const scalar: unknown = parseYamlScalar(text);
    if (scalar === null || ['string', 'number', 'boolean'].includes(typeof scalar)) return scalar as VarValue;
  } catch {
    // Not YAML: it is text.
  }
  return text;
}

/** `-e KEY=VALUE` and `-e @file.yml`, in order (a later one wins), typed by the roles' declarations. */
export function extraVars(given: string[], roles: Role[], cwd = process.cwd()): Vars {
  const out: Vars = {};
  for (const item of given) {
    if (item.startsWith('@')) {
      const source = readYamlFile(path.resolve(cwd, item.slice(1)), { kind: 'extra variables file' });
      const data = source.data;
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw source.error([], 'expected a map of variables (name: value)');
      for (const [k, v] of Object.entries(data)) {
        if (!VAR_NAME_RE.test(k)) throw source.error([k], 'a variable name is letters, digits and "_", not starting with a digit', 'key');
        out[k] = v as VarValue;
      }
      continue;
    }
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq) : '';
    if (!VAR_NAME_RE.test(name)) throw new InventoryError(`'${item}' is not KEY=VALUE or @FILE (KEY: letters, digits and "_")`, FLAG);
    out[name] = typedValue(name, item.slice(eq + 1), roles);
  }
  return out;
}

export interface ConnectionOverrides {
  user?: string;
  privateKey?: string;
  become?: boolean;
}

/** The host with the run's variables on top and its connection settings overridden. */
export function overriddenHost(host: Host, vars: Vars, conn: ConnectionOverrides, cwd = process.cwd()): Host {
  const user = conn.user ?? host.user;
  return {
    ...host,
    user,
    ...(conn.privateKey ? { privateKey: path.resolve(cwd, conn.privateKey) } : {}),
    become: (conn.become ?? host.become) && user !== 'root',
    vars: { ...host.vars, ...vars },
  };
}

/** `--limit` patterns with each `@FILE` replaced by the host names in it (one per line, as a retry file has). */
export function expandLimit(patterns: string[], cwd = process.cwd()): string[] {
  return patterns.flatMap((p) => {
    if (!p.startsWith('@')) return [p];
    const file = path.resolve(cwd, p.slice(1));
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new InventoryError(`cannot read ${file}`, { file: '(command line)', field: '--limit' });
    }
    const names = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    if (!names.length) throw new InventoryError(`${file} names no host`, { file: '(command line)', field: '--limit' });
    return names;
  });
}

/** The plays from the first one that runs `role`, that play starting at it (Ansible's --start-at-task, by role). */
export function startAtRole(plays: Play[], role: string): Play[] {
  const at = plays.findIndex((p) => p.roles.includes(role));
  if (at < 0) {
    const all = [...new Set(plays.flatMap((p) => p.roles))];
    throw new InventoryError(`role '${role}' is not in the playbook; its roles are: ${all.join(', ')}`, { file: '(command line)', field: '--start-at-role' });
  }
  const first = plays[at]!;
  return [{ ...first, roles: first.roles.slice(first.roles.indexOf(role)) }, ...plays.slice(at + 1)];
}
