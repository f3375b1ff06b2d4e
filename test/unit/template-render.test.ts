import { describe, expect, it } from 'vitest';
import { StepError } from '../../src/core/errors.ts';
import { Secret } from '../../src/core/secret.ts';
import { renderTemplate, revealSecrets } from '../../src/core/template.ts';

// Templates are only read from templates/: the engine's own test template lives there.
describe('renderTemplate', () => {
  it('renders raw (no HTML escaping) and reveals secrets only inside the file', () => {
    const out = renderTemplate('_test/example.conf.ejs', { name: 'a<b>&"c"', password: new Secret('s3cret-value'), items: [1, 2] });
    expect(out).toBe('name a<b>&"c"\npassword s3cret-value\nitem 1\nitem 2\n');
  });

  it('names an undefined variable instead of rendering "undefined"', () => {
    expect(() => renderTemplate('_test/example.conf.ejs', { name: 'x', items: [] })).toThrow(/template _test\/example.conf.ejs line 2: prints an undefined value/);
    expect(() => renderTemplate('_test/example.conf.ejs', { name: 'x', items: [] })).toThrow(StepError);
  });

  it('refuses a template outside templates/', () => {
    expect(() => renderTemplate('../package.json', {})).toThrow(/outside the templates\/ directory/);
  });

  it('reveals nested secrets', () => {
    expect(revealSecrets({ a: [new Secret('x1')], b: { c: new Secret('y2') } })).toEqual({ a: ['x1'], b: { c: 'y2' } });
  });
});
