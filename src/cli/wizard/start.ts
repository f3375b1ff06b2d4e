// The first question: open one of the project's inventories (inventory/*.yml) or create one.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { input, select } from '@inquirer/prompts';
import { readInventory } from '../../core/inventory.ts';
import { loadProjectConfig } from '../../core/project-config.ts';
import type { Inventory } from '../../core/model.ts';
import type { WizardContext } from './context.ts';
import { asValidate, expandHome } from './validate.ts';

export type StartChoice = { kind: 'open'; file: string } | { kind: 'create' };

/** The project's inventories: scaleup.yml's first, then inventory/*.yml|yaml of the project folder, sorted. */
export function listInventories(cwd: string): string[] {
  const configured = loadProjectConfig(cwd).settings.inventory;
  const dir = path.join(cwd, 'inventory');
  const found = !existsSync(dir) || !statSync(dir).isDirectory() ? [] : readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.'))
    .sort()
    .map((f) => path.join(dir, f));
  return configured && existsSync(configured) ? [configured, ...found.filter((f) => f !== configured)] : found;
}

/** `5 hosts · lb: lb-01, lb-02 · web: web-01 · … · VIP 10.0.0.100`. */
export function describeInventory(inv: Inventory): string {
  const groups = [...inv.groups].map(([g, hosts]) => `${g}: ${hosts.join(', ')}`);
  const vip = [...inv.hosts.values()].map((h) => h.vars.vip).find((v) => typeof v === 'string');
  return [`${inv.hosts.size} host${inv.hosts.size === 1 ? '' : 's'}`, ...groups, ...(vip ? [`VIP ${String(vip)}`] : [])].join(' · ');
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!;
}

function inventoryFileProblem(value: string, cwd: string): string | undefined {
  if (!value) return 'enter the path of an inventory file';
  const abs = path.resolve(cwd, expandHome(value));
  if (!existsSync(abs)) return `${value}: no such file`;
  try {
    readInventory(abs);
  } catch (err) {
    return firstLine(err);
  }
  return undefined;
}

export async function chooseStart(ctx: WizardContext): Promise<StartChoice> {
  const files = listInventories(ctx.cwd);
  if (!files.length) {
    ctx.say('There is no inventory in inventory/ yet: let\'s create one.');
    return { kind: 'create' };
  }
  const choices = files.map((file) => {
    const name = ctx.show(file);
    try {
      return { name, value: `open:${file}`, description: describeInventory(readInventory(file)) };
    } catch (err) {
      return { name, value: `open:${file}`, disabled: `(invalid: ${firstLine(err).slice(0, 70)})` };
    }
  });
  const picked = await select<string>({
    message: 'Which inventory?',
    choices: [
      ...choices,
      { name: 'Create a new inventory', value: 'create', description: 'Asks for the hosts, the login and the VIP, then writes the files.' },
      { name: 'Open another file…', value: 'other', description: 'An inventory outside inventory/.' },
    ],
  });
  if (picked === 'create') return { kind: 'create' };
  if (picked === 'other') {
    const file = await input({ message: 'Inventory file', validate: asValidate((v) => inventoryFileProblem(v, ctx.cwd)) });
    return { kind: 'open', file: path.resolve(ctx.cwd, expandHome(file.trim())) };
  }
  return { kind: 'open', file: picked.slice('open:'.length) };
}
