// Checks that need no connection, run before the first host is touched: every role's required
// variables are set on every host it targets, each has the type of its default (and stays on one
// line), and each role's own invariants hold.
import { InventoryError, InventoryErrors } from './errors.ts';
import { locateField } from './inventory.ts';
import type { Inventory } from './model.ts';
import type { PlannedPlay } from './run.ts';
import { Secret } from './secret.ts';
import { describeValue } from './yaml-source.ts';

/** Line breaks and other control characters (a tab is fine). */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * Why `value` cannot stand for a variable whose default is `def`, or undefined. Role variables are
 * printed into line-oriented config files (haproxy.cfg, nginx, keepalived, my.cnf, sudoers…): a line
 * break in one would add lines of its own choosing to that file. Secrets are exempt: the templates
 * quote them for their file, and their value must never appear in a message.
 */
function typeProblem(value: unknown, def: unknown): string | undefined {
  if (value === undefined || value instanceof Secret) return undefined;
  const got = describeValue(value);
  if (typeof def === 'number' && typeof value !== 'number') return `expected a number, got ${got}`;
  if (typeof def === 'boolean' && typeof value !== 'boolean') return `expected true or false, got ${got}`;
  if (typeof def === 'string' && typeof value !== 'string' && typeof value !== 'number') return `expected a string, got ${got}`;
  if (Array.isArray(def) && !Array.isArray(value)) return `expected a list, got ${got}`;
  const strings = Array.isArray(value) ? value.filter((v) => typeof v === 'string') : typeof value === 'string' ? [value] : [];
  if (strings.some((s) => CONTROL.test(s))) return 'may not contain a line break or other control character (it is written into a config file line)';
  return undefined;
}

export function preflight(inventory: Inventory, plays: PlannedPlay[]): void {
  const errors: InventoryError[] = [];
  const validated = new Set<string>();
  for (const play of plays) {
    for (const role of play.roles) {
      for (const host of play.hosts) {
        for (const [key, def] of Object.entries(role.defaults)) {
          const problem = typeProblem(host.vars[key], def);
          if (problem) errors.push(new InventoryError(`role ${role.name} variable '${key}' ${problem}`, locateField(inventory, `hosts.${host.name}.vars.${key}`)));
        }
        for (const key of role.required ?? []) {
          const value = host.vars[key] ?? role.defaults[key];
          if (value === undefined || value === null || value === '') {
            errors.push(new InventoryError(`role ${role.name} needs variable '${key}' (set it in the inventory or the secrets file)`, {
              file: inventory.file, field: `hosts.${host.name}.vars.${key}`,
            }));
          }
        }
      }
      const key = `${role.name}:${play.hosts.map((h) => h.name).join(',')}`;
      if (role.validate && !validated.has(key)) {
        validated.add(key);
        for (const problem of role.validate(inventory, play.hosts)) {
          // A role's message may quote the value: keep it on one line whatever it holds.
          const oneLine = problem.replace(new RegExp(CONTROL.source, 'g'), (c) => JSON.stringify(c).slice(1, -1));
          errors.push(new InventoryError(oneLine, { file: inventory.file, field: `role ${role.name}` }));
        }
      }
    }
  }
  // A group variable read by several hosts is one mistake, reported once.
  const unique = [...new Map(errors.map((e) => [e.message, e])).values()];
  if (unique.length === 1) throw unique[0]!;
  if (unique.length) throw new InventoryErrors(unique);
}
