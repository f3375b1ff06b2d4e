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
 *
 * Every secret is masked, whatever its length. A value of 4 characters or more is masked wherever it
 * occurs. A shorter one (a weak password, a PIN) would also match inside ordinary words, so it is
 * masked only as a whole token: where no letter, digit or `_` touches it on either side. `pw=ab;`
 * becomes `pw=***;`, while `table` keeps its `ab`. The cost is that a secret like `a` masks every
 * standalone word `a` as well: such a value is barely a secret, and masking too much is the safe
 * side. A short secret glued to a word (`xab1`) is not masked, so a secret should be long.
 */
export class Redactor {
  /** Every form of every secret; a short one with the pattern that finds it as a whole token. */
  #forms = new Map<string, RegExp | undefined>();

  add(value: string | Secret): void {
    const v = value instanceof Secret ? value.reveal() : value;
    // An empty value would match everywhere; it hides nothing anyway.
    if (v === '') return;
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
      if (form === '' || this.#forms.has(form)) continue;
      this.#forms.set(form, form.length < SHORT ? new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(form)}(?![\\p{L}\\p{N}_])`, 'gu') : undefined);
    }
  }

  redact(text: string): string {
    // Where each form occurs in the text as given, then each run of overlapping or touching
    // occurrences masked as one: two secrets that overlap are both hidden whole, and redacting a
    // redacted text changes nothing (a secret `*` would otherwise grow every `***`).
    const spans: [number, number][] = [];
    for (const [form, token] of this.#forms) {
      if (token) {
        for (const m of text.matchAll(token)) spans.push([m.index, m.index + form.length]);
      } else {
        for (let i = text.indexOf(form); i !== -1; i = text.indexOf(form, i + 1)) spans.push([i, i + form.length]);
      }
    }
    if (!spans.length) return text;
    spans.sort((x, y) => x[0] - y[0]);
    let out = '';
    let at = 0;
    for (let k = 0; k < spans.length; ) {
      const start = spans[k]![0];
      let end = spans[k]![1];
      for (k++; k < spans.length && spans[k]![0] <= end; k++) end = Math.max(end, spans[k]![1]);
      out += text.slice(at, start) + REDACTED;
      at = end;
    }
    return out + text.slice(at);
  }
}

/** Secrets shorter than this are masked only as whole tokens (see Redactor). */
const SHORT = 4;

function escapeRegExp(s: string): string {
  // Only the syntax characters: in a `u` pattern, escaping anything else is an error.
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/**
 * Redacts a unified diff. When either side of it holds a known secret, the file holds secrets, so
 * every removed line is hidden: a line the new version drops may hold a secret the redactor never
 * knew (the password before a rotation, one the new version no longer sets). A file a role declares
 * secret never reaches here with content (FileContentOptions.secret).
 */
export function redactDiff(diff: string, redactor: Redactor): string {
  const redacted = redactor.redact(diff);
  if (redacted === diff) return diff;
  return redacted
    .split('\n')
    .map((line) => (line.startsWith('-') && !line.startsWith('---') ? '-*** (a line of a file that holds secrets: hidden)' : line))
    .join('\n');
}
