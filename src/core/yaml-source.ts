// Reads a YAML file the way every user-written file (inventory, playbook, secrets) is read: bounded in
// size, strict UTF-8, one document, unique keys — and remembers where every node came from, so a
// problem found later (by zod or by a semantic check) is reported at file:line:column with its field.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  type Document,
  type Node,
  LineCounter,
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
} from 'yaml';
import type * as z from 'zod';
import { InventoryError, InventoryErrors, type SourceLocation } from './errors.ts';
import type { LocatedSource } from './located-source.ts';

/** A path into YAML data: map keys and sequence indexes, e.g. `['groups', 'web', 'hosts', 'web-01']`. */
export type Path = readonly (string | number)[];

/** Files larger than this are refused before parsing (an inventory is hand-written; 1 MiB is plenty). */
export const MAX_YAML_BYTES = 1024 * 1024;

export interface YamlReadOptions {
  /** What the file is, for messages: `inventory`, `playbook`, `secrets file`. */
  kind: string;
  /** YAML version: `1.2` (default) or `1.1` (what Ansible/PyYAML reads: `yes` is true). */
  version?: '1.1' | '1.2';
  /** An empty document (or only comments) gives `data: undefined` instead of an error. */
  allowEmpty?: boolean;
  /** Keep yaml's parse-error wording out of messages (it can quote a fragment of the source). */
  quiet?: boolean;
  /** Name shown in messages instead of the file path (e.g. `lab.secrets.age (decrypted)`). */
  display?: string;
}

/** A parsed YAML file plus the means to point back into it. */
export interface YamlSource extends LocatedSource {
  /** Absolute path. */
  readonly file: string;
  /** The file as messages show it: relative to the working directory when below it. */
  readonly display: string;
  readonly doc: Document.Parsed;
  /** The plain JavaScript value of the document. */
  readonly data: unknown;
  /** Whether `path` names a node that exists in the document. */
  has(path: Path): boolean;
  /**
   * Where `path` is in the file: its value (default) or its key. A path that does not exist (a missing
   * required field) points at the nearest existing ancestor's key. `field` is always `path` formatted.
   */
  locate(path: Path, at?: 'key' | 'value'): SourceLocation;
  /** An InventoryError at `path`. */
  error(path: Path, reason: string, at?: 'key' | 'value'): InventoryError;
}

