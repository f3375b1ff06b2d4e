// Inventory variables that no role reads: a misspelt name (`baseline_ops_usr`) would otherwise be
// ignored without a word while the role runs with its default. Reported as warnings, with the
// closest declared name; the run goes ahead (a variable may be meant for a role of another playbook).
import type { SourceLocation } from './errors.ts';
import { hostField, locateField } from './inventory.ts';
import type { Inventory } from './model.ts';
import type { Role } from './role.ts';
import { BECOME_PASSWORD } from './role-secrets.ts';
import { closest } from './yaml-source.ts';

/** Variables the engine itself reads (not a role): the sudo password of `become`. */
export const ENGINE_VARIABLES = [BECOME_PASSWORD];

export interface UndeclaredVariable {
  name: string;
  /** Where it is set (its first definition found). */
  location: SourceLocation;
  /** The declared variable it is most likely meant to be. */
  hint?: string;
}

export function undeclaredVariables(inventory: Inventory, roles: Role[]): UndeclaredVariable[] {
  const declared = new Set([...ENGINE_VARIABLES, ...roles.flatMap((r) => Object.keys(r.defaults))]);
  const known = [...declared];
  const found = new Map<string, UndeclaredVariable>();
  for (const host of inventory.hosts.values()) {
    for (const name of Object.keys(host.vars)) {
      // Ansible's own variables (an imported Ansible inventory) are the inventory loader's business.
      if (declared.has(name) || name.startsWith('ansible_')) continue;
      const location = locateField(inventory, hostField(host.name, 'vars', name));
      const key = `${name}\0${location.file}\0${location.line ?? ''}`;
      if (!found.has(key)) found.set(key, { name, location, hint: closest(name, known) });
    }
  }
  return [...found.values()];
}
