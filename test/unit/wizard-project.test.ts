// The wizard opens the project it is started in: from any folder below scaleup.yml, that project's
// root, with the inventory scaleup.yml names offered first.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { wizardContext } from '../../src/cli/wizard/context.ts';
import { listInventories } from '../../src/cli/wizard/start.ts';

const started = process.cwd();
afterEach(() => process.chdir(started));

describe('the wizard in a project', () => {
  it('works from the project root and offers scaleup.yml\'s inventory first', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'scaleup-wizard-'));
    mkdirSync(path.join(root, 'inventory'));
    mkdirSync(path.join(root, 'roles', 'web'), { recursive: true });
    for (const f of ['a.yml', 'prod.yml']) writeFileSync(path.join(root, 'inventory', f), 'groups: {}\n');
    writeFileSync(path.join(root, 'scaleup.yml'), 'inventory: inventory/prod.yml\n');
    process.chdir(path.join(root, 'roles', 'web'));
    const ctx = wizardContext({});
    expect(ctx.cwd).toBe(root);
    expect(listInventories(ctx.cwd)).toEqual([path.join(root, 'inventory/prod.yml'), path.join(root, 'inventory/a.yml')]);
  });
});
