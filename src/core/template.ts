// Renders a role's EJS templates. Config files are not HTML: no escaping. EJS runs in strict
// mode without `with`, so a template reads `locals.x`; printing an undefined value is an error
// naming the template line, instead of a silent "undefined" in a live config.
import { existsSync, readFileSync } from 'node:fs';
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

function compile(file: string): ejs.TemplateFunction {
  const cached = cache.get(file);
  if (cached) return cached;
  const fn = ejs.compile(readFileSync(file, 'utf8'), {
    filename: file,
    strict: true,
    _with: false,
    escape: (value: unknown) => {
      if (value === undefined || value === null) throw new UndefinedValue();
      return String(value);
    },
    async: false,
  }) as ejs.TemplateFunction;
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
  const fn = compile(file);
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
