// A project role with a type error is refused before anything connects, at its file:line:column,
// by the project's own TypeScript (a project without TypeScript is not checked).
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { typecheckProjectRoles } from '../../src/cli/role-typecheck.ts';
import { InventoryError } from '../../src/core/errors.ts';
import { packageRoot } from '../../src/package-root.ts';

const good = "import { defineRole, file, vars, z } from 'scaleup';\n" +
  "export default defineRole({ name: 'web', description: 'x', variables: z.object({ web_port: vars.port(80, 'port') }),\n" +
  '  steps: (v) => [file.content({ dest: `/srv/web-${v.web_port}`, content: "x" })] });\n';

function project(withTypeScript: boolean): string {
  const root = mkdtempSync(path.join(tmpdir(), 'scaleup-typecheck-'));
  mkdirSync(path.join(root, 'roles', 'web'), { recursive: true });
  mkdirSync(path.join(root, 'node_modules', '@types'), { recursive: true });
  writeFileSync(path.join(root, 'package.json'), '{ "type": "module" }\n');
  // What `npm install` gives a project: scaleup itself, and the TypeScript `provision init` lists.
  symlinkSync(packageRoot, path.join(root, 'node_modules', 'scaleup'));
  if (withTypeScript) {
    symlinkSync(path.join(packageRoot, 'node_modules', 'typescript'), path.join(root, 'node_modules', 'typescript'));
    symlinkSync(path.join(packageRoot, 'node_modules', '@types', 'node'), path.join(root, 'node_modules', '@types', 'node'));
  }
  writeFileSync(path.join(root, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, allowImportingTsExtensions: true, verbatimModuleSyntax: true, skipLibCheck: true, types: ['node'] },
    include: ['roles'],
  }));
  return root;
}

describe('type-checking a project\'s roles', () => {
  it('a type error is named at its file, line and column; the fixed role passes', () => {
    const root = project(true);
    const role = path.join(root, 'roles', 'web', 'index.ts');
    writeFileSync(role, good.replace('`/srv/web-${v.web_port}`', 'v.web_port'));
    let err: unknown;
    try {
      typecheckProjectRoles(root, [path.join(root, 'roles', 'web')]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InventoryError);
    expect((err as InventoryError).message).toMatch(new RegExp(`${role.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:33: TS2322: type error: Type 'number' is not assignable to type 'string'`));
    writeFileSync(role, good);
    expect(() => typecheckProjectRoles(root, [path.join(root, 'roles', 'web')])).not.toThrow();
  }, 120_000);

  it('a project without TypeScript is not checked', () => {
    const root = project(false);
    writeFileSync(path.join(root, 'roles', 'web', 'index.ts'), good.replace('`/srv/web-${v.web_port}`', 'v.web_port'));
    expect(() => typecheckProjectRoles(root, [path.join(root, 'roles', 'web')])).not.toThrow();
  });
});
