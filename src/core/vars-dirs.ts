// Ansible's group_vars/ and host_vars/ beside the inventory file: for a group or host NAME, the file
// `NAME` (or a folder `NAME/` of files, read in sorted order, sub-folders included), then `NAME.yml`,
// `NAME.yaml`, `NAME.json` — the order Ansible's host_group_vars plugin reads them in, the later file
// winning. Each holds a YAML map of variables (YAML 1.1, as Ansible reads it).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { InventoryError } from './errors.ts';
import { AnsibleHostVars, errorMap } from './inventory-schema.ts';
import { issuesToErrors, readYamlFile, type YamlSource } from './yaml-source.ts';

/** The extensions Ansible reads in these folders; '' is a file without one. */
const EXTENSIONS = ['', '.yml', '.yaml', '.json'];

export interface VarsFile {
  /** The group or host the file is for. */
  name: string;
  source: YamlSource;
  vars: Record<string, unknown>;
}

export interface VarsDirs {
  /** By group name, each group's files in the order they apply. */
  group: Map<string, VarsFile[]>;
  /** By host name. */
  host: Map<string, VarsFile[]>;
}

function kindOf(p: string): 'file' | 'dir' | undefined {
  try {
    const st = statSync(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** Files of a `NAME/` folder, sorted, hidden ones and other extensions left out (as Ansible does). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.')) continue;
    const p = path.join(dir, entry);
    const kind = kindOf(p);
    if (kind === 'dir') out.push(...filesUnder(p));
    else if (kind === 'file' && EXTENSIONS.includes(path.extname(entry))) out.push(p);
  }
  return out;
}

/** The names one folder (`group_vars/`) has files for, each with its files in the order they apply. */
function namesIn(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (kindOf(dir) !== 'dir') return out;
  const names = new Set<string>();
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    const ext = path.extname(entry);
    names.add(EXTENSIONS.includes(ext) && kindOf(path.join(dir, entry)) === 'file' ? entry.slice(0, entry.length - ext.length) : entry);
  }
  for (const name of [...names].sort()) {
    const files: string[] = [];
    for (const ext of EXTENSIONS) {
      const p = path.join(dir, name + ext);
      const kind = kindOf(p);
      if (kind === 'file') files.push(p);
      else if (kind === 'dir' && ext === '') files.push(...filesUnder(p));
    }
    if (files.length) out.set(name, files);
  }
  return out;
}

function readVarsFile(name: string, file: string, kind: string, errors: InventoryError[]): VarsFile | undefined {
  let source: YamlSource;
  try {
    source = readYamlFile(file, { kind, version: '1.1', allowEmpty: true });
  } catch (err) {
    errors.push(...((err as { errors?: InventoryError[] }).errors ?? [err as InventoryError]));
    return undefined;
  }
  if (source.data === undefined) return { name, source, vars: {} };
  const r = AnsibleHostVars.safeParse(source.data, { error: errorMap });
  if (!r.success) {
    const problems = issuesToErrors(source, r.error.issues);
    errors.push(...(problems.length ? problems : [source.error([], `expected a map of variables`)]));
    return undefined;
  }
  return { name, source, vars: r.data ?? {} };
}

/** Reads `group_vars/` and `host_vars/` in `dir`; every problem is added to `errors` at its file:line. */
export function readVarsDirs(dir: string, errors: InventoryError[]): VarsDirs {
  const read = (folder: 'group_vars' | 'host_vars') => {
    const out = new Map<string, VarsFile[]>();
    for (const [name, files] of namesIn(path.join(dir, folder))) {
      const kind = `${folder} file`;
      out.set(name, files.map((f) => readVarsFile(name, f, kind, errors)).filter((v): v is VarsFile => v !== undefined));
    }
    return out;
  };
  return { group: read('group_vars'), host: read('host_vars') };
}
