// Bundles the CLI (engine, commands and roles) into one ES module, dist/provision.mjs, so a run
// (plus chunks loaded on demand) starts in a fraction of the time that loading ~150 TypeScript modules
// through tsx takes.
// bin/provision.js uses the bundle when it is newer than every source file, else the sources.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const outdir = path.join(root, 'dist');
rmSync(outdir, { recursive: true, force: true });
await build({
  // The connection keeper is a process of its own (bin/provision.js __keeper): it loads only what it uses.
  entryPoints: { provision: path.join(root, 'src/cli/main.ts'), keeper: path.join(root, 'src/core/connection/kept/keeper.ts') },
  outdir,
  outExtension: { '.js': '.mjs' },
  // What a run loads only on demand (the wizard's prompts, the live tree) goes into chunks of its own,
  // so `provision apply` in CI neither parses nor evaluates it.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
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
