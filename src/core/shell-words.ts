// Splits a line into words as Python's shlex does with POSIX rules: whitespace separates, '…' is
// literal, "…" honours \" \\ \$ \`, a backslash outside quotes escapes the next character, and `#`
// starts a comment. Ansible reads INI host lines and ansible_ssh_common_args this way.

export interface ShellWord {
  /** The word with its quotes and escapes removed. */
  text: string;
  /** 0-based offset of the word's first character in the line. */
  offset: number;
  /** The unquoted text before the first unquoted `=`, when the word has one (`key=value`). */
  key?: string;
  value?: string;
  /** 0-based offset of the value (just after that `=`). */
  valueOffset?: number;
}

/** A line that cannot be split (an unterminated quote); `offset` is 0-based. */
export class ShellWordsError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(reason);
  }
}

export function splitShellWords(line: string, options: { comments?: boolean } = {}): ShellWord[] {
  const comments = options.comments ?? true;
  const out: ShellWord[] = [];
  let i = 0;
  const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  while (i < line.length) {
    while (i < line.length && isSpace(line[i]!)) i++;
    if (i >= line.length || (comments && line[i] === '#')) break;
    const start = i;
    let text = '';
    let eqAt: number | undefined;
    let keyText: string | undefined;
    while (i < line.length && !isSpace(line[i]!) && !(comments && line[i] === '#')) {
      const c = line[i]!;
      if (c === "'" || c === '"') {
        const close = closingQuote(line, i, c);
        if (close < 0) throw new ShellWordsError(`unterminated ${c === '"' ? 'double' : 'single'} quote`, i);
        const inner = line.slice(i + 1, close);
        text += c === '"' ? inner.replace(/\\(["\\$`])/g, '$1') : inner;
        i = close + 1;
      } else if (c === '\\' && i + 1 < line.length) {
        text += line[i + 1];
        i += 2;
      } else {
        if (c === '=' && eqAt === undefined) {
          eqAt = i;
          keyText = text;
        }
        text += c;
        i++;
      }
    }
    const w: ShellWord = { text, offset: start };
    if (eqAt !== undefined) {
      w.key = keyText!;
      w.value = text.slice(keyText!.length + 1);
      w.valueOffset = eqAt + 1;
    }
    out.push(w);
  }
  return out;
}

function closingQuote(line: string, open: number, quote: string): number {
  for (let j = open + 1; j < line.length; j++) {
    if (quote === '"' && line[j] === '\\') j++;
    else if (line[j] === quote) return j;
  }
  return -1;
}
