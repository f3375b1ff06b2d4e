// Roles are folders under roles/ with an index.ts whose default export is a Role, registered by
// name in roles/index.ts (static imports, so a bundled build carries them too).
import path from 'node:path';
import { roleModules } from '../../roles/index.ts';
import { InventoryError } from './errors.ts';
import { projectRoot } from './paths.ts';
import type { Role } from './role.ts';

export const rolesDir = path.join(projectRoot, 'roles');

/** Names of the roles, sorted. */
export function listRoles(): string[] {
  return Object.keys(roleModules).sort();
}

const loaded = new Map<string, Role>();

export async function loadRole(name: string): Promise<Role> {
  const cached = loaded.get(name);
  if (cached) return cached;
  const load = roleModules[name];
  if (!load) {
    throw new InventoryError(`unknown role '${name}'; roles are: ${listRoles().join(', ')}`, { file: 'roles/', field: '--role' });
  }
  const role = await load();
  loaded.set(name, role);
  return role;
}
