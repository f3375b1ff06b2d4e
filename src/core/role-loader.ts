// Roles are folders under roles/ with an index.ts whose default export is a Role.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InventoryError } from './errors.ts';
import { projectRoot } from './paths.ts';
import type { Role } from './role.ts';

export const rolesDir = path.join(projectRoot, 'roles');

/** Names of the roles in roles/ (folders with an index.ts), sorted. */
export function listRoles(): string[] {
  if (!existsSync(rolesDir)) return [];
  return readdirSync(rolesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(rolesDir, d.name, 'index.ts')))
    .map((d) => d.name)
    .sort();
}

const loaded = new Map<string, Role>();

export async function loadRole(name: string): Promise<Role> {
  const cached = loaded.get(name);
  if (cached) return cached;
  const known = listRoles();
  if (!known.includes(name)) {
    throw new InventoryError(`unknown role '${name}'; roles are: ${known.join(', ')}`, { file: 'roles/', field: '--role' });
  }
  const mod = (await import(pathToFileURL(path.join(rolesDir, name, 'index.ts')).href)) as { default: Role };
  loaded.set(name, mod.default);
  return mod.default;
}
