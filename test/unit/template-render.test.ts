import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StepError } from '../../src/core/errors.ts';
import { Secret } from '../../src/core/secret.ts';
import { findTemplate, renderTemplate, revealSecrets } from '../../src/core/template.ts';

const fixtures = path.join(import.meta.dirname, '..', 'fixtures');
const example = path.join(fixtures, 'example.conf.ejs');

describe('renderTemplate', () => {
  it('renders raw (no HTML escaping) and reveals secrets only inside the file', () => {
    const out = renderTemplate(example, { name: 'a<b>&"c"', password: new Secret('s3cret-value'), items: [1, 2] });
    expect(out).toBe('name a<b>&"c"\npassword s3cret-value\nitem 1\nitem 2\n');
  });

  it('names an undefined variable instead of rendering "undefined"', () => {
    expect(() => renderTemplate(example, { name: 'x', items: [] }, 'example.conf.ejs')).toThrow(/template example.conf.ejs line 2: prints an undefined value/);
    expect(() => renderTemplate(example, { name: 'x', items: [] })).toThrow(StepError);
  });

  it('reveals nested secrets', () => {
    expect(revealSecrets({ a: [new Secret('x1')], b: { c: new Secret('y2') } })).toEqual({ a: ['x1'], b: { c: 'y2' } });
  });
});

describe('findTemplate', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'scaleup-templates-'));
  const own = path.join(root, 'roles', 'web', 'templates');
  const override = path.join(root, 'templates', 'web');
  mkdirSync(own, { recursive: true });
  mkdirSync(override, { recursive: true });
  writeFileSync(path.join(own, 'a.conf.ejs'), 'own a');
  writeFileSync(path.join(own, 'b.conf.ejs'), 'own b');
  writeFileSync(path.join(override, 'b.conf.ejs'), 'project b');
  const home = { dir: path.join(root, 'roles', 'web'), templateDirs: [override, own] };

  it('takes a file from the first folder that has it: a project overrides one template of a role', () => {
    expect(findTemplate(home, 'a.conf.ejs')).toBe(path.join(own, 'a.conf.ejs'));
    expect(findTemplate(home, 'b.conf.ejs')).toBe(path.join(override, 'b.conf.ejs'));
  });

  it('names where it looked when no folder has the file', () => {
    expect(() => findTemplate(home, 'c.conf.ejs', 'role web')).toThrow(/template c.conf.ejs of role web not found; looked in .*templates\/web, .*roles\/web\/templates/);
  });

  it('refuses a path out of the role\'s templates', () => {
    expect(() => findTemplate(home, '../../../package.json')).toThrow(/outside the role's templates folder/);
  });

  it('refuses a role with no folder', () => {
    expect(() => findTemplate(undefined, 'a.conf.ejs', 'role mem')).toThrow(/role mem was not loaded from a folder/);
  });
});

describe('a template whose code does not compile', () => {
  it('is found before anything connects, at the template\'s line', async () => {
    const { templateSyntaxErrors } = await import('../../src/core/template.ts');
    const root = mkdtempSync(path.join(tmpdir(), 'scaleup-ejs-'));
    writeFileSync(path.join(root, 'good.conf.ejs'), 'a <%= locals.x %>\n');
    writeFileSync(path.join(root, 'bad.conf.ejs'), '# line 1\n<% for (const s of locals.servers) { -%>\nserver <%= s.name %>\n<% } } -%>\nend\n');
    const errors = templateSyntaxErrors({ dir: root, templateDirs: [root] });
    expect(errors.map((e) => [path.basename(e.file), e.line])).toEqual([['bad.conf.ejs', 4]]);
    expect(errors[0]!.reason).toMatch(/Unexpected token/);
    expect(() => renderTemplate(path.join(root, 'bad.conf.ejs'), { servers: [] }, 'bad.conf.ejs')).toThrow(/template bad.conf.ejs line 4: Unexpected token/);
  });
});
