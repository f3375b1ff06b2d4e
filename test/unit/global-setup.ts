// Builds the CLI once for every unit suite that starts it, the way `npm run build` does
// (scripts/build.ts), into a private folder: through the TypeScript sources (tsx) each start
// loads ~150 modules and takes seconds on a busy machine; the bundle starts in a fraction of that.
// Not into dist/: the sources change under the suite while others edit them, and a rebuild of dist/
// would pull the bundle from under a `provision` someone else is running.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleCli, root } from '../../scripts/bundle.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A script that runs the freshly bundled CLI as bin/provision.js runs dist/provision.mjs. */
    cliEntry: string;
    /** Why the bundle could not be built (sources in the middle of an edit): the suites that start the CLI fail with it. */
    cliBuildError: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  // Inside the project, so that the bundle finds the project root (roles/, templates/) and the
  // packages it leaves external (ssh2) as dist/ does.
  const cache = path.join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const outdir = mkdtempSync(path.join(cache, 'scaleup-unit-cli-'));
  // Readable by all: a test runs the CLI as another user (a path that user may not write).
  chmodSync(outdir, 0o755);
  try {
    await bundleCli(outdir, { provision: path.join(root, 'src/cli/main.ts') }, 'silent');
  } catch (err) {
    project.provide('cliBuildError', err instanceof Error ? err.message : String(err));
  }
  const entry = path.join(outdir, 'entry.mjs');
  writeFileSync(entry, "import { main } from './provision.mjs';\nprocess.exitCode = await main(process.argv);\n");
  project.provide('cliEntry', entry);
  return () => rmSync(outdir, { recursive: true, force: true });
}
