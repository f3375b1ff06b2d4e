// Loads an inventory file (native scaleup YAML, or Ansible's YAML or INI inventory) with the
// group_vars/ and host_vars/ folders beside it, validates it completely before any connection, merges
// variables, and keeps a map back to the sources so that any later check (a role's validate, a
// playbook) can point at file:line:column, whichever file the value was written in.
//
// Variable precedence, lowest to highest (role defaults are merged below all of these by the runner),
// as Ansible's own order:
//   secrets file < inventory all vars < group_vars/all < inventory group vars < group_vars/<group>
//                < inventory host vars < host_vars/<host>
// A host in several groups gets their vars in group order: a child group after its parents, otherwise
// the order in which groups first appear in the file; the later group wins. All the inventory's group
// vars come before all the group_vars/ files, as in Ansible.
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONN_FIELDS, checkAnsibleConn, type ConnField, type Def, type IgnoredAnsible, takeAnsibleVars } from './ansible-vars.ts';
import { InventoryError, type SourceLocation } from './errors.ts';
import { looksLikeIni, parseIniInventory } from './ini-inventory.ts';
import {
  AnsibleInventory,
  type AnsibleGroupData,
  NATIVE_KEYS,
  NativeInventory,
  type NativeInventoryData,
  errorMap,
  isValidAddress,
} from './inventory-schema.ts';
import type { Host, Inventory, VarValue, Vars } from './model.ts';
import { Secret } from './secret.ts';
import { LayeredSource, type LocatedSource } from './located-source.ts';
import { readVarsDirs } from './vars-dirs.ts';
import { defaultSecretsFile, openSecretsFile, type VaultOptions } from './vault.ts';
import {
  type Path,
  type YamlSource,
  asciiJson,
  describeValue,
  displayPath,
  formatField,
  issuesToErrors,
  parseField,
  parseYamlText,
  readUtf8File,
  throwIfAny,
} from './yaml-source.ts';

export interface LoadInventoryOptions {
  /**
   * Secrets already in hand (tests, the wizard right after generating them): used instead of opening
   * the secrets file. Plain strings are wrapped in Secret.
   */
  secrets?: Record<string, string | Secret>;
  /** Do not open the secrets file (commands that never render a file: graph, facts, lint). */
  skipSecrets?: boolean;
  /** How to open the secrets file: --age-key-file, a passphrase callback, the environment. */
  vault?: VaultOptions;
  /** Shortcut for `vault.ageKeyFile` (--age-key-file). */
  ageKeyFile?: string;
}

/**
 * Reads, validates and returns an inventory, with the secrets file (if the inventory names one, or
 * for the Ansible format if `<name>.secrets.age` sits beside it) decrypted into every host's vars.
 * Throws InventoryError / InventoryErrors only, each naming file, line, column and field.
 */
export async function loadInventory(file: string, options: LoadInventoryOptions = {}): Promise<Inventory> {
  return openInventorySecrets(readInventory(file), options);
}

/**
 * The second half of {@link loadInventory}: an inventory already read, with its secrets file decrypted
 * into every host's vars. For callers that check the rest of the command line against the inventory
 * first, so that a typo is reported before anyone is asked for a passphrase.
 */
export async function openInventorySecrets(inventory: Inventory, options: LoadInventoryOptions = {}): Promise<Inventory> {
  if (options.secrets) return withSecrets(inventory, options.secrets);
  if (options.skipSecrets || !inventory.secretsFile) return inventory;
  const opened = await openSecretsFile(inventory.secretsFile, {
    keyFileBeside: inventory.file,
    ...(options.ageKeyFile ? { ageKeyFile: options.ageKeyFile } : {}),
    ...options.vault,
  });
  return withSecrets(inventory, opened.secrets);
}

/** Where a merged value came from: a path in the inventory file, or the secrets file. */
type Origin = { path: Path } | { secret: string };

type Layer = Map<string, Def>;
/** The variables of one group_vars/ or host_vars/ file. */
interface FileLayer {
  display: string;
  vars: Layer;
}

