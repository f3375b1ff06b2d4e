// Rewrites the variable table of every shipped role's README (between `<!-- variables:start -->` and
// `<!-- variables:end -->`) from the role's `variables` declaration; test/unit/role-docs.test.ts fails
// when one is stale. Run: npx tsx scripts/gen-role-docs.ts  (--check: fail if a README is stale).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { roleModules } from '../roles/index.ts';
import { withVariablesTable } from '../src/core/role-docs.ts';
import { packageRoot } from '../src/package-root.ts';

let stale = 0;
for (const [name, load] of Object.entries(roleModules)) {
  const file = path.join(packageRoot, 'roles', name, 'README.md');
  const current = readFileSync(file, 'utf8');
  const text = withVariablesTable(current, await load());
  if (text === current) continue;
  if (process.argv.includes('--check')) {
    process.stderr.write(`${path.relative(process.cwd(), file)} is out of date: run npx tsx scripts/gen-role-docs.ts\n`);
    stale++;
  } else {
    writeFileSync(file, text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
}
if (stale) process.exit(1);
