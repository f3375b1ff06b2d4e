// The roles scaleup ships, as the CLI finds them, for tests that look at them one by one.
import path from 'node:path';
import type { Role } from '../../src/core/role.ts';
import { withHome } from '../../src/core/directory-role-source.ts';
import { builtinRoleSource, builtinRolesDir } from '../../src/cli/role-sources.ts';

export const rolesDir = builtinRolesDir;
const source = builtinRoleSource();

export const listRoles = (): string[] => source.list();

export async function loadRole(name: string): Promise<Role> {
  const role = await source.load(name);
  if (!role) throw new Error(`no built-in role ${name}`);
  return role;
}

/** A shipped role imported directly (its module's default export), at home in its folder. */
export function atHome<R extends { name: string; home?: Role["home"] }>(role: R): R {
  return (role.home ? role : withHome(role as unknown as Role, path.join(rolesDir, role.name), [])) as unknown as R;
}

/** The folder of a shipped role's templates. */
export const templatesOf = (role: string): string => path.join(rolesDir, role, 'templates');
