// Roles found as folders: `<dir>/<name>/index.ts` (or .js/.mjs) whose default export is the role,
// loaded when first asked for (see role-module.ts). Used for a project's roles/ and roles_path.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { asRole, type RoleSource } from './role-source.ts';
import type { Role } from './role.ts';
import { importRoleModule } from './role-module.ts';

const ENTRY_FILES = ['index.ts', 'index.mts', 'index.js', 'index.mjs'];
const ROLE_NAME = /^[a-z0-9][a-z0-9_-]*$/;

function entryOf(roleDir: string): string | undefined {
  return ENTRY_FILES.map((f) => path.join(roleDir, f)).find((f) => existsSync(f));
}

export interface DirectoryRoleSourceOptions {
  /** Folders holding `<role>/<template>` files that take the place of a role's own templates. */
  templateOverrides?: string[];
}

export function directoryRoleSource(dir: string, options: DirectoryRoleSourceOptions = {}): RoleSource {
  const root = path.resolve(dir);
  const names = existsSync(root)
    ? readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && ROLE_NAME.test(d.name) && entryOf(path.join(root, d.name)))
      .map((d) => d.name)
      .sort()
    : [];
  return {
    list: () => names,
    async load(name): Promise<Role | undefined> {
      if (!names.includes(name)) return undefined;
      const roleDir = path.join(root, name);
      const entry = entryOf(roleDir)!;
      const module = await importRoleModule(entry);
      const role = asRole(module.default, name, entry);
      return withHome(role, roleDir, options.templateOverrides ?? []);
    },
  };
}

/** The role with its home set: its folder, and its template folders (overrides first). */
export function withHome(role: Role, roleDir: string, templateOverrides: string[]): Role {
  return {
    ...role,
    home: {
      dir: roleDir,
      templateDirs: [...templateOverrides.map((d) => path.join(d, role.name)), path.join(roleDir, 'templates')],
    },
  };
}
