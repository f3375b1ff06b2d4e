// Each shipped role's README holds the table generated from its variables (scripts/gen-role-docs.ts):
// a variable added, renamed or re-described in code and not in the README fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { vars, z } from '../../src/api.ts';
import { variablesTable, withVariablesTable } from '../../src/core/role-docs.ts';
import { defineRole, type Role } from '../../src/core/role.ts';
import { listRoles, loadRole, rolesDir } from './builtin-roles.ts';

describe('role READMEs', () => {
  it.each(listRoles())('%s: the variable table is the one its variables make (npx tsx scripts/gen-role-docs.ts)', async (name) => {
    const readme = readFileSync(path.join(rolesDir, name, 'README.md'), 'utf8');
    expect(readme, `roles/${name}/README.md is stale: run npx tsx scripts/gen-role-docs.ts`).toBe(withVariablesTable(readme, await loadRole(name)));
  });
});

describe('the variable table', () => {
  const role = defineRole({
    name: 'demo',
    description: '',
    variables: z.object({
      demo_port: vars.port(80, 'Port | the one it listens on.'),
      demo_mode: z.enum(['a', 'b']).default('a').describe('Mode.'),
      demo_level: z.number().int().min(1).max(9).nullable().default(null).describe('Level; null = automatic.'),
      demo_hosts: vars.list([], 'Hosts.'),
      demo_env: z.record(z.string(), z.string()).default({ A: 'x y' }).describe('Environment.'),
      demo_flag: vars.flag(false, 'A switch.'),
      demo_key: vars.secret('The key.'),
    }),
    required: ['demo_key'],
    steps: () => [],
  }) as unknown as Role;

  it('one row per variable: type and range, default as YAML, secrets as (secret), required ones marked', () => {
    expect(variablesTable(role).split('\n')).toEqual([
      '| Variable | Type | Default | Description |',
      '| --- | --- | --- | --- |',
      '| `demo_port` | integer 1–65535 | `80` | Port \\| the one it listens on. |',
      '| `demo_mode` | `a` or `b` | `a` | Mode. |',
      '| `demo_level` | integer 1–9 or null | — | Level; null = automatic. |',
      '| `demo_hosts` | list of strings | `[]` | Hosts. |',
      '| `demo_env` | map: key → string | `{ A: x y }` | Environment. |',
      '| `demo_flag` | boolean | `false` | A switch. |',
      '| `demo_key` | secret, required | (secret) | The key. |',
    ]);
  });

  it('replaces only what is between the markers', () => {
    const readme = 'intro\n<!-- variables:start -->\nold table\n<!-- variables:end -->\n\nafter\n';
    expect(withVariablesTable(readme, role)).toBe(`intro\n<!-- variables:start -->\n${variablesTable(role)}\n<!-- variables:end -->\n\nafter\n`);
    expect(() => withVariablesTable('no markers', role)).toThrow(/README of role demo has no <!-- variables:start -->/);
  });
});
