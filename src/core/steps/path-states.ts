// Type, owner, group and mode of every path a batch asks about from one `stat`, and the sha256 of the
// regular files among them from one `sha256sum` (Step.shared): a file step costs its host no process
// of its own. Each answer reads as the step's own probe would have printed it (probe-output.ts).
import { quote } from '../quote.ts';
import type { ProbeOutput, SharedProbe, SharedProbeKind } from './step.ts';

/** Marks a key asking for the file's content hash too, not only its state (no path holds a NUL). */
const HASH = '\0';

/** `%N` quoted as C strings: a name or a link's target holding a line break stays on its line. */
const STAT_FORMAT = '%U:%G:%a:%F:%N\\n';

function command(keys: string[]): string {
  const paths = [...new Set(keys.map((k) => (k.startsWith(HASH) ? k.slice(1) : k)))];
  const hashed = [...new Set(keys.filter((k) => k.startsWith(HASH)).map((k) => k.slice(1)))];
  const list = (xs: string[]) => xs.map(quote).join(' ');
  // One mark per path (shell builtins), then one line per existing path from a single stat; the same
  // for the regular files to hash. A name never travels in the marks, so none can forge another's.
  return [
    'set --',
    `for p in ${list(paths)}; do if [ -L "$p" ] || [ -e "$p" ]; then echo 1; set -- "$@" "$p"; else echo 0; fi; done`,
    'echo --',
    `[ $# -eq 0 ] || QUOTING_STYLE=c stat --printf '${STAT_FORMAT}' -- "$@"`,
    'echo --',
    'set --',
    ...(hashed.length ? [`for p in ${list(hashed)}; do if [ ! -L "$p" ] && [ -f "$p" ]; then echo 1; set -- "$@" "$p"; else echo 0; fi; done`] : []),
    'echo --',
    '[ $# -eq 0 ] || sha256sum -- "$@"',
    'true',
  ].join('\n');
}

const C_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, '?': 63, "'": 39 };

/** The text of a C-quoted string's inside (`\n`, `\"`, `\303\251`…), as UTF-8. */
export function unquoteC(inside: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < inside.length; i++) {
    const c = inside[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const octal = /^[0-7]{1,3}/.exec(inside.slice(i + 1));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += octal[0].length;
    } else {
      const e = inside[++i] ?? '';
      bytes.push(C_ESCAPES[e] ?? e.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

interface PathState {
  type: string;
  owner: string;
  group: string;
  mode: string;
  target?: string;
}

interface Parsed {
  states: Map<string, PathState | null>;
  hashes: Map<string, string>;
}

function parse(stdout: string, keys: string[]): Parsed | undefined {
  const paths = [...new Set(keys.map((k) => (k.startsWith(HASH) ? k.slice(1) : k)))];
  const hashed = [...new Set(keys.filter((k) => k.startsWith(HASH)).map((k) => k.slice(1)))];
  const sections = stdout.replace(/\n$/, '').split(/^--$/m).map((s) => s.split('\n').filter(Boolean));
  if (sections.length !== 4) return undefined;
  const [marks, stats, hashMarks, sums] = sections as [string[], string[], string[], string[]];
  // A path that came or went between the test and stat: the positions no longer hold, nothing is known.
  if (marks.length !== paths.length || stats.length !== marks.filter((m) => m === '1').length) return undefined;
  if (hashMarks.length !== hashed.length || sums.length !== hashMarks.filter((m) => m === '1').length) return undefined;
  const states = new Map<string, PathState | null>();
  let at = 0;
  paths.forEach((p, i) => {
    if (marks[i] !== '1') return void states.set(p, null);
    const m = /^([^:]*):([^:]*):([0-7]+):([^:]*):"(?:[^"\\]|\\.)*"(?: -> "((?:[^"\\]|\\.)*)")?$/.exec(stats[at++]!);
    if (!m) return;
    states.set(p, { owner: m[1]!, group: m[2]!, mode: m[3]!, type: m[4]!, ...(m[5] !== undefined ? { target: unquoteC(m[5]) } : {}) });
  });
  const hashes = new Map<string, string>();
  at = 0;
  hashed.forEach((p, i) => {
    if (hashMarks[i] !== '1') return;
    const h = /^\\?([0-9a-f]{64}) /.exec(sums[at++]!);
    if (h) hashes.set(p, h[1]!);
  });
  return { states, hashes };
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** What statProbe prints for the path. */
function statAnswer(s: PathState | null): string {
  if (!s) return 'exists=0\n';
  return `exists=1\ntype=${s.type}\nowner=${s.owner}\ngroup=${s.group}\nmode=${s.mode}\n` +
    (s.type === 'symbolic link' && s.target !== undefined ? `target=${b64(s.target)}\n` : '');
}

/** What a file content step's own probe prints (without --diff, not following a link). */
function contentAnswer(s: PathState | null, hash: string | undefined): string {
  if (!s) return 'exists=0\n';
  if (s.type === 'symbolic link') return `exists=link\ntarget=${b64(s.target ?? '')}\n`;
  if (!s.type.startsWith('regular')) return 'exists=other\n';
  return `exists=1\nowner=${s.owner}\ngroup=${s.group}\nmode=${s.mode}\nsha256=${hash ?? ''}  -\n`;
}

const parsedOutputs = new WeakMap<ProbeOutput, Parsed | undefined>();

const kind: SharedProbeKind = {
  name: 'path states',
  command,
  answer(out, keys, all) {
    if (!parsedOutputs.has(out)) parsedOutputs.set(out, parse(out.stdout, all));
    const parsed = parsedOutputs.get(out);
    const key = keys[0]!;
    const path = key.startsWith(HASH) ? key.slice(1) : key;
    const state = parsed?.states.get(path);
    // Not answered (a path that changed under the command): as a probe that never ran.
    if (!parsed || state === undefined) return { stdout: '', exitCode: -1 };
    return { exitCode: 0, stdout: key.startsWith(HASH) ? contentAnswer(state, parsed.hashes.get(path)) : statAnswer(state) };
  },
};

/** The path's type, owner, group, mode and link target, as statProbe prints them. */
export const pathState = (path: string): SharedProbe => ({ kind, keys: [path] });

/** A file content step's question: the path's state and, for a regular file, its sha256. */
export const fileState = (path: string): SharedProbe => ({ kind, keys: [`${HASH}${path}`] });
