// Checks that need no connection, run before the first host is touched: every role's required
// variables are set on every host it targets, and each role's own invariants hold.
import { InventoryError, InventoryErrors } from './errors.ts';
import type { Inventory } from './model.ts';
import type { PlannedPlay } from './run.ts';

export function preflight(inventory: Inventory, plays: PlannedPlay[]): void {
  const errors: InventoryError[] = [];
  const validated = new Set<string>();
  for (const play of plays) {
    for (const role of play.roles) {
      for (const host of play.hosts) {
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
          errors.push(new InventoryError(problem, { file: inventory.file, field: `role ${role.name}` }));
        }
      }
    }
  }
  if (errors.length === 1) throw errors[0]!;
  if (errors.length) throw new InventoryErrors(errors);
}