interface GroupRec {
  name: string;
  path: Path;
  order: number;
  vars: Layer;
  /** Hosts listed directly under the group. */
  hosts: Set<string>;
  /** Child group → path of the reference (Ansible `children`). */
  children: Map<string, Path>;
}

interface HostRec {
  name: string;
  /** Path of the host's first definition. */
  path: Path;
  /** Host-level vars (Ansible: merged over every place the host is listed, later wins). */
  vars: Layer;
  /** Native format: connection settings from `connection` and the host entry. */
  conn: Map<ConnField, Def>;
  /** Native format: the host's group. */
  group?: string;
}

interface Parsed {
  format: 'native' | 'ansible';
  allVars: Layer;
  groups: Map<string, GroupRec>;
  hosts: Map<string, HostRec>;
  knownHosts?: Def;
  secrets?: Def;
  /** group_vars/ files by group, host_vars/ files by host: one layer per file, in the order they apply. */
  groupFiles: Map<string, FileLayer[]>;
  hostFiles: Map<string, FileLayer[]>;
}

/** What `locate()` needs, kept beside the inventory. */
interface Origins {
  source: LocatedSource;
  parsed: Parsed;
  vars: Map<string, Map<string, Origin>>;
  conn: Map<string, Map<ConnField, Origin>>;
  secretsFile?: string;
}

const originsOf = new WeakMap<Inventory, Origins>();

/** Reads and validates an inventory without opening its secrets file (sync; see {@link loadInventory}). */
export function readInventory(file: string): Inventory {
  const abs = path.resolve(file);
  const display = displayPath(abs);
  const text = readUtf8File(abs, 'inventory', display);
  const errors: InventoryError[] = [];
  const { source, parsed } = isIniInventory(abs, text) ? readIni(abs, text, display, errors) : readYaml(abs, text, display, errors);
  const layered = new LayeredSource(source);
  addVarsDirs(path.dirname(abs), parsed, layered, errors);
  return finish(abs, layered, parsed, errors);
}

/**
 * INI when the file says so: a `.ini` name or a `[section]` first (never a YAML inventory, whatever the
 * file is called), or no YAML name (Ansible's classic `hosts`) and text that YAML does not read as a map.
 */
function isIniInventory(file: string, text: string): boolean {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.ini' || looksLikeIni(text)) return true;
  if (['.yml', '.yaml', '.json'].includes(ext)) return false;
  try {
    const data = parseYamlText(text, file, { kind: 'inventory', quiet: true }).data;
    return typeof data !== 'object' || data === null || Array.isArray(data);
  } catch {
    return true;
  }
}

function readIni(file: string, text: string, display: string, errors: InventoryError[]): { source: LocatedSource; parsed: Parsed } {
  const { data, source } = parseIniInventory(text, file, display);
  const r = AnsibleInventory.safeParse(data, { error: errorMap });
  if (!r.success) throwIfAny(issuesToErrors(source, r.error.issues));
  return { source, parsed: parseAnsible(source, r.data!, errors) };
}

function readYaml(file: string, text: string, display: string, errors: InventoryError[]): { source: LocatedSource; parsed: Parsed } {
  let source = parseYamlText(text, file, { kind: 'inventory', display });
  const data = source.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw source.error([], `expected a map with groups (scaleup) or all (Ansible), got ${describeValue(data)}`);
  }
  const keys = Object.keys(data);
  if (keys.some((k) => (NATIVE_KEYS as readonly string[]).includes(k))) {
    const r = NativeInventory.safeParse(data, { error: errorMap });
    if (!r.success) throwIfAny(issuesToErrors(source, r.error.issues));
    return { source, parsed: parseNative(source, r.data!, errors) };
  }
  // Ansible inventories are YAML 1.1 (PyYAML): `yes` is true there. Re-read with those rules.
  source = parseYamlText(text, file, { kind: 'inventory', display, version: '1.1' });
  const r = AnsibleInventory.safeParse(source.data, { error: errorMap });
  if (!r.success) {
    const errs = issuesToErrors(source, r.error.issues);
    if (!('all' in (data as object)) && errs.length === keys.length) {
      throw source.error([], `not an inventory: expected top-level groups (scaleup format) or all (Ansible format)`);
    }
    throwIfAny(errs);
  }
  return { source, parsed: parseAnsible(source, r.data!, errors) };
}

