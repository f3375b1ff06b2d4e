// Bundles the CLI (engine, commands and roles) into one ES module, dist/provision.mjs, so a run
// (plus chunks loaded on demand) starts in a fraction of the time that loading ~150 TypeScript modules
// through tsx takes.
// bin/provision.js uses the bundle when it is newer than every source file, else the sources.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { bundleCli, root } from './bundle.ts';

const outdir = path.join(root, 'dist');
rmSync(outdir, { recursive: true, force: true });
await bundleCli(outdir, {
  provision: path.join(root, 'src/cli/main.ts'),
  // The public API (package.json's exports), for a program that imports scaleup; roles get it bound for them.
  api: path.join(root, 'src/api.ts'),
  // The connection keeper is a process of its own (bin/provision.js __keeper): it loads only what it uses.
  keeper: path.join(root, 'src/core/connection/kept/keeper.ts'),
});
