// Bundles the CLI (engine, commands and roles) into one ES module, dist/provision.mjs, so a run
// starts in a fraction of the time that loading ~150 TypeScript modules through tsx takes.
// bin/provision.js uses the bundle when it is newer than every source file, else the sources.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [path.join(root, 'src/cli/main.ts')],
  outfile: path.join(root, 'dist/provision.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ssh2 loads its native crypto binding (when it was built) by a path relative to itself: it stays
  // in node_modules, as do its optional helpers.
  external: ['ssh2', 'cpu-features', '*.node'],
  // CommonJS dependencies inside an ES module bundle need require().
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; " +
      "const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __fu(new URL('.', import.meta.url));",
  },
  logLevel: 'warning',
  legalComments: 'none',
});
