// Checks that need no connection, run before the first host is touched: every role's required
// variables are set on every host it targets, each value fits the variable's schema (or, for a role
// without one, the type of its default) and stays on one line, and each role's own invariants hold.
import { InventoryError, InventoryErrors } from './errors.ts';
import { hostField, locateField } from './inventory.ts';
import type { Host, Inventory } from './model.ts';
import type { Role, ValidateContext } from './role.ts';
import type { PlannedPlay } from './run.ts';
import { CONTROL, defaultTypeProblem, schemaProblems, type VariableProblem } from './variable-problems.ts';
import { formatField } from './yaml-source.ts';

/** The problems of the values `host` gives the variables `role` reads. */
function valueProblems(role: Role, host: Host): VariableProblem[] {
  if (role.variables) {
    return Object.entries(role.variables.shape).flatMap(([key, field]) => schemaProblems(key, field, host.vars[key]));
  }
  return Object.entries(role.defaults).flatMap(([key, def]) => defaultTypeProblem(key, host.vars[key], def));
}

export function preflight(inventory: Inventory, plays: PlannedPlay[], ctx: ValidateContext): void {
  const errors: InventoryError[] = [];
  const validated = new Set<string>();
  for (const play of plays) {
    for (const role of play.roles) {
      // A value of the wrong type or out of range is reported once, by the schema: the role's own
      // invariants (validate) assume the declared types, and would report it again in their words.
      let wrongValues = false;
      for (const host of play.hosts) {
        for (const { name, path, problem } of valueProblems(role, host)) {
          wrongValues = true;
          const where = locateField(inventory, hostField(host.name, 'vars', name));
          errors.push(new InventoryError(`role ${role.name} variable '${formatField([name, ...path])}' ${problem}`, where));
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
      if (role.validate && !wrongValues && !validated.has(key)) {
        validated.add(key);
        for (const problem of role.validate(inventory, play.hosts, ctx)) {
          // A role's message may quote the value: keep it on one line whatever it holds.
          const oneLine = (text: string) => text.replace(new RegExp(CONTROL.source, 'g'), (c) => JSON.stringify(c).slice(1, -1));
          if (typeof problem === 'string') {
            errors.push(new InventoryError(oneLine(problem), { file: inventory.file, field: `role ${role.name}` }));
          } else {
            const where = locateField(inventory, hostField(problem.host, 'vars', problem.variable));
            errors.push(new InventoryError(`role ${role.name} variable '${problem.variable}' ${oneLine(problem.problem)}`, where));
          }
        }
      }
    }
  }
  // A group variable read by several hosts is one mistake, reported once.
  const unique = [...new Map(errors.map((e) => [e.message, e])).values()];
  if (unique.length === 1) throw unique[0]!;
  if (unique.length) throw new InventoryErrors(unique);
}
