// Finding roles: a project's own (TypeScript, loaded with no build step), roles_path, the built-in
// ones; the first of a name wins, and a project can replace one template of any role.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoleSource } from '../../src/cli/role-sources.ts';
import { directoryRoleSource } from '../../src/core/directory-role-source.ts';
import { InventoryError } from '../../src/core/errors.ts';
import { Secret } from '../../src/core/secret.ts';
import { findTemplate } from '../../src/core/template.ts';
import { asyncErrorOf } from './thrown-errors.ts';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-project-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const motdRole = `
import { defineRole, file, Secret, type Step } from 'scaleup';
import { greeting } from './greeting.ts';

type MotdVars = { motd_text: string };

export default defineRole<MotdVars>({
  name: 'motd',
  description: 'a message of the day',
  defaults: { motd_text: greeting() },
  steps: (v): Step[] => [file.template({ src: 'motd.ejs', dest: '/etc/motd', mode: '0644' })],
});
export const made = new Secret('x');
`;

async function errorOf(p: Promise<unknown>): Promise<InventoryError> {
  const err = await asyncErrorOf(p);
  expect(err).toBeInstanceOf(InventoryError);
  return err as InventoryError;
}

describe('a project role', () => {
  it('is TypeScript loaded as it is: its own imports resolve, scaleup is the engine\'s own API', async () => {
    const dir = project({
      'roles/motd/index.ts': motdRole,
      'roles/motd/greeting.ts': 'export const greeting = (): string => "hello";\n',
      'roles/motd/templates/motd.ejs': '<%= locals.motd_text %>\n',
      'roles/notarole/README.md': 'no index file\n',
    });
    const source = directoryRoleSource(path.join(dir, 'roles'));
    expect(source.list()).toEqual(['motd']);
    const role = (await source.load('motd'))!;
    expect(role.defaults).toEqual({ motd_text: 'hello' });
    expect(role.home!.dir).toBe(path.join(dir, 'roles', 'motd'));
    expect(findTemplate(role.home, 'motd.ejs')).toBe(path.join(dir, 'roles/motd/templates/motd.ejs'));
    const steps = role.steps(role.defaults, {} as never);
    expect(steps.map((s) => s.name)).toEqual(['template /etc/motd']);
  });

  it('a syntax error is one message with the file, line and column, before anything connects', async () => {
    const dir = project({ 'roles/broken/index.ts': 'import { defineRole } from "scaleup";\nexport default defineRole({\n  name: "broken",,\n});\n' });
    const err = await errorOf(directoryRoleSource(path.join(dir, 'roles')).load('broken'));
    expect(err.location).toMatchObject({ file: path.join(dir, 'roles/broken/index.ts'), line: 3, column: 18 });
    expect(err.message).toMatch(/index\.ts:3:18: role source: Expected identifier but found ","/);
  });

  it('may import only scaleup itself, not its internals', async () => {
    const dir = project({ 'roles/inner/index.ts': 'import { quote } from "scaleup/src/core/quote.ts";\nexport default quote;\n' });
    const err = await errorOf(directoryRoleSource(path.join(dir, 'roles')).load('inner'));
    expect(err.message).toMatch(/index\.ts:1:23: .*a role imports only from 'scaleup' itself/);
  });

  it('must export a role named as its folder', async () => {
    const dir = project({ 'roles/web/index.ts': 'import { defineRole } from "scaleup";\nexport default defineRole({ name: "www", description: "", defaults: {}, steps: () => [] });\n' });
    const err = await errorOf(directoryRoleSource(path.join(dir, 'roles')).load('web'));
    expect(err.message).toMatch(/role web: its name is "www", but its folder says "web"/);
  });

  it('a Secret made by a role is the engine\'s Secret (it masks itself)', async () => {
    const dir = project({ 'roles/motd/index.ts': motdRole, 'roles/motd/greeting.ts': 'export const greeting = () => "hi";\n' });
    const { importRoleModule } = await import('../../src/core/role-module.ts');
    const mod = await importRoleModule(path.join(dir, 'roles/motd/index.ts'));
    expect(mod.made).toBeInstanceOf(Secret);
  });
});

describe('the roles a project sees', () => {
  const nginx = 'import { defineRole } from "scaleup";\nexport default defineRole({ name: "nginx", description: "mine", defaults: {}, steps: () => [] });\n';

  it('its own roles/, then roles_path, then the built-in ones; the first of a name wins', async () => {
    const shared = project({ 'extra/motd/index.ts': motdRole, 'extra/motd/greeting.ts': 'export const greeting = () => "hi";\n', 'extra/nginx/index.ts': nginx.replace('mine', 'shared') });
    const dir = project({ 'roles/nginx/index.ts': nginx });
    const roles = projectRoleSource({ projectRoot: dir, rolesPath: [path.join(shared, 'extra')] });
    expect(roles.list()).toEqual(expect.arrayContaining(['app', 'baseline', 'haproxy', 'motd', 'nginx']));
    expect((await roles.require('nginx')).description).toBe('mine');
    expect((await roles.require('motd')).home!.dir).toBe(path.join(shared, 'extra', 'motd'));
    expect((await roles.require('haproxy')).description).toMatch(/HAProxy/);
    await expect(roles.require('nope')).rejects.toThrow(/unknown role 'nope'; roles are: app, baseline/);
  });

  it('templates/<role>/<file> in the project replaces that one template of a built-in role', async () => {
    const dir = project({ 'templates/haproxy/haproxy.cfg.ejs': '# mine\n' });
    const haproxy = await projectRoleSource({ projectRoot: dir, rolesPath: [] }).require('haproxy');
    expect(findTemplate(haproxy.home, 'haproxy.cfg.ejs')).toBe(path.join(dir, 'templates/haproxy/haproxy.cfg.ejs'));
    const keepalived = await projectRoleSource({ projectRoot: dir, rolesPath: [] }).require('keepalived');
    expect(findTemplate(keepalived.home, 'keepalived.conf.ejs')).toMatch(/roles\/keepalived\/templates\/keepalived.conf.ejs$/);
  });
});
