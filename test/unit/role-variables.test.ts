// Role variables declared once, as a zod object: the defaults and secret names derived from it, and
// the checks made before connecting — each inventory value against its variable's schema, located in
// the file, never quoting a secret.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vars, z } from '../../src/api.ts';
import { InventoryError, InventoryErrors } from '../../src/core/errors.ts';
import { readInventory } from '../../src/core/inventory.ts';
import type { Inventory, Vars } from '../../src/core/model.ts';
import { preflight } from '../../src/core/preflight.ts';
import { defineRole, type Role } from '../../src/core/role.ts';
import { Secret } from '../../src/core/secret.ts';
import { labInventory } from './roles-fixtures.ts';
import { listRoles, loadRole } from './builtin-roles.ts';

const web = defineRole({
  name: 'web',
  description: 'a role to check',
  variables: z.object({
    web_port: vars.port(8080, 'Port it listens on.'),
    web_workers: vars.count(4, 'Worker processes.'),
    web_mode: z.enum(['fast', 'safe']).default('safe').describe('How it runs.'),
    web_names: vars.list(['a'], 'Names it answers to.'),
    web_title: vars.text('hello', 'Page title.'),
    web_token: vars.secret('API token.'),
  }),
  required: ['web_token'],
  steps: () => [],
  validate: () => ['web: an invariant over the inventory'],
});

/** What preflight reports for `role` over the lab's web hosts, one message per line. */
function problems(inventory: Inventory, role: Role = web as unknown as Role): string[] {
  const hosts = (inventory.groups.get('web') ?? []).map((n) => inventory.hosts.get(n)!);
  try {
    preflight(inventory, [{ name: 'web', hosts, roles: [role] }], { projectRoot: '.' });
    return [];
  } catch (err) {
    if (err instanceof InventoryErrors) return err.errors.map((e) => e.reason);
    if (err instanceof InventoryError) return [err.reason];
    throw err;
  }
}
const lab = (all: Vars = {}) => labInventory({ all: { web_token: new Secret('t0ken'), ...all } });

describe('a role that declares its variables', () => {
  it('gets its defaults and its secrets from the schema', () => {
    expect(web.defaults).toEqual({ web_port: 8080, web_workers: 4, web_mode: 'safe', web_names: ['a'], web_title: 'hello', web_token: null });
    expect(web.secrets).toEqual(['web_token']);
    expect(web.variables).toBeDefined();
  });

  it('a variable without a default is named when the role is defined', () => {
    expect(() => defineRole({ name: 'bad', description: '', variables: z.object({ bad_port: z.number() }), steps: () => [] }))
      .toThrow("role bad: variables.bad_port: variable 'bad_port' has no default: give it .default(…) (null for none)");
  });

  it('a role written the old way (plain defaults) keeps working', () => {
    const old = defineRole<{ old_port: number }>({ name: 'old', description: '', defaults: { old_port: 1 }, steps: () => [] });
    expect(old.defaults).toEqual({ old_port: 1 });
    expect(old.variables).toBeUndefined();
    expect(problems(labInventory({ all: { old_port: 'x' } }), old as unknown as Role)).toEqual(["role old variable 'old_port' expected a number, got a string"]);
  });

  it('every shipped role declares its variables, each with a description', async () => {
    for (const name of listRoles()) {
      const role = await loadRole(name);
      expect(role.variables, name).toBeDefined();
      for (const [key, field] of Object.entries(role.variables!.shape)) expect(field.description, `${name}: ${key}`).toMatch(/\S/);
    }
  });
});

describe('preflight checks each value against its schema', () => {
  it('values that fit pass, and the role\'s own invariants run', () => {
    expect(problems(lab({ web_port: 80, web_mode: 'fast', web_title: 42 }))).toEqual(['web: an invariant over the inventory']);
  });

  it('names the role, the variable and what was expected; shows a plain value, never a secret', () => {
    expect(problems(lab({ web_port: 70000, web_workers: 0, web_mode: 'quick', web_names: ['ok', true], web_title: ['x'] }))).toEqual([
      "role web variable 'web_port' must be at most 65535, got 70000",
      "role web variable 'web_workers' must be at least 1, got 0",
      'role web variable \'web_mode\' must be "fast" or "safe", got "quick"',
      "role web variable 'web_names[1]' expected a string, got a boolean",
      "role web variable 'web_title' expected a string, got a list",
    ]);
    expect(problems(lab({ web_token: 12345 }))).toEqual([
      "role web variable 'web_token' expected a secret (from the vault), a string or null, got an integer",
    ]);
    expect(problems(lab({ web_port: 'eighty' }))).toEqual(["role web variable 'web_port' expected a number, got a string"]);
  });

  it('a value from the vault is a Secret, whatever the variable: not type-checked, never shown', () => {
    expect(problems(lab({ web_title: new Secret('x\ny') }))).toEqual(['web: an invariant over the inventory']);
  });

  it('refuses a line break in text that is written into a config line', () => {
    expect(problems(lab({ web_title: 'a\nb' }))).toEqual([
      "role web variable 'web_title' may not contain a line break or other control character (it is written into a config file line)",
    ]);
    expect(problems(lab({ web_names: ['a\rb'] }))[0]).toMatch(/^role web variable 'web_names' may not contain a line break/);
  });

  it('still needs required variables', () => {
    expect(problems(labInventory())).toEqual([
      "role web needs variable 'web_token' (set it in the inventory or the secrets file)",
      'web: an invariant over the inventory',
    ]);
  });
});

describe('a problem points at the line that sets the value', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-role-variables-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('file:line:column and the field, once for a group variable several hosts read', () => {
    const file = path.join(dir, 'inventory.yml');
    writeFileSync(file, `vars:
  web_token: t0ken
groups:
  web:
    vars:
      web_port: 0
    hosts:
      web-01: { address: 10.0.0.1 }
      web-02: { address: 10.0.0.2 }
`);
    const inventory = readInventory(file);
    const hosts = [...inventory.hosts.values()];
    let error: unknown;
    try {
      preflight(inventory, [{ name: 'web', hosts, roles: [web as unknown as Role] }], { projectRoot: '.' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InventoryError);
    expect((error as InventoryError).message).toMatch(/inventory\.yml:6:\d+: groups\.web\.vars\.web_port: role web variable 'web_port' must be at least 1, got 0$/);
  });
});
