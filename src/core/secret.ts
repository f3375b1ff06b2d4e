import { inspect } from 'node:util';

/**
 * A secret value. It prints as `***` through every path a value can leak by (template literals,
 * JSON, util.inspect, console.log); only `reveal()` gives the real value, and the engine calls it
 * only where the value must reach a host (rendered files, SQL sent on stdin).
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '***';
  }

  toJSON(): string {
    return '***';
  }

  [inspect.custom](): string {
    return '***';
  }
}

export const REDACTED = '***';

/**
 * Masks every known secret value in text. All output that may carry host data (stderr, diffs,
 * commands, JSON results) passes through one of these, so a secret that reached a host through a
 * template cannot come back out through a diff or an error message.
 */
export class Redactor {
  #values: string[] = [];

  add(value: string | Secret): void {
    const v = value instanceof Secret ? value.reveal() : value;
    // Very short values would mask ordinary words; secrets are generated long, so skip < 4 chars.
    if (v.length < 4) return;
    // A secret reaches hosts escaped for its file (shell, env file, SQL, JSON): mask those forms too.
    const forms = [
      v,
      JSON.stringify(v).slice(1, -1),
      v.replace(/(["\\$`])/g, '\\$1'),
      v.replace(/'/g, `'\\''`),
      v.replace(/\\/g, '\\\\').replace(/'/g, "\\'"),
      v.replace(/'/g, "''"),
      Buffer.from(v).toString('base64').replace(/=+$/, ''),
    ];
    for (const form of forms) {
      if (!this.#values.includes(form)) this.#values.push(form);
    }
    this.#values.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const v of this.#values) out = out.split(v).join(REDACTED);
    return out;
  }
}

/**
 * Redacts a unified diff. When the file holds a secret now, its removed lines may hold the secret it
 * had before (a rotated password the redactor never knew): those lines are hidden entirely.
 */
export function redactDiff(diff: string, redactor: Redactor): string {
  const redacted = redactor.redact(diff);
  if (redacted === diff) return diff;
  return redacted
    .split('\n')
    .map((line) => (line.startsWith('-') && !line.startsWith('---') ? '-*** (a line of a file that holds secrets: hidden)' : line))
    .join('\n');
}
