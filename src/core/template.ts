// Renders a role's EJS templates. Config files are not HTML: no escaping. EJS runs in strict
// mode without `with`, so a template reads `locals.x`; printing an undefined value is an error
// naming the template line, instead of a silent "undefined" in a live config.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import vm from 'node:vm';
import path from 'node:path';
import ejs from 'ejs';
import { StepError } from './errors.ts';
import type { RoleHome } from './role.ts';
import { Secret } from './secret.ts';

const cache = new Map<string, ejs.TemplateFunction>();

/**
 * The file a role's template `src` (relative, e.g. `nginx.conf.ejs`) names: the first of the role's
 * template folders that has it, so a project's `templates/<role>/` overrides one file of a role.
 */
export function findTemplate(home: RoleHome | undefined, src: string, role = 'this role'): string {
  if (!home) throw new StepError(`template ${src}: ${role} was not loaded from a folder, so it has no templates`);
  for (const dir of home.templateDirs) {
    const file = path.resolve(dir, src);
    if (!file.startsWith(path.resolve(dir) + path.sep)) throw new StepError(`template ${src}: outside the role's templates folder`);
    if (existsSync(file)) return file;
  }
  throw new StepError(`template ${src} of ${role} not found; looked in ${home.templateDirs.join(', ')}`);
}

const OPTIONS = {
  strict: true,
  _with: false,
  escape: (value: unknown) => {
    if (value === undefined || value === null) throw new UndefinedValue();
    return String(value);
  },
  async: false,
} as const;

/** A template whose code does not compile: the template's line (when found) and the reason. */
export class TemplateSyntaxError extends Error {
  constructor(readonly file: string, readonly line: number | undefined, readonly reason: string) {
    super(`${file}${line ? `:${line}` : ''}: ${reason}`);
  }
}

/**
 * The template line of a syntax error in a template's code. EJS says only "while compiling ejs":
 * the generated function is parsed again here, and the `__line = N` marker EJS writes before each
 * template line's code, last before the error, names the line.
 */
function syntaxErrorAt(text: string, file: string): { line?: number; reason?: string } {
  const Template = (ejs as unknown as { Template: new (t: string, o: object) => { generateSource(): void; source: string } }).Template;
  const generated = new Template(text, { ...OPTIONS, filename: file, compileDebug: true });
  generated.generateSource();
  const src = `(function (locals, escapeFn, include, rethrow) {\n"use strict";\n${generated.source}\n})`;
  try {
    new vm.Script(src, { filename: 'ejs-template' });
    return {};
  } catch (err) {
    const reason = err instanceof Error ? err.message : undefined;
    const at = /^ejs-template:(\d+)/.exec(String((err as Error).stack ?? ''));
    if (!at) return { reason };
    const before = src.split('\n').slice(0, Number(at[1])).reverse();
    const marker = before.map((l) => /; __line = (\d+)/.exec(l)).find(Boolean);
    return { line: marker ? Number(marker[1]) : 1, reason };
  }
}

/** Compiles (once) the template file; a template whose code does not parse is a TemplateSyntaxError. */
export function compileTemplate(file: string): ejs.TemplateFunction {
  const cached = cache.get(file);
  if (cached) return cached;
  const text = readFileSync(file, 'utf8');
  let fn: ejs.TemplateFunction;
  try {
    fn = ejs.compile(text, { ...OPTIONS, filename: file }) as ejs.TemplateFunction;
  } catch (err) {
    // EJS's own message is about the function it generated ("Missing catch or finally after try"):
    // the template's code parsed alone says what is wrong with it, and where.
    const found = syntaxErrorAt(text, file);
    const reason = found.reason ?? (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/ in \S+ while compiling ejs$/, '');
    throw new TemplateSyntaxError(file, found.line, reason);
  }
  cache.set(file, fn);
  return fn;
}

/** Replaces Secret values by their real value, deeply: templates are where secrets reach hosts. */
export function revealSecrets(value: unknown): unknown {
  if (value instanceof Secret) return value.reveal();
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}

class UndefinedValue extends Error {
  constructor() {
    super('prints an undefined value (a misspelt or unset variable?)');
  }
}

/** Renders the template file `file` (absolute; see findTemplate); errors name `src` and the line. */
export function renderTemplate(file: string, locals: Record<string, unknown>, src = path.basename(file)): string {
  let fn: ejs.TemplateFunction;
  try {
    fn = compileTemplate(file);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) throw new StepError(`template ${src}${err.line ? ` line ${err.line}` : ''}: ${err.reason}`);
    throw err;
  }
  const revealed = Object.fromEntries(Object.entries(locals).map(([k, v]) => [k, revealSecrets(v)]));
  try {
    return fn(revealed) as string;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // EJS's message is "path:LINE\n <source excerpt>\n\nreason": keep the line and the reason.
    const line = /:(\d+)\n/.exec(message)?.[1];
    const reason = message.split('\n').filter(Boolean).slice(-1)[0];
    throw new StepError(`template ${src}${line ? ` line ${line}` : ''}: ${reason}`);
  }
}

/**
 * Every template a role can render (its own and a project's overrides) compiled, before anything
 * connects: a syntax error in one is found even when no host needs that template in this run.
 */
export function templateSyntaxErrors(home: RoleHome | undefined): TemplateSyntaxError[] {
  const errors: TemplateSyntaxError[] = [];
  for (const dir of home?.templateDirs ?? []) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ejs')) continue;
      try {
        compileTemplate(path.join(entry.parentPath, entry.name));
      } catch (err) {
        if (err instanceof TemplateSyntaxError) errors.push(err);
        else throw err;
      }
    }
  }
  return errors;
}
