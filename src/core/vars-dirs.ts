// Ansible's group_vars/ and host_vars/ beside the inventory file: for a group or host NAME, the file
// `NAME` (or a folder `NAME/` of files, read in sorted order, sub-folders included), then `NAME.yml`,
// `NAME.yaml`, `NAME.json` — the order Ansible's host_group_vars plugin reads them in, the later file
// winning. Each holds a YAML map of variables (YAML 1.1, as Ansible reads it).
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { InventoryError } from './errors.ts';
import { AnsibleHostVars, errorMap } from './inventory-schema.ts';
import { displayPath, issuesToErrors, readYamlFile, type YamlSource } from './yaml-source.ts';

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

/**
 * How the files are found: every path must resolve inside the inventory's folder (`root`, its real
 * path). A link out of it (`group_vars/all.yml -> ~/.aws/credentials`, in a project copied from
 * elsewhere) would read a file the project does not hold and quote its lines in an error; a folder
 * link back up the tree would be walked again and again. Both are errors at the link.
 */
class VarsWalk {
  constructor(
    readonly root: string,
    readonly errors: InventoryError[],
  ) {}

  /**
   * What `p` is once its links are followed; undefined (and an error) for a link that leaves the root,
   * or for a folder that is one of `within` (the real paths of the folders it is in: a loop).
   */
  kindOf(p: string, within: ReadonlySet<string> = new Set()): 'file' | 'dir' | undefined {
    let st;
    let real;
    try {
      st = statSync(p);
      real = realpathSync(p);
    } catch {
      return undefined;
    }
    const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
    if (!kind) return undefined;
    if (real !== this.root && !real.startsWith(this.root + path.sep)) {
      this.errors.push(new InventoryError(`a symbolic link to ${real}, outside the inventory's folder ${this.root}: copy the file into the project instead`, { file: displayPath(p) }));
      return undefined;
    }
    if (kind === 'dir' && within.has(real)) {
      this.errors.push(new InventoryError(`a symbolic link to the folder ${real}, which holds the link (a loop)`, { file: displayPath(p) }));
      return undefined;
    }
    return kind;
  }

  /** Files of a `NAME/` folder (inside the folders `outer`), sorted, hidden ones and other extensions left out (as Ansible does). */
  filesUnder(dir: string, outer: ReadonlySet<string>): string[] {
    const within = new Set([...outer, realpathSync(dir)]);
    const out: string[] = [];
    for (const entry of readdirSync(dir).sort()) {
      if (entry.startsWith('.')) continue;
      const p = path.join(dir, entry);
      const ext = path.extname(entry);
      // Only what would be read is followed: a link from a file Ansible skips does not matter.
      if (!statIsDir(p) && !EXTENSIONS.includes(ext)) continue;
      const kind = this.kindOf(p, within);
      if (kind === 'dir') out.push(...this.filesUnder(p, within));
      else if (kind === 'file') out.push(p);
    }
    return out;
  }

  /** The names one folder (`group_vars/`) has files for, each with its files in the order they apply. */
  namesIn(dir: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    if (!statIsDir(dir) || this.kindOf(dir) !== 'dir') return out;
    const within = new Set([realpathSync(dir)]);
    const names = new Set<string>();
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.')) continue;
      const ext = path.extname(entry);
      names.add(EXTENSIONS.includes(ext) && !statIsDir(path.join(dir, entry)) ? entry.slice(0, entry.length - ext.length) : entry);
    }
    for (const name of [...names].sort()) {
      const files: string[] = [];
      for (const ext of EXTENSIONS) {
        const p = path.join(dir, name + ext);
        if (!existsSync(p)) continue;
        const kind = this.kindOf(p, within);
        if (kind === 'file') files.push(p);
        else if (kind === 'dir' && ext === '') files.push(...this.filesUnder(p, within));
      }
      if (files.length) out.set(name, files);
    }
    return out;
  }
}

function statIsDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
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
  const walk = new VarsWalk(realpathSync(dir), errors);
  const read = (folder: 'group_vars' | 'host_vars') => {
    const out = new Map<string, VarsFile[]>();
    for (const [name, files] of walk.namesIn(path.join(dir, folder))) {
      const kind = `${folder} file`;
      out.set(name, files.map((f) => readVarsFile(name, f, kind, errors)).filter((v): v is VarsFile => v !== undefined));
    }
    return out;
  };
  return { group: read('group_vars'), host: read('host_vars') };
}
