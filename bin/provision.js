#!/usr/bin/env node
// Entry shim. Runs the bundled CLI (dist/provision.mjs, `npm run build`): always in an installed
// package, and in a checkout when it is newer than every source file; otherwise it loads the
// TypeScript sources through tsx, so a fresh edit always counts.
// `provision __keeper SOCKET` is the connection keeper's process (dist/keeper.mjs).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist', 'provision.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  if (process.env.SCALEUP_FROM_SOURCE === '1' || !existsSync(bundle)) return false;
  // An installed package has no lock file (npm never packs one): its bundle is what it ships, whatever
  // order npm wrote the files in.
  const lock = path.join(root, 'package-lock.json');
  if (!existsSync(lock)) return true;
  const built = statSync(bundle).mtimeMs;
  return ['src', 'roles'].every((d) => newestSource(path.join(root, d)) <= built) && statSync(lock).mtimeMs <= built;
}

const fresh = bundleIsFresh();
if (!fresh) {
  const { register } = await import('tsx/esm/api');
  // scaleup's own tsconfig, whatever the working directory: it maps the roles' `scaleup` imports to src/api.ts.
  register({ tsconfig: path.join(root, 'tsconfig.json') });
}
if (process.argv[2] === '__keeper') {
  // The connection keeper (src/cli/connection-keeper.ts starts it): its own small entry, not the CLI.
  const { runKeeper } = await import(fresh ? path.join(root, 'dist', 'keeper.mjs') : '../src/core/connection/kept/keeper.ts');
  await runKeeper(process.argv[3]);
  process.exit(0);
}
const { main } = await import(fresh ? bundle : '../src/cli/main.ts');
process.exitCode = await main(process.argv);