/**
 * Mounts group_vars/ and host_vars/ files beside the inventory into `layered` and their variables into
 * `parsed`. In a scaleup-format inventory they hold variables only: connection settings stay in the
 * inventory file, so an `ansible_*` variable there is an error.
 */
function addVarsDirs(dir: string, parsed: Parsed, layered: LayeredSource, errors: InventoryError[]): void {
  const dirs = readVarsDirs(dir, errors);
  const mount = (files: typeof dirs.group, into: Map<string, FileLayer[]>) => {
    for (const [name, list] of files) {
      const layers = list.map((f) => {
        const prefix = layered.mount(f.source.display, f.source);
        if (parsed.format === 'native') {
          for (const k of Object.keys(f.vars)) {
            if (k.startsWith('ansible_')) {
              errors.push(layered.error([...prefix, k], `${k} has no effect with a scaleup-format inventory: set connection settings under connection: or on the host in ${layered.display}`, 'key'));
            }
          }
        }
        return { display: f.source.display, vars: layerFrom(f.vars, prefix) };
      });
      into.set(name, layers);
    }
  };
  mount(dirs.group, parsed.groupFiles);
  mount(dirs.host, parsed.hostFiles);
}

function layerFrom(vars: Record<string, unknown> | null | undefined, at: Path, into: Layer = new Map()): Layer {
  for (const [k, v] of Object.entries(vars ?? {})) into.set(k, { value: v, path: [...at, k] });
  return into;
}

function parseNative(source: LocatedSource, data: NativeInventoryData, errors: InventoryError[]): Parsed {
  const parsed: Parsed = { format: 'native', allVars: layerFrom(data.vars, ['vars']), groups: new Map(), hosts: new Map(), groupFiles: new Map(), hostFiles: new Map() };
  const defaults = new Map<ConnField, Def>();
  for (const f of CONN_FIELDS) {
    const v = (data.connection as Record<string, unknown> | undefined)?.[f];
    if (v !== undefined) defaults.set(f, { value: v, path: ['connection', f] });
  }
  if (data.connection?.known_hosts !== undefined) {
    parsed.knownHosts = { value: data.connection.known_hosts, path: ['connection', 'known_hosts'] };
  }
  if (data.secrets !== undefined) parsed.secrets = { value: data.secrets, path: ['secrets'] };
  let order = 0;
  for (const [g, group] of Object.entries(data.groups)) {
    const gp: Path = ['groups', g];
    if (g === 'all') {
      errors.push(source.error(gp, '"all" is reserved (it means every host): name the group otherwise', 'key'));
      continue;
    }
    const rec: GroupRec = {
      name: g,
      path: gp,
      order: order++,
      vars: layerFrom(group?.vars, [...gp, 'vars']),
      hosts: new Set(),
      children: new Map(),
    };
    parsed.groups.set(g, rec);
    for (const [h, entry] of Object.entries(group?.hosts ?? {})) {
      const hp: Path = [...gp, 'hosts', h];
      const prior = parsed.hosts.get(h);
      if (prior) {
        const at = source.locate(prior.path, 'key');
        errors.push(
          source.error(hp, `duplicate host: ${h} is already defined in group ${prior.group} (line ${at.line})`, 'key'),
        );
        continue;
      }
      const conn = new Map(defaults);
      for (const f of CONN_FIELDS) {
        const v = (entry as Record<string, unknown>)[f];
        if (v !== undefined) conn.set(f, { value: v, path: [...hp, f] });
      }
      parsed.hosts.set(h, { name: h, path: hp, vars: layerFrom(entry.vars, [...hp, 'vars']), conn, group: g });
      rec.hosts.add(h);
    }
  }
  return parsed;
}

