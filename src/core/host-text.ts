// Text a host sends back (stderr, diffs, a lock holder's description) is not trusted: a local user on
// the host can put terminal escape sequences in it that would rewrite a person's screen, hide lines of
// a diff or set a window title. Everything from a host passes through here before it is shown or
// stored in a result file: control characters become visible escapes, tabs and line breaks stay.

// C0 controls except tab and line feed, DEL, and the C1 controls (U+0080–U+009F, 8-bit CSI among them).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// What makes text read otherwise than it is without being a control character: format characters
// (bidi overrides and isolates, zero-width ones), the line and paragraph separators, noncharacters and
// lone surrogates (XML forbids them: a JUnit file holding one is unreadable, and its report lost).
const DECEPTIVE = /[\p{Cf}\p{Zl}\p{Zp}\uFFFE\uFFFF]|\p{Cs}/gu;

/** `text` with every control character but tab and newline shown as `\xNN` (a lone CR too), and format characters as `\u{…}`. */
export function safeHostText(text: string): string {
  return text
    .replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(DECEPTIVE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** One line of host text: line breaks escaped as well (for a holder name, a one-line summary). */
export function safeHostLine(text: string): string {
  return safeHostText(text).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

/** `value` with every string in it (object keys too) passed through safeHostText: facts, checks as JSON. */
export function safeHostData(value: unknown): unknown {
  if (typeof value === 'string') return safeHostText(value);
  if (Array.isArray(value)) return value.map(safeHostData);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [safeHostText(k), safeHostData(v)]));
  }
  return value;
}
