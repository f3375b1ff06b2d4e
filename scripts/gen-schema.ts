// Writes docs/inventory.schema.json from the zod schema of the native inventory, so editors
// (yaml-language-server: `# yaml-language-server: $schema=../docs/inventory.schema.json`) autocomplete
// and check inventories. Run: npx tsx scripts/gen-schema.ts  (--check: fail if the file is stale).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { NativeInventory } from '../src/core/inventory-schema.ts';
import { projectRoot } from '../src/core/paths.ts';

const target = path.join(projectRoot, 'docs', 'inventory.schema.json');
const schema = z.toJSONSchema(NativeInventory, { io: 'input', target: 'draft-2020-12' });
const text = `${JSON.stringify(schema, null, 2)}\n`;

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
