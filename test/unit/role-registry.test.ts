import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listRoles, loadRole, rolesDir } from './builtin-roles.ts';

describe('role registry', () => {
  it('lists exactly the role folders (those with an index.ts)', () => {
    const folders = readdirSync(rolesDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(rolesDir, d.name, 'index.ts')))
      .map((d) => d.name)
      .sort();
    expect(listRoles()).toEqual(folders);
  });

  it('loads every role with its own name', async () => {
    for (const name of listRoles()) expect((await loadRole(name)).name).toBe(name);
  });
});
