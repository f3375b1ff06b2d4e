// Writes docs/inventory.schema.json and docs/scaleup.schema.json from the zod schemas of the native
// inventory and of a project's scaleup.yml, so editors (yaml-language-server:
// `# yaml-language-server: $schema=../docs/inventory.schema.json`) autocomplete and check them.
// Run: npx tsx scripts/gen-schema.ts  (--check: fail if a file is stale).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { NativeInventory } from '../src/core/inventory-schema.ts';
import { ProjectConfigSchema } from '../src/core/project-config.ts';
import { packageRoot as projectRoot } from '../src/package-root.ts';

for (const [file, zodSchema] of [['inventory.schema.json', NativeInventory], ['scaleup.schema.json', ProjectConfigSchema]] as const) {
  writeOrCheck(path.join(projectRoot, 'docs', file), `${JSON.stringify(z.toJSONSchema(zodSchema, { io: 'input', target: 'draft-2020-12' }), null, 2)}\n`);
}

function writeOrCheck(target: string, text: string): void {
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current !== text) {
    process.stderr.write(`${path.relative(process.cwd(), target)} is out of date: run npx tsx scripts/gen-schema.ts\n`);
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
}
}