function parseAnsible(source: LocatedSource, data: Record<string, AnsibleGroupData | null>, errors: InventoryError[]): Parsed {
  const parsed: Parsed = { format: 'ansible', allVars: new Map(), groups: new Map(), hosts: new Map(), groupFiles: new Map(), hostFiles: new Map() };
  let order = 0;
  const visit = (name: string, group: AnsibleGroupData | null, gp: Path, parent: GroupRec | undefined, root: boolean) => {
    const isAll = name === 'all' && root;
    if (name === 'all' && !root) {
      errors.push(source.error(gp, '"all" is reserved (the implicit parent of every group)', 'key'));
      return;
    }
    let rec: GroupRec | undefined;
    if (!isAll) {
      rec = parsed.groups.get(name);
      if (!rec) {
        rec = { name, path: gp, order: order++, vars: new Map(), hosts: new Set(), children: new Map() };
        parsed.groups.set(name, rec);
      }
      if (parent && !parent.children.has(name)) parent.children.set(name, gp);
    }
    layerFrom(group?.vars, [...gp, 'vars'], isAll ? parsed.allVars : rec!.vars);
    for (const [h, hostVars] of Object.entries(group?.hosts ?? {})) {
      const hp: Path = [...gp, 'hosts', h];
      let host = parsed.hosts.get(h);
      if (!host) {
        host = { name: h, path: hp, vars: new Map(), conn: new Map() };
        parsed.hosts.set(h, host);
      }
      layerFrom(hostVars, hp, host.vars);
      rec?.hosts.add(h);
    }
    for (const [c, child] of Object.entries(group?.children ?? {})) {
      visit(c, child, [...gp, 'children', c], rec, false);
    }
  };
  for (const [name, group] of Object.entries(data)) visit(name, group, [name], undefined, true);
  return parsed;
}

/** Group membership and precedence depth, following Ansible `children` (cycles are errors). */
function resolveGroups(source: LocatedSource, parsed: Parsed, errors: InventoryError[]) {
  const members = new Map<string, Set<string>>();
  const depth = new Map<string, number>();
  const parents = new Map<string, string[]>();
  for (const g of parsed.groups.values()) for (const c of g.children.keys()) parents.set(c, [...(parents.get(c) ?? []), g.name]);

  const stack: string[] = [];
  const collect = (g: GroupRec): Set<string> => {
    const known = members.get(g.name);
    if (known) return known;
    const set = new Set(g.hosts);
    stack.push(g.name);
    for (const [c, refPath] of g.children) {
      if (stack.includes(c)) {
        errors.push(source.error(refPath, `group cycle: ${[...stack.slice(stack.indexOf(c)), c].join(' → ')}`, 'key'));
        continue;
      }
      for (const h of collect(parsed.groups.get(c)!)) set.add(h);
    }
    stack.pop();
    members.set(g.name, set);
    return set;
  };
  for (const g of parsed.groups.values()) collect(g);

  const depthOf = (g: string, seen: Set<string>): number => {
    const known = depth.get(g);
    if (known !== undefined) return known;
    if (seen.has(g)) return 1;
    seen.add(g);
    const d = 1 + Math.max(0, ...(parents.get(g) ?? []).map((p) => depthOf(p, seen)));
    depth.set(g, d);
    return d;
  };
  for (const g of parsed.groups.keys()) depthOf(g, new Set());
  return { members, depth };
}

function expandPath(p: string, base: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return path.resolve(base, p);
}

