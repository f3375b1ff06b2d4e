// How the CLI is bundled, shared by `npm run build` (dist/) and the unit tests (a private copy).
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function bundleCli(outdir: string, entryPoints: Record<string, string>, logLevel: 'warning' | 'silent' = 'warning'): Promise<void> {
  await build({
    entryPoints,
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
    // in node_modules, as do its optional helpers. esbuild (which loads a user's roles) runs its own
    // binary, found from its package.
    external: ['ssh2', 'cpu-features', '*.node', 'esbuild'],
    // CommonJS dependencies inside an ES module bundle need require().
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; " +
        "const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __fu(new URL('.', import.meta.url));",
    },
    logLevel,
    legalComments: 'none',
  });
}
