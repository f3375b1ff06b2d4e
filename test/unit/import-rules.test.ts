// The folders' import rules, which keep the architecture visible: the engine (src/core) knows no
// role, no command and no terminal library; a role (roles/) uses only scaleup's public API.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|js|mjs)$/.test(e.name))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** Every module specifier a file imports or re-exports, statically or with import(). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

/** Where a relative specifier lands, relative to the project root. */
const target = (file: string, spec: string) => path.relative(root, path.resolve(root, path.dirname(file), spec));

describe('import rules', () => {
  it('src/core imports nothing from roles/, the CLI, the lab or the stack checks, and no terminal library', () => {
    const bad = sources('src/core').flatMap((file) => importsOf(file)
      .filter((spec) => (spec.startsWith('.') ? /^(roles|src\/(cli|lab|stack))(\/|$)/.test(target(file, spec)) : /^(listr2|@inquirer\/|inquirer|picocolors)/.test(spec)))
      .map((spec) => `${file} imports ${spec}`));
    expect(bad).toEqual([]);
  });

  it('src/core checks no variable of a shipped role (the roles check their own, from their schemas)', async () => {
    const { roleModules } = await import('../../roles/index.ts');
    const names = new Set<string>();
    for (const load of Object.values(roleModules)) for (const name of Object.keys((await load()).defaults)) names.add(name);
    const bad = sources('src/core').flatMap((file) => {
      // Comments may give examples; code may not name a role's variable.
      const code = readFileSync(path.join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      return [...code.matchAll(/['"`]([a-z][a-z0-9_]*)['"`]/g)].filter((m) => names.has(m[1]!)).map((m) => `${file} names ${m[1]}`);
    });
    expect(bad).toEqual([]);
  });

  it('a shipped role imports only scaleup, Node built-ins and files of roles/', () => {
    const bad = sources('roles').flatMap((file) => importsOf(file)
      .filter((spec) => !(spec === 'scaleup' || spec.startsWith('node:') || (spec.startsWith('.') && target(file, spec).startsWith('roles/'))))
      .map((spec) => `${file} imports ${spec}`));
    expect(bad).toEqual([]);
  });

  it('a shipped role reads no other role\'s files (its own folder comes as ctx.dir)', () => {
    const bad = sources('roles').filter((file) => {
      const own = file.split('/')[1];
      const text = readFileSync(path.join(root, file), 'utf8');
      return /\brolesDir\b/.test(text) || [...text.matchAll(/roles\/([a-z0-9_-]+)\/files/g)].some((m) => m[1] !== own);
    });
    expect(bad).toEqual([]);
  });
});