function finish(file: string, source: LocatedSource, parsed: Parsed, errors: InventoryError[]): Inventory {
  const dir = path.dirname(file);
  const { members, depth } = resolveGroups(source, parsed, errors);
  const groupNames = [...parsed.groups.keys()];

  // Names: a host and a group may not share a name (a pattern like `--limit web` would be ambiguous).
  for (const h of parsed.hosts.values()) {
    if (h.name === 'all') errors.push(source.error(h.path, '"all" is reserved (it means every host)', 'key'));
    if (parsed.groups.has(h.name)) {
      errors.push(source.error(h.path, `host ${h.name} has the name of a group; rename one of them`, 'key'));
    }
  }
  if (parsed.hosts.size === 0 && errors.length === 0) {
    errors.push(source.error(parsed.format === 'native' ? ['groups'] : [], 'the inventory defines no host', 'key'));
  }
  const warnings = unusedVarsFiles(parsed);

  const hosts = new Map<string, Host>();
  const varOrigins = new Map<string, Map<string, Origin>>();
  const connOrigins = new Map<string, Map<ConnField, Origin>>();
  const byAddress = new Map<string, { host: string; path: Path }>();
  const ignored: IgnoredAnsible[] = [];

  for (const rec of parsed.hosts.values()) {
    const groups = groupNames.filter((g) => members.get(g)?.has(rec.name));
    // Group vars in precedence order: parents before children, then file order (the later wins).
    const ordered = [...groups].sort(
      (a, b) => depth.get(a)! - depth.get(b)! || parsed.groups.get(a)!.order - parsed.groups.get(b)!.order,
    );
    const filesOf = (m: Map<string, FileLayer[]>, name: string) => (m.get(name) ?? []).map((f) => f.vars);
    const merged = new Map<string, Def>();
    for (const layer of [
      parsed.allVars,
      ...filesOf(parsed.groupFiles, 'all'),
      ...ordered.map((g) => parsed.groups.get(g)!.vars),
      ...ordered.flatMap((g) => filesOf(parsed.groupFiles, g)),
      rec.vars,
      ...filesOf(parsed.hostFiles, rec.name),
    ]) {
      for (const [k, d] of layer) merged.set(k, d);
    }

    // Connection settings: native fields, or Ansible's ansible_* variables (taken out of the vars).
    const conn = new Map<ConnField, Def>(rec.conn);
    if (parsed.format === 'ansible') {
      takeAnsibleVars(merged, conn, source, errors, ignored);
      checkAnsibleConn(source, rec.name, rec.path, conn, errors);
    }

    const address = conn.get('address')?.value ?? rec.name;
    const addressAt = conn.get('address')?.path ?? rec.path;
    if (typeof address === 'string') {
      // Behind different jump hosts, one address can be two machines.
      const key = `${address.toLowerCase()} via ${String(conn.get('proxy_jump')?.value ?? '')}`;
      const prior = byAddress.get(key);
      if (prior && isValidAddress(address)) {
        const line = source.locate(prior.path).line;
        const reason = `duplicate address: ${address} is already used by ${prior.host} (line ${line})`;
        errors.push(source.error(addressAt, reason, conn.has('address') ? 'value' : 'key'));
      } else if (!prior) byAddress.set(key, { host: rec.name, path: addressAt });
    }

    const user = String(conn.get('user')?.value ?? 'root');
    const becomeUser = conn.get('become_user')?.value as string | undefined; // validated above
    const become = conn.get('become')?.value === true && user !== (becomeUser ?? 'root');
    const proxyJump = conn.get('proxy_jump')?.value as string | undefined;
    const pk = conn.get('private_key')?.value;
    const vars: Vars = {};
    const vo = new Map<string, Origin>();
    for (const [k, d] of merged) {
      vars[k] = d.value as VarValue;
      vo.set(k, { path: d.path });
    }
    const co = new Map<ConnField, Origin>();
    for (const [k, d] of conn) co.set(k, { path: d.path });
    varOrigins.set(rec.name, vo);
    connOrigins.set(rec.name, co);
    const privateAddress = conn.get('private_address')?.value;
    hosts.set(rec.name, {
      name: rec.name,
      address: String(address),
      privateAddress: typeof privateAddress === 'string' ? privateAddress : String(address),
      port: (conn.get('port')?.value as number | undefined) ?? 22, // validated (and made a number) above
      user,
      ...(typeof pk === 'string' ? { privateKey: expandPath(pk, dir) } : {}),
      become,
      ...(becomeUser && becomeUser !== 'root' ? { becomeUser } : {}),
      ...(proxyJump ? { proxyJump } : {}),
      groups,
      vars,
    });
  }
  throwIfAny(errors);
  const ignoredWarning = ignoredAnsibleWarning(ignored, source);
  if (ignoredWarning) warnings.push(ignoredWarning);

  const groups = new Map<string, string[]>();
  for (const g of groupNames) groups.set(g, [...hosts.keys()].filter((h) => members.get(g)!.has(h)));

  let secretsFile: string | undefined;
  if (parsed.secrets) secretsFile = expandPath(String(parsed.secrets.value), dir);
  else if (parsed.format === 'ansible') {
    const conventional = defaultSecretsFile(file);
    if (fileExists(conventional)) secretsFile = conventional;
  }

  const inventory: Inventory = {
    file,
    hosts,
    groups,
    knownHosts: parsed.knownHosts ? expandPath(String(parsed.knownHosts.value), dir) : path.join(dir, 'known_hosts'),
    ...(secretsFile ? { secretsFile } : {}),
    format: parsed.format,
    ...(warnings.length ? { warnings } : {}),
    locate: (field: string) => locateIn(inventory, field),
  };
  originsOf.set(inventory, { source, parsed, vars: varOrigins, conn: connOrigins, secretsFile });
  return inventory;
}

