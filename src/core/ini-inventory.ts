// Ansible's INI inventory format, read into the same data an Ansible YAML inventory gives, with the
// position of every group, host, variable and child reference so errors point at file:line:column.
//
//   web01 ansible_host=10.0.0.1 ansible_port=2222   a host line: shell-like words, `key=value` each
//   [web]                                           hosts of a group (`[web:hosts]` is the same)
//   [web:vars]                                      one `key = value` per line
//   [backend:children]                              one child group per line
//   web[01:20:2].example.com                        a host range (see host-range.ts)
//   # or ; at the start of a line                   a comment (`#` also ends a host line)
// Values are read as Ansible reads them (Python literals): 8080 is a number, True/False are booleans,
// "quoted" and 'quoted' are strings, [..]/{..} are lists/maps, anything else stays a string.
import { parse as parseYaml } from 'yaml';
import { InventoryError, type SourceLocation } from './errors.ts';
import type { AnsibleGroupData } from './inventory-schema.ts';
import { expandHostRange, HostRangeError, MAX_RANGE_HOSTS } from './host-range.ts';
import type { LocatedSource } from './located-source.ts';
import { splitShellWords, ShellWordsError } from './shell-words.ts';
import { formatField, type Path, throwIfAny } from './yaml-source.ts';

interface Position {
  line: number;
  /** Column of the name (a key, a host, a group). */
  key: number;
  /** Column of the value, when the entry has one. */
  value?: number;
}

