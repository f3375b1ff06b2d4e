// Loads a role written in TypeScript (or JavaScript) from a user's folder, with no build step: esbuild
// bundles the role's index file with what it imports, and the bundle is imported from memory.
// `import … from 'scaleup'` in the role is bound to the API of the scaleup that loads it (not to some
// other copy under node_modules), so the role's Secret, StepError and step objects are the engine's own.
// A syntax error, or an import that does not resolve, is one InventoryError at file:line:column.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Message, Plugin } from 'esbuild';
import * as api from '../api.ts';
import { InventoryError, InventoryErrors } from './errors.ts';

const API_KEY = Symbol.for('scaleup.api');

/** Resolves `scaleup` to a module that re-exports the running engine's API, by name. */
const scaleupApi: Plugin = {
  name: 'scaleup-api',
  setup(b) {
    b.onResolve({ filter: /^scaleup$/ }, () => ({ path: 'scaleup', namespace: 'scaleup-api' }));
    b.onResolve({ filter: /^scaleup\// }, (args) => ({
      errors: [{ text: `import '${args.path}': a role imports only from 'scaleup' itself (its public API)` }],
    }));
    b.onLoad({ filter: /.*/, namespace: 'scaleup-api' }, () => ({
      contents: [
        `const api = globalThis[Symbol.for('scaleup.api')];`,
        ...Object.keys(api).map((name) => `export const ${name} = api.${name};`),
      ].join('\n'),
      loader: 'js',
    }));
  },
};

function located(message: Message, fallbackFile: string): InventoryError {
  const loc = message.location;
  return new InventoryError(message.text, {
    file: loc ? path.resolve(loc.file) : fallbackFile,
    ...(loc ? { line: loc.line, column: loc.column + 1 } : {}),
    field: 'role source',
  });
}

/** The module `file` exports, bundled and imported; its own npm imports resolve from its folder. */
export async function importRoleModule(file: string): Promise<Record<string, unknown>> {
  (globalThis as Record<symbol, unknown>)[API_KEY] = api;
  // Loaded only when a run has a role of its own to load: the built-in roles come bundled.
  const { build } = await import('esbuild');
  let code: string;
  try {
    const out = await build({
      entryPoints: [file],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
      plugins: [scaleupApi],
      // A CommonJS dependency's require() of a Node built-in needs a real require in an ES module.
      banner: { js: `import { createRequire as __scaleupRequire } from 'node:module'; const require = __scaleupRequire(${JSON.stringify(pathToFileURL(file).href)});` },
    });
    code = out.outputFiles[0]!.text;
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    if (!errors?.length) throw err;
    const found = errors.map((m) => located(m, file));
    throw found.length === 1 ? found[0]! : new InventoryErrors(found);
  }
  return (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as Record<string, unknown>;
}