/** group_vars/ and host_vars/ files for a group or host the inventory does not have: probably a typo. */
function unusedVarsFiles(parsed: Parsed): string[] {
  const out: string[] = [];
  for (const [name, layers] of parsed.groupFiles) {
    if (name === 'all' || parsed.groups.has(name)) continue;
    out.push(`${filesNamed(layers)}: the inventory has no group ${name}; these variables reach no host`);
  }
  for (const [name, layers] of parsed.hostFiles) {
    if (parsed.hosts.has(name)) continue;
    out.push(`${filesNamed(layers)}: the inventory has no host ${name}; these variables reach no host`);
  }
  return out;
}

function filesNamed(layers: FileLayer[]): string {
  return layers.map((l) => l.display).join(', ');
}

/** One warning naming every ignored ansible_* variable (or ssh option) and where each is set. */
function ignoredAnsibleWarning(ignored: IgnoredAnsible[], source: LocatedSource): string | undefined {
  const seen = new Map<string, string>();
  for (const i of ignored) {
    const at = source.locate(i.path, 'key');
    const where = [at.file, at.line, at.column].filter((p) => p !== undefined).join(':');
    seen.set(`${i.what} ${where}`, `${i.what} (${where})`);
  }
  if (seen.size === 0) return undefined;
  return `scaleup ignores these Ansible variables, which have no effect here: ${[...seen.values()].join(', ')}`;
}

function fileExists(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Merges decrypted secrets under every host's vars (precedence: secrets < all < group < host) and
 * returns a new Inventory; `inventory.secrets` keeps them all for the runner's Redactor.
 */
export function withSecrets(inventory: Inventory, secrets: Record<string, string | Secret>): Inventory {
  const wrapped: Record<string, Secret> = {};
  const where = { file: inventory.secretsFile ? displayPath(inventory.secretsFile) : '(secrets)' };
  const errors: InventoryError[] = [];
  for (const [k, v] of Object.entries(secrets)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) errors.push(new InventoryError('invalid secret name', { ...where, field: asciiJson(k) }));
    wrapped[k] = v instanceof Secret ? v : new Secret(v);
  }
  throwIfAny(errors);
  // Ansible keeps sudo's password in the vault as ansible_become_password: it is scaleup's become_password.
  const aliases = new Map<string, string>();
  if (inventory.format === 'ansible' && !('become_password' in wrapped)) {
    for (const name of ['ansible_become_pass', 'ansible_become_password']) {
      if (wrapped[name]) {
        wrapped.become_password = wrapped[name];
        aliases.set('become_password', name);
      }
    }
  }
  const hosts = new Map<string, Host>();
  for (const [name, h] of inventory.hosts) hosts.set(name, { ...h, vars: { ...wrapped, ...h.vars } });
  const out: Inventory = { ...inventory, hosts, secrets: { ...inventory.secrets, ...wrapped }, locate: (f) => locateIn(out, f) };
  const origins = originsOf.get(inventory);
  if (origins) {
    const vars = new Map<string, Map<string, Origin>>();
    for (const [h, m] of origins.vars) {
      const merged = new Map<string, Origin>();
      for (const k of Object.keys(wrapped)) merged.set(k, { secret: aliases.get(k) ?? k });
      for (const [k, o] of m) merged.set(k, o);
      vars.set(h, merged);
    }
    originsOf.set(out, { ...origins, vars });
  }
  return out;
}