/** The section kinds Ansible knows. */
const SECTION_KINDS = ['hosts', 'vars', 'children'] as const;
const SECTION = /^\[([^:\]\s]+)(?::([^\]\s]*))?\]\s*(?:[#;].*)?$/;

/** Whether `text` looks like an INI inventory: its first line that says anything is a `[section]`. */
export function looksLikeIni(text: string): boolean {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    return SECTION.test(line);
  }
  return false;
}

/** A value as Ansible's INI parser turns it into data (its `ast.literal_eval`, for the common cases). */
export function iniValue(text: string): unknown {
  if (text === 'True') return true;
  if (text === 'False') return false;
  if (text === 'None') return null;
  if (/^[+-]?(?:0|[1-9]\d*)$/.test(text)) return Number(text);
  if (/^[+-]?(?:\d+\.\d*|\.\d+|\d+(?:\.\d*)?[eE][+-]?\d+)$/.test(text)) return Number(text);
  const q = /^(['"])(.*)\1$/s.exec(text);
  if (q) return q[2]!.replace(/\\(.)/g, '$1');
  if (/^[[{]/.test(text)) {
    try {
      const v: unknown = parseYaml(text.replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false').replace(/\bNone\b/g, 'null'));
      if (typeof v === 'object' && v !== null) return v;
    } catch {
      // Not a literal Python would read either: a string.
    }
  }
  return text;
}

/**
 * `host:port` as Ansible writes it on a host line (`[2001:db8::1]:2222` for IPv6); a colon inside a
 * range's brackets is not a port. `portAt` is the port's 0-based offset in the word.
 */
function splitHostPort(word: string): { pattern: string; port?: string; portAt?: number } {
  const v6 = /^\[([0-9a-fA-F.]*:[0-9a-fA-F:.]*)\](?::(\d+))?$/.exec(word);
  if (v6) return { pattern: v6[1]!, ...(v6[2] ? { port: v6[2], portAt: word.length - v6[2].length } : {}) };
  let depth = 0;
  for (let i = word.length - 1; i >= 0; i--) {
    const c = word[i];
    if (c === ']') depth++;
    else if (c === '[') depth--;
    else if (c === ':' && depth === 0) {
      const port = word.slice(i + 1);
      return /^\d+$/.test(port) ? { pattern: word.slice(0, i), port, portAt: i + 1 } : { pattern: word };
    }
  }
  return { pattern: word };
}

/** The positions of an INI file's entries, as a LocatedSource for the loader. */
class IniSource implements LocatedSource {
  readonly positions = new Map<string, Position>();

  constructor(
    readonly file: string,
    readonly display: string,
  ) {}

  set(p: Path, pos: Position): void {
    this.positions.set(formatField(p), pos);
  }

  has(p: Path): boolean {
    return this.positions.has(formatField(p));
  }

  locate(p: Path, at: 'key' | 'value' = 'value'): SourceLocation {
    const loc: SourceLocation = { file: this.display, ...(p.length ? { field: formatField(p) } : {}) };
    for (let n = p.length; n > 0; n--) {
      const pos = this.positions.get(formatField(p.slice(0, n)));
      if (!pos) continue;
      const exact = n === p.length;
      return { ...loc, line: pos.line, column: exact && at === 'value' ? (pos.value ?? pos.key) : pos.key };
    }
    return { ...loc, line: 1, column: 1 };
  }

  error(p: Path, reason: string, at?: 'key' | 'value'): InventoryError {
    return new InventoryError(reason, this.locate(p, at));
  }
}

export interface IniInventory {
  /** The inventory as Ansible's YAML format would hold it: top-level groups, `all` for the rest. */
  data: Record<string, AnsibleGroupData>;
  source: LocatedSource;
}

/**
 * Most hosts one inventory may define. Each range is capped already, but a few lines of ranges would
 * still make a small file stand for millions of hosts (and the loader run out of memory on them).
 */
export const MAX_INVENTORY_HOSTS = MAX_RANGE_HOSTS;

/** Reads INI inventory text. Throws InventoryError(s) at line:column for every line it cannot read. */
export function parseIniInventory(text: string, file: string, display: string): IniInventory {
  const source = new IniSource(file, display);
  const errors: InventoryError[] = [];
  const data: Record<string, AnsibleGroupData> = {};
  const group = (name: string) => (data[name] ??= {});
  /** Groups named by a `[g]`/`[g:hosts]` section or a `[parent:children]` line. */
  const declared = new Set<string>(['all']);
  const varsSections: { name: string; line: number }[] = [];
  let current = 'all';
  let kind: (typeof SECTION_KINDS)[number] = 'hosts';
  /** Every host named so far, to stop at MAX_INVENTORY_HOSTS (the lines after it are not read). */
  const hostNames = new Set<string>();
  let tooMany = false;

  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    if (tooMany) return;
    const lineNo = index + 1;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const at = (column: number, field?: string): SourceLocation => ({ file: display, line: lineNo, column, ...(field ? { field } : {}) });
    try {
      const section = SECTION.exec(line);
      if (section) {
        const [, name, sectionKind] = section as unknown as [string, string, string | undefined];
        if (sectionKind !== undefined && !(SECTION_KINDS as readonly string[]).includes(sectionKind)) {
          throw new InventoryError(`unknown section kind "${sectionKind}": expected [${name}], [${name}:vars] or [${name}:children]`, at(indent + name.length + 3, line.replace(/\s*[#;].*$/, '')));
        }
        current = name;
        kind = (sectionKind ?? 'hosts') as typeof kind;
        const g = group(name);
        if (!source.has([name])) source.set([name], { line: lineNo, key: indent + 2 });
        source.set([name, kind], { line: lineNo, key: indent + 2 });
        if (kind === 'vars') {
          g.vars ??= {};
          varsSections.push({ name, line: lineNo });
        } else {
          declared.add(name);
          if (kind === 'children') g.children ??= {};
          else g.hosts ??= {};
        }
        return;
      }
      if (line.startsWith('[') && line.endsWith(']')) {
        throw new InventoryError('invalid section header: expected [group], [group:vars] or [group:children], with no spaces', at(indent + 1));
      }
      if (kind === 'vars') {
        const eq = line.indexOf('=');
        if (eq < 0) throw new InventoryError('expected key=value in a [group:vars] section', at(indent + 1));
        const key = line.slice(0, eq).trim();
        const valueText = line.slice(eq + 1).trim();
        const valueColumn = indent + eq + 2 + (line.slice(eq + 1).length - line.slice(eq + 1).trimStart().length);
        group(current).vars![key] = iniValue(valueText);
        source.set([current, 'vars', key], { line: lineNo, key: indent + 1, value: valueColumn });
        return;
      }
      if (kind === 'children') {
        const child = line.replace(/\s*#.*$/, '');
        if (/\s/.test(child)) throw new InventoryError('expected one group name per line in a [group:children] section', at(indent + 1));
        group(current).children![child] = null;
        group(child);
        declared.add(child);
        source.set([current, 'children', child], { line: lineNo, key: indent + 1 });
        if (!source.has([child])) source.set([child], { line: lineNo, key: indent + 1 });
        return;
      }
      hostLine(line, indent, lineNo);
    } catch (err) {
      if (err instanceof InventoryError) errors.push(err);
      else throw err;
    }
  });

  function hostLine(line: string, indent: number, lineNo: number) {
    let ws;
    try {
      ws = splitShellWords(line);
    } catch (err) {
      if (!(err instanceof ShellWordsError)) throw err;
      throw new InventoryError(err.reason, { file: display, line: lineNo, column: indent + err.offset + 1 });
    }
    if (ws.length === 0) return;
    const [first, ...rest] = ws.map((w) => ({ ...w, column: indent + w.offset + 1, valueColumn: w.valueOffset === undefined ? undefined : indent + w.valueOffset + 1 }));
    if (!first) return;
    const { pattern, port: portText, portAt } = splitHostPort(first.text);
    const port = portText === undefined ? undefined : { value: Number(portText), column: first.column + portAt! };
    let names: string[];
    try {
      names = expandHostRange(pattern);
    } catch (err) {
      if (!(err instanceof HostRangeError)) throw err;
      throw new InventoryError(err.reason, { file: display, line: lineNo, column: first.column + err.column, field: formatField([current, 'hosts', first.text]) });
    }
    for (const name of names) hostNames.add(name);
    if (hostNames.size > MAX_INVENTORY_HOSTS) {
      tooMany = true;
      throw new InventoryError(`the inventory defines more than ${MAX_INVENTORY_HOSTS} hosts (host ranges included)`, { file: display, line: lineNo, column: first.column, field: formatField([current, 'hosts', first.text]) });
    }
    const vars: Record<string, unknown> = {};
    const positions: [string, Position][] = [];
    if (port) {
      vars.ansible_port = port.value;
      positions.push(['ansible_port', { line: lineNo, key: port.column, value: port.column }]);
    }
    for (const w of rest) {
      if (w.key === undefined) {
        throw new InventoryError(`expected key=value after the host name, got a word without "="`, { file: display, line: lineNo, column: w.column, field: formatField([current, 'hosts', names[0]!]) });
      }
      vars[w.key] = iniValue(w.value!);
      positions.push([w.key, { line: lineNo, key: w.column, value: w.valueColumn! }]);
    }
    const g = group(current);
    g.hosts ??= {};
    for (const name of names) {
      g.hosts[name] = { ...(g.hosts[name] ?? {}), ...vars };
      if (!source.has([current, 'hosts', name])) source.set([current, 'hosts', name], { line: lineNo, key: first.column });
      for (const [k, pos] of positions) source.set([current, 'hosts', name, k], pos);
    }
  }

  for (const v of varsSections) {
    if (!declared.has(v.name)) {
      errors.push(new InventoryError(`[${v.name}:vars] is for a group the inventory does not define: add a [${v.name}] section or list it under a [parent:children] section`, { file: display, line: v.line, column: 2, field: v.name }));
    }
  }
  throwIfAny(errors);
  if (!Object.values(data).some((g) => g.hosts && Object.keys(g.hosts).length > 0)) {
    throw new InventoryError('the inventory defines no host', { file: display, line: 1, column: 1 });
  }
  return { data, source };
}
