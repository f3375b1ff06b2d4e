// Where the CLI finds roles, in order (Ansible's roles/ beside the playbook, then roles_path, then its
// own): the project's roles/, the roles_path folders, then the roles scaleup ships. A role of the
// same name earlier in the list replaces a later one; a project's templates/<role>/<file> replaces one
// template of any role. The engine receives the result as a RoleSource and knows no role by name.
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { roleModules } from '../../roles/index.ts';
import { directoryRoleSource, withHome } from '../core/directory-role-source.ts';
import { chainRoleSources, type RoleChain, type RoleSource } from '../core/role-source.ts';
import { packageRoot } from '../package-root.ts';

/** The folder of the roles scaleup ships. */
export const builtinRolesDir = path.join(packageRoot, 'roles');

/** The roles scaleup ships (bundled with the CLI), each at home in builtinRolesDir. */
export function builtinRoleSource(templateOverrides: string[] = []): RoleSource {
  const names = Object.keys(roleModules).sort();
  return {
    list: () => names,
    async load(name) {
      const load = roleModules[name];
      return load ? withHome(await load(), path.join(builtinRolesDir, name), templateOverrides) : undefined;
    },
  };
}

export interface RoleSearch {
  /** The project's root: its roles/ and templates/ are looked in first. */
  projectRoot: string;
  /** Further role folders (absolute), after the project's roles/. */
  rolesPath: string[];
}

const same = (a: string, b: string) => existsSync(a) && existsSync(b) && realpathSync(a) === realpathSync(b);

export function projectRoleSource(search: RoleSearch): RoleChain {
  const overrides = [path.join(search.projectRoot, 'templates')].filter((d) => existsSync(d));
  // scaleup's own checkout is a project whose roles/ are the shipped ones: those come bundled.
  const folders = [path.join(search.projectRoot, 'roles'), ...search.rolesPath].filter((d) => !same(d, builtinRolesDir));
  return chainRoleSources([
    ...folders.map((dir) => directoryRoleSource(dir, { templateOverrides: overrides })),
    builtinRoleSource(overrides),
  ]);
}
