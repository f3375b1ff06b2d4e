// The values of the variables roles declare secret (`Role.secrets`), for every host, wherever they come
// from: the vault (a Secret), or plain text in the inventory (all, group or host vars) or a role's
// defaults. The runner's Redactor must know them all: a password someone typed into the inventory is
// as secret as one in the vault, and only the vault's are Secret objects that mask themselves.
import type { SourceLocation } from './errors.ts';
import { hostField, locateField } from './inventory.ts';
import type { Inventory, VarValue } from './model.ts';
import type { Role } from './role.ts';
import { roleVars } from './role-plan.ts';
import { Secret } from './secret.ts';

/** A declared secret variable whose value is stored in plain text, and every place it is set. */
export interface PlainSecret {
  name: string;
  /** Inventory locations (file, line, field), or `{ file: 'role NAME', field: 'defaults.VAR' }`. */
  locations: SourceLocation[];
}

/** The text of a secret variable's value, if it has one (a number is a secret too: `1234`). */
function secretValue(value: VarValue | undefined): string | Secret | undefined {
  if (value instanceof Secret) return value;
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** The sudo password a host may be given (the engine's own secret, declared by no role). */
export const BECOME_PASSWORD = 'become_password';

/** The names of the variables whose values are never shown: every role's secrets, and the sudo password. */
export function secretVariableNames(roles: Role[]): Set<string> {
  return new Set([BECOME_PASSWORD, ...roles.flatMap((r) => r.secrets ?? [])]);
}

/**
 * Every value of every declared secret variable of every role, on every host (Secrets and plain text),
 * and each host's sudo password, which no role declares.
 */
export function roleSecretValues(inventory: Inventory, roles: Role[]): (string | Secret)[] {
  const values: (string | Secret)[] = [];
  for (const host of inventory.hosts.values()) {
    const value = secretValue(host.vars[BECOME_PASSWORD]);
    if (value !== undefined) values.push(value);
  }
  for (const role of roles) {
    for (const name of role.secrets ?? []) {
      for (const host of inventory.hosts.values()) {
        const value = secretValue(roleVars(role, host)[name]);
        if (value !== undefined) values.push(value);
      }
    }
  }
  return values;
}

/**
 * The declared secret variables (and the sudo password) that are set in plain text rather than in the
 * vault, one entry per variable with every distinct place it is set (never the value): the sudo
 * password first, then in the order the roles list them.
 */
export function plainTextSecrets(inventory: Inventory, roles: Role[]): PlainSecret[] {
  const found = new Map<string, Map<string, SourceLocation>>();
  const note = (name: string, location: SourceLocation) => {
    const places = found.get(name) ?? new Map<string, SourceLocation>();
    places.set(`${location.file}\0${location.line ?? ''}\0${location.field ?? ''}`, location);
    found.set(name, places);
  };
  for (const host of inventory.hosts.values()) {
    if (typeof secretValue(host.vars[BECOME_PASSWORD]) === 'string') note(BECOME_PASSWORD, locateField(inventory, hostField(host.name, 'vars', BECOME_PASSWORD)));
  }
  for (const role of roles) {
    for (const name of role.secrets ?? []) {
      for (const host of inventory.hosts.values()) {
        // As roleVars merges them: the host's value (from the inventory or the vault), else the default.
        if (Object.hasOwn(host.vars, name)) {
          if (typeof secretValue(host.vars[name]) === 'string') note(name, locateField(inventory, hostField(host.name, 'vars', name)));
        } else if (typeof secretValue(role.defaults[name]) === 'string') {
          note(name, { file: `role ${role.name}`, field: `defaults.${name}` });
        }
      }
    }
  }
  return [...found].map(([name, places]) => ({ name, locations: [...places.values()] }));
}
