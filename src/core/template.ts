// Renders the project's EJS templates. Config files are not HTML: no escaping. EJS runs in strict
// mode without `with`, so a template reads `locals.x`; printing an undefined value is an error
// naming the template line, instead of a silent "undefined" in a live config.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import { StepError } from './errors.ts';
import { Secret } from './secret.ts';
import { projectRoot } from './paths.ts';

export const templatesDir = path.join(projectRoot, 'templates');

const cache = new Map<string, ejs.TemplateFunction>();

function compile(src: string): ejs.TemplateFunction {
  const cached = cache.get(src);
  if (cached) return cached;
  const file = path.resolve(templatesDir, src);
  if (!file.startsWith(templatesDir + path.sep)) {
    throw new StepError(`template ${src}: outside the templates/ directory`);
  }
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
  cache.set(src, fn);
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

export function renderTemplate(src: string, locals: Record<string, unknown>): string {
  const fn = compile(src);
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