/** `inventory.locate(field)`, also for an inventory built by hand (then: file and field, no line). */
export function locateField(inventory: Inventory, field: string): SourceLocation {
  return inventory.locate ? inventory.locate(field) : { file: displayPath(inventory.file), field };
}

/** A field naming something of a host, for locate() and messages: `hostField('lb-01', 'vars', 'vip')`. */
export function hostField(host: string, ...rest: (string | number)[]): string {
  return formatField(['hosts', host, ...rest]);
}

/**
 * Field syntax of `locate` — a path written as in error messages (`a.b["c.d"][0]`):
 *   hosts.NAME                   where the host is (first) defined
 *   hosts.NAME.vars.VAR[.…]      where the value of VAR that NAME gets is defined (host, group, all, or
 *                                the secrets file: then `{ file: <secrets file>, field: VAR }`, no line)
 *   hosts.NAME.address|port|user|become|private_key   where that connection setting comes from
 *   groups.NAME[.vars.VAR]       a group (its first definition in the Ansible format) or a group var
 *   vars.VAR                     an all-level var (Ansible: all.vars.VAR)
 *   any other path               that node of the file as written, e.g. `groups.lb.hosts.lb-01.port`
 * The result's `field` is the path of the definition in the file (so it can differ from the request).
 * An unknown field yields the host's location when the host is known, else `{ file, field }`.
 */
function locateIn(inventory: Inventory, field: string): SourceLocation {
  const o = originsOf.get(inventory);
  const fallback: SourceLocation = { file: displayPath(inventory.file), field };
  const p = parseField(field);
  if (!o || !p || p.length === 0) return fallback;
  const { source, parsed } = o;
  const at = (origin: Origin, rest: Path = []): SourceLocation =>
    'secret' in origin
      ? { file: o.secretsFile ? displayPath(o.secretsFile) : fallback.file, field: origin.secret }
      : source.has([...origin.path, ...rest])
        ? source.locate([...origin.path, ...rest])
        : source.locate(origin.path);

  const [head, name, kind, key, ...rest] = p;
  if (head === 'hosts' && typeof name === 'string' && parsed.hosts.has(name)) {
    const host = parsed.hosts.get(name)!;
    if (kind === undefined) return source.locate(host.path, 'key');
    if (kind === 'vars' && typeof key === 'string') {
      const origin = o.vars.get(name)?.get(key);
      return origin ? at(origin, rest) : { ...source.locate(host.path, 'key'), field };
    }
    const cf = ({ privateKey: 'private_key', becomeUser: 'become_user', proxyJump: 'proxy_jump' } as Record<string, string>)[String(kind)] ?? kind;
    if ((CONN_FIELDS as readonly unknown[]).includes(cf)) {
      const origin = o.conn.get(name)?.get(cf as ConnField);
      return origin ? at(origin) : { ...source.locate(host.path, 'key'), field };
    }
    return { ...source.locate(host.path, 'key'), field };
  }
  if (source.has(p)) return source.locate(p, 'value');
  if (head === 'groups' && typeof name === 'string' && parsed.groups.has(name)) {
    const g = parsed.groups.get(name)!;
    if (kind === undefined) return source.locate(g.path, 'key');
    if (kind === 'vars' && typeof key === 'string' && g.vars.has(key)) return at({ path: g.vars.get(key)!.path }, rest);
    return { ...source.locate(g.path, 'key'), field };
  }
  if (head === 'vars' && typeof name === 'string' && parsed.allVars.has(name)) {
    return at({ path: parsed.allVars.get(name)!.path }, [kind, key, ...rest].filter((s) => s !== undefined) as Path);
  }
  return fallback;
}

/** Names for messages that list what is valid (`--limit`, playbook `hosts`). */
export function inventoryNames(inventory: Inventory): { hosts: string[]; groups: string[] } {
  return { hosts: [...inventory.hosts.keys()], groups: [...inventory.groups.keys()] };
}