/** The path as messages show it relative to the working directory, when it is below it. */
export function displayPath(file: string): string {
  const abs = path.resolve(file);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

const PLAIN_SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Formats a path as a field name: `groups.web.hosts.web-01.port`, `[1].roles[0]`. A key that is not a
 * plain word (a dot, a quote, a space, a shell metacharacter) is written `["…"]` with JSON escapes, so the
 * field is unambiguous and always one printable line. {@link parseField} reads it back.
 */
export function formatField(p: Path): string {
  let out = '';
  for (const seg of p) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_SEGMENT.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${asciiJson(seg)}]`;
  }
  return out;
}

/** JSON string with every non-ASCII or control character escaped: safe to print on any terminal. */
export function asciiJson(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Reads a field written by {@link formatField}; undefined when it is not in that syntax. */
export function parseField(field: string): (string | number)[] | undefined {
  const out: (string | number)[] = [];
  let rest = field;
  let first = true;
  while (rest !== '') {
    let m: RegExpExecArray | null;
    if ((m = (first ? /^([A-Za-z0-9_-]+)/ : /^\.([A-Za-z0-9_-]+)/).exec(rest))) out.push(m[1]!);
    else if ((m = /^\[(\d+)\]/.exec(rest))) out.push(Number(m[1]));
    else if ((m = /^\[("(?:[^"\\]|\\.)*")\]/.exec(rest))) {
      try {
        out.push(JSON.parse(m[1]!) as string);
      } catch {
        return undefined;
      }
    } else return undefined;
    rest = rest.slice(m[0].length);
    first = false;
  }
  return out;
}

/** A short, value-free description of what a YAML value is, for "expected X, got Y". */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'object') return Object.getPrototypeOf(v) === Object.prototype ? 'a map' : 'an unsupported YAML type';
  return typeof v;
}

/** Throws the errors: nothing if none, the error itself if one, InventoryErrors (sorted) if several. */
export function throwIfAny(errors: InventoryError[]): void {
  if (errors.length === 0) return;
  const seen = new Set<string>();
  const unique = errors.filter((e) => (seen.has(e.message) ? false : (seen.add(e.message), true)));
  unique.sort(
    (a, b) =>
      (a.location.line ?? 0) - (b.location.line ?? 0) || (a.location.column ?? 0) - (b.location.column ?? 0),
  );
  if (unique.length === 1) throw unique[0]!;
  throw new InventoryErrors(unique);
}

/**
 * Reads and parses a YAML file. Throws InventoryError (or InventoryErrors) for a missing, unreadable,
 * oversized, empty or non-UTF-8 file, and for every YAML syntax error and duplicate key, each at its
 * line:column.
 */
export function readYamlFile(file: string, options: YamlReadOptions): YamlSource {
  const abs = path.resolve(file);
  const display = options.display ?? displayPath(abs);
  return parseYamlText(readUtf8File(abs, options.kind, display), abs, { ...options, display });
}

/**
 * Reads a user-written text file with the checks every such file gets (a regular file, at most 1 MiB,
 * strict UTF-8); throws InventoryError naming the file.
 */
export function readUtf8File(file: string, kind: string, display = displayPath(file)): string {
  const abs = path.resolve(file);
  const where = { file: display };
  let size: number;
  try {
    const st = statSync(abs);
    if (!st.isFile()) throw new InventoryError(`not a regular file`, where);
    size = st.size;
  } catch (err) {
    if (err instanceof InventoryError) throw err;
    throw new InventoryError(`cannot read ${kind}: ${errnoReason(err)}`, where);
  }
  if (size > MAX_YAML_BYTES) {
    throw new InventoryError(
      `${kind} is ${(size / 1024 / 1024).toFixed(1)} MiB; the limit is 1 MiB (is this the right file?)`,
      where,
    );
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(abs);
  } catch (err) {
    throw new InventoryError(`cannot read ${kind}: ${errnoReason(err)}`, where);
  }
  return decodeUtf8(bytes, kind, display);
}

/** Parses YAML held in memory (e.g. decrypted secrets) with the same checks as {@link readYamlFile}. */
export function parseYamlBytes(bytes: Uint8Array, file: string, options: YamlReadOptions): YamlSource {
  const abs = path.resolve(file);
  const display = options.display ?? displayPath(abs);
  if (bytes.length > MAX_YAML_BYTES) {
    throw new InventoryError(`${options.kind} is over 1 MiB`, { file: display });
  }
  const text = decodeUtf8(bytes, options.kind, display);
  return parseYamlText(text, abs, { ...options, display });
}

function decodeUtf8(bytes: Uint8Array, kind: string, display: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new InventoryError(`${kind} is UTF-16; save it as UTF-8`, { file: display, line: 1, column: 1 });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    // Find the first undecodable byte to point at it: decode leniently and look for the replacement char.
    const lenient = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    const at = lenient.indexOf('\uFFFD');
    const { line, col } = lineCol(lenient, Math.max(0, at));
    throw new InventoryError(`${kind} is not valid UTF-8 (save it as UTF-8)`, { file: display, line, column: col });
  }
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const lc = new LineCounter();
  let i = 0;
  lc.addNewLine(0);
  for (;;) {
    const nl = text.indexOf('\n', i);
    if (nl < 0 || nl >= offset) break;
    lc.addNewLine(nl + 1);
    i = nl + 1;
  }
  return lc.linePos(offset);
}

/** Parses YAML text; see {@link readYamlFile}. */
export function parseYamlText(text: string, file: string, options: YamlReadOptions): YamlSource {
  const abs = path.resolve(file);
  const display = options.display ?? displayPath(abs);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    keepSourceTokens: true,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
    version: options.version ?? '1.2',
    merge: true,
    // YAML 1.1 (Ansible) turns 2024-01-31 into a Date; a variable is text, keep it a string.
    customTags: (tags) => tags.filter((t) => typeof t !== 'object' || t.tag !== 'tag:yaml.org,2002:timestamp'),
  });

  const source = makeSource(abs, display, doc, lineCounter);
  const errors: InventoryError[] = [];
  for (const e of [...doc.errors, ...doc.warnings]) {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    const loc: SourceLocation = { file: display, line, column: col };
    let reason: string;
    if (e.code === 'DUPLICATE_KEY') {
      const at = pathAt(doc, e.pos[0]);
      if (at.length > 0) loc.field = formatField(at);
      reason = `duplicate key ${asciiJson(String(at[at.length - 1] ?? text.slice(e.pos[0], e.pos[1])))} (each key may appear once in a map)`;
    } else if (e.code === 'TAG_RESOLVE_FAILED' && /!vault\b/.test(e.message)) {
      reason = `Ansible Vault values (!vault) are not supported: move the secret to the age secrets file`;
    } else if (e.code === 'MULTIPLE_DOCS') {
      reason = `the file holds several YAML documents (---); put everything in one`;
    } else if (options.quiet) {
      reason = `YAML syntax error (${e.code})`;
    } else {
      reason = `YAML syntax error: ${e.message.replace(/ at line \d+, column \d+.*$/s, '')}`;
    }
    errors.push(new InventoryError(reason, loc));
  }
  throwIfAny(errors);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Only an alias bomb (too many alias expansions) or a bad alias lands here.
    throw new InventoryError(`cannot expand YAML aliases: ${(err as Error).message}`, { file: display });
  }
  if (doc.contents === null || data === undefined || data === null) {
    if (options.allowEmpty) return { ...source, data: undefined };
    throw new InventoryError(`${options.kind} is empty`, { file: display });
  }
  return { ...source, data };
}

function makeSource(file: string, display: string, doc: Document.Parsed, lc: LineCounter): YamlSource {
  const locate = (p: Path, at: 'key' | 'value' = 'value'): SourceLocation => {
    const found = walk(doc, p);
    const node = found.complete ? (at === 'key' ? (found.keyNode ?? found.valueNode) : (found.valueNode ?? found.keyNode)) : (found.keyNode ?? found.valueNode);
    const loc: SourceLocation = { file: display, field: formatField(p) };
    const offset = node?.range?.[0] ?? (found.depth === 0 ? 0 : undefined);
    if (offset !== undefined) {
      const { line, col } = lc.linePos(offset);
      loc.line = line;
      loc.column = col;
    }
    if (loc.field === '') delete loc.field;
    return loc;
  };
  return {
    file,
    display,
    doc,
    data: undefined,
    has: (p) => walk(doc, p).complete,
    locate,
    error: (p, reason, at) => new InventoryError(reason, locate(p, at)),
  };
}

interface WalkResult {
  /** Whether every segment of the path was found. */
  complete: boolean;
  /** How many segments were found. */
  depth: number;
  /** The key node of the last segment found (a map key), if any. */
  keyNode?: Node;
  /** The value node of the last segment found. */
  valueNode?: Node;
}

/** Follows `p` through the document's nodes (through aliases), as far as it exists. */
function walk(doc: Document.Parsed, p: Path): WalkResult {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  let depth = 0;
  for (const seg of p) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let nextKey: Node | undefined;
    let found = false;
    if (isMap(node)) {
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? pair.key.value : pair.key;
        if (String(k) === String(seg)) {
          nextKey = isNode(pair.key) ? pair.key : undefined;
          next = pair.value;
          found = true;
          // No break: with duplicate keys the last one is what toJS() kept.
        }
      }
    } else if (isSeq(node) && typeof seg === 'number') {
      if (seg < node.items.length) {
        next = node.items[seg];
        nextKey = undefined;
        found = true;
      }
    }
    if (!found) {
      return { complete: false, depth, keyNode, valueNode: isNode(node) ? node : undefined };
    }
    depth++;
    keyNode = nextKey ?? (isNode(next) ? next : undefined);
    node = next;
  }
  return { complete: true, depth, keyNode, valueNode: isNode(node) ? node : keyNode };
}

/** The path of the map key or item that contains `offset` (used to name the field of a duplicate key). */
function pathAt(doc: Document.Parsed, offset: number): (string | number)[] {
  const out: (string | number)[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((it) => {
        if (!isPair(it)) return false;
        const k = isNode(it.key) ? it.key.range : undefined;
        const v = isNode(it.value) ? it.value.range : undefined;
        return (k && offset >= k[0] && offset <= k[2]) || (v && offset >= v[0] && offset < v[2]);
      });
      if (!pair) return out;
      out.push(String(isScalar(pair.key) ? pair.key.value : pair.key));
      const k = isNode(pair.key) ? pair.key.range : undefined;
      if (k && offset >= k[0] && offset <= k[2]) return out;
      node = pair.value;
    } else if (isSeq(node)) {
      const i = node.items.findIndex((it) => isNode(it) && it.range && offset >= it.range[0] && offset < it.range[2]);
      if (i < 0) return out;
      out.push(i);
      node = node.items[i];
    } else return out;
  }
}

function errnoReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EACCES') return 'permission denied';
  if (e?.code === 'EISDIR') return 'it is a directory';
  return e?.message ?? String(err);
}

/** The "did you mean" candidate for a misspelt key: the closest of `valid` within 2 edits. */
export function closest(word: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const v of valid) {
    const d = editDistance(word.toLowerCase(), v.toLowerCase());
    if (d < bestD) {
      best = v;
      bestD = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** A list of names for a message: `a, b, c` (or `(none)`). */
export function listNames(names: Iterable<string>): string {
  const all = [...names];
  return all.length === 0 ? '(none)' : all.join(', ');
}

/**
 * Turns zod issues into InventoryErrors located in `source`. Schemas carry their own messages for the
 * checks that matter (ports, addresses, names); this gives the rest a plain wording without values.
 */
export function issuesToErrors(source: LocatedSource, issues: readonly z.core.$ZodIssue[], base: Path = []): InventoryError[] {
  const out: InventoryError[] = [];
  for (const issue of issues) {
    const p = [...base, ...(issue.path as (string | number)[])];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const valid = knownKeysAt(issue);
        for (const key of issue.keys) {
          const hint = valid ? closest(key, valid) : undefined;
          const reason = hint
            ? `unknown key (did you mean "${hint}"?)`
            : valid
              ? `unknown key (expected one of: ${listNames(valid)})`
              : 'unknown key';
          out.push(source.error([...p, key], reason, 'key'));
        }
        break;
      }
      case 'invalid_key': {
        const inner = issue.issues[0];
        out.push(source.error(p, inner?.message ?? 'invalid name', 'key'));
        break;
      }
      case 'invalid_union': {
        if (issue.errors.length > 0 && issue.errors.every((branch) => branch.length > 0)) {
          // A union of shapes: report the branch that got furthest (most specific path).
          const best = [...issue.errors].sort((a, b) => depthOf(b) - depthOf(a))[0]!;
          if (depthOf(best) > 0) {
            out.push(...issuesToErrors(source, best, p));
            break;
          }
        }
        out.push(source.error(p, issue.message));
        break;
      }
      default:
        out.push(source.error(p, issue.message, source.has(p) ? 'value' : 'key'));
    }
  }
  return out;
}

function depthOf(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}

// zod's unrecognized_keys issue does not carry the allowed keys; schemas register them here by message.
const KEYS_MARK = /\(expected one of: ([^)]*)\)$/;
function knownKeysAt(issue: z.core.$ZodIssue): string[] | undefined {
  const m = KEYS_MARK.exec(issue.message);
  return m ? m[1]!.split(', ') : undefined;
}
