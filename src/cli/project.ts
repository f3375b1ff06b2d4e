// Everything a command needs before it touches a host: the inventory (with decrypted secrets),
// the playbook narrowed by --role/--limit, the pre-flight checks, and how to connect.
import path from 'node:path';
import { openSsh } from '../core/connection/open.ts';
import { keeperAccess } from './connection-keeper.ts';
import { InventoryError, InventoryErrors, type SourceLocation } from '../core/errors.ts';
import { selectHosts } from '../core/host-pattern.ts';
import { loadInventory, locateField, openInventorySecrets, readInventory } from '../core/inventory.ts';
import type { Host, Inventory, Vars, VarValue } from '../core/model.ts';
import { loadPlaybook, type Play } from '../core/playbook.ts';
import { preflight } from '../core/preflight.ts';
import type { Role } from '../core/role.ts';
import type { RoleChain } from '../core/role-source.ts';
import { plainTextSecrets, roleSecretValues, type PlainSecret } from '../core/role-secrets.ts';
import type { PlannedPlay } from '../core/run.ts';
import { Redactor, Secret } from '../core/secret.ts';
import type { Connection } from '../core/connection/connection.ts';
import { defaultSecretsFile } from '../core/vault.ts';
import { undeclaredVariables, type UndeclaredVariable } from '../core/undeclared-vars.ts';
import { templateSyntaxErrors } from '../core/template.ts';
import { closest, displayPath, parseField } from '../core/yaml-source.ts';
import { builtinRolesDir } from './role-sources.ts';
import { typecheckProjectRoles } from './role-typecheck.ts';
import { expandLimit, extraVars, overriddenHost, startAtRole, type ConnectionOverrides } from './run-overrides.ts';
import { rolesFor, type Settings } from './settings.ts';

export interface ProjectOptions {
  /** Inventory, playbook, role folders and connection settings (flag > environment > scaleup.yml > default). */
  settings: Settings;
  roles?: string[];
  limit?: string[];
  acceptNewHostKeys: boolean;
  ageKeyFile?: string;
  /** Every tag `--tags` and `--skip-tags` name: each must be a role of the playbook or a tag a role declares. */
  tags?: string[];
  /** `-e`: KEY=VALUE or @FILE, above every other source of variables. */
  extraVars?: string[];
  /** `-u`, `--private-key`, `-b`: over every host's connection settings. */
  connection?: ConnectionOverrides;
  startAtRole?: string;
}

export interface Project {
  settings: Settings;
  inventory: Inventory;
  /** The `-e` variables of this run (secrets among them redacted when shown). */
  extraVars: Vars;
  plays: PlannedPlay[];
  redactor: Redactor;
  /** What the person should fix although the run can go ahead (a secret in plain text), one line each. */
  warnings: string[];
  connect: (host: Host) => Promise<Connection>;
}

function collectSecrets(value: VarValue, redactor: Redactor): void {
  if (value instanceof Secret) redactor.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collectSecrets(v, redactor));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => collectSecrets(v, redactor));
}

/**
 * A redactor that knows every secret value of the inventory (overridden ones too) and the value of
 * every variable `roles` declare secret, on every host, also when it is plain text.
 */
export function redactorFor(inventory: Inventory, roles: Role[] = []): Redactor {
  const redactor = new Redactor();
  for (const secret of Object.values(inventory.secrets ?? {})) redactor.add(secret);
  for (const host of inventory.hosts.values()) for (const v of Object.values(host.vars)) collectSecrets(v, redactor);
  for (const value of roleSecretValues(inventory, roles)) redactor.add(value);
  return redactor;
}

function where(location: SourceLocation): string {
  const at = [location.file, location.line, location.column].filter((p) => p !== undefined).join(':');
  return location.field ? `${at} (${location.field})` : at;
}

/** The warning for a secret variable stored in plain text: where it is set and how to move it into the vault. */
export function plainSecretWarning(plain: PlainSecret, inventory: Inventory): string {
  const secretsFile = displayPath(inventory.secretsFile ?? defaultSecretsFile(inventory.file));
  const set = `provision vault set ${secretsFile} ${plain.name}`;
  const how = inventory.secretsFile ? set : `provision vault init -i ${displayPath(inventory.file)}, then ${set}`;
  return `${plain.name} is a secret but is stored in plain text at ${plain.locations.map(where).join(', ')}; ` +
    `keep it in the vault instead (${how}) and remove the plain-text value`;
}

/** The warning for an inventory variable no role reads. */
export function undeclaredWarning(v: UndeclaredVariable): string {
  return `${where(v.location)}: no role reads the variable ${v.name}${v.hint ? ` (did you mean ${v.hint}?)` : ''}`;
}

function inventoryFile(file: string | undefined): string {
  if (!file) {
    throw new InventoryError('no inventory given: pass -i FILE, set SCALEUP_INVENTORY, or set inventory in scaleup.yml', { file: '(command line)', field: '--inventory' });
  }
  return path.resolve(file);
}

export async function loadInventoryWithSecrets(file: string | undefined, ageKeyFile?: string): Promise<Inventory> {
  return loadInventory(inventoryFile(file), { ageKeyFile });
}

/** A project's plays as the command line narrows them, with their roles: everything but the secrets. */
export interface SelectedProject {
  /** The inventory without its secrets. */
  plain: Inventory;
  selected: { play: Play; roleNames: string[]; hosts: string[] }[];
  playRoles: Map<string, Role>;
  roleSource: RoleChain;
}

/**
 * The checks and choices made before any secret is opened: inventory, playbook, --role, --limit,
 * --tags, every role (syntax, types, templates). `--list-hosts` and `--list-tags` stop here.
 */
export async function selectProject(options: ProjectOptions): Promise<SelectedProject> {
  const { settings } = options;
  const file = inventoryFile(settings.inventory);
  // The command line is checked against the inventory before its secrets are opened: a mistyped
  // --role or --limit is reported without asking for a passphrase or reading the identity file.
  const plain = readInventory(file);
  const roleSource = rolesFor(settings);
  const known = roleSource.list();
  const loaded = loadPlaybook(settings.playbook, plain, known);
  const playbook = options.startAtRole ? { ...loaded, plays: startAtRole(loaded.plays, options.startAtRole) } : loaded;
  for (const r of options.roles ?? []) {
    if (!known.includes(r)) throw new InventoryError(`unknown role '${r}'; roles are: ${known.join(', ')}`, { file: '(command line)', field: '--role' });
    if (!playbook.plays.some((p) => p.roles.includes(r))) {
      throw new InventoryError(`role '${r}' is not in ${displayPath(settings.playbook)}`, { file: '(command line)', field: '--role' });
    }
  }
  const limit = options.limit?.length ? expandLimit(options.limit) : undefined;
  const limited = limit ? new Set(selectHosts(plain, limit.join(',')).map((h) => h.name)) : undefined;
  const selected = playbook.plays.flatMap((play) => {
    const roleNames = options.roles?.length ? play.roles.filter((r) => options.roles!.includes(r)) : play.roles;
    const hosts = selectHosts(plain, play.hosts).filter((h) => !limited || limited.has(h.name)).map((h) => h.name);
    return roleNames.length && hosts.length ? [{ play, roleNames, hosts }] : [];
  });
  if (!selected.length) {
    throw new InventoryError('nothing to do: no play matches the given --role/--limit', { file: '(command line)', field: '--limit' });
  }

  // Every role of the playbook is loaded (a project role with a syntax error is reported) before
  // the secrets are opened.
  const playRoles = new Map<string, Role>();
  for (const name of new Set(playbook.plays.flatMap((p) => p.roles))) playRoles.set(name, await roleSource.require(name));
  const knownTags = [...new Set([...playRoles.values()].flatMap((r) => [r.name, ...(r.tags ?? [])]))].sort();
  for (const tag of options.tags ?? []) {
    if (!knownTags.includes(tag)) {
      const hint = closest(tag, knownTags);
      throw new InventoryError(`unknown tag '${tag}'${hint ? ` (did you mean ${hint}?)` : ''}; tags are: ${knownTags.join(', ')}`, { file: '(command line)', field: '--tags' });
    }
  }
  // Every template of those roles compiles (an EJS syntax error is found here, not on a host).
  const badTemplates = [...playRoles.values()].flatMap((r) => templateSyntaxErrors(r.home))
    .map((e) => new InventoryError(e.reason, { file: e.file, ...(e.line ? { line: e.line } : {}), field: 'template' }));
  if (badTemplates.length === 1) throw badTemplates[0]!;
  if (badTemplates.length) throw new InventoryErrors(badTemplates);
  // The project's own roles are type-checked too (the built-in ones were, when scaleup was built).
  const ownRoleDirs = [...playRoles.values()].map((r) => r.home?.dir).filter((d): d is string => Boolean(d) && !d!.startsWith(builtinRolesDir + path.sep));
  typecheckProjectRoles(settings.project.root, ownRoleDirs);
  return { plain, selected, playRoles, roleSource };
}

export async function loadProject(options: ProjectOptions): Promise<Project> {
  const { settings } = options;
  const { plain, selected, playRoles, roleSource } = await selectProject(options);
  const opened = await openInventorySecrets(plain, { ageKeyFile: options.ageKeyFile });
  const extra = extraVars(options.extraVars ?? [], [...playRoles.values()]);
  const inventory: Inventory = {
    ...opened,
    hosts: new Map([...opened.hosts].map(([name, host]) => [name, overriddenHost(host, extra, options.connection ?? {})])),
    // A problem with a -e variable points at the command line, not at the inventory line it overrode.
    locate: (field) => {
      const p = parseField(field);
      const name = p?.[0] === 'hosts' && p[2] === 'vars' ? p[3] : undefined;
      return typeof name === 'string' && Object.hasOwn(extra, name)
        ? { file: '(command line)', field: `--extra-vars ${name}` }
        : locateField(opened, field);
    },
  };
  const plays: PlannedPlay[] = selected.map(({ play, roleNames, hosts }) => ({
    name: play.name,
    hosts: hosts.map((name) => inventory.hosts.get(name)!),
    roles: roleNames.map((name) => playRoles.get(name)!),
    serial: play.serial,
    maxFailPercentage: play.maxFailPercentage,
  }));
  // Every role's secrets, not only those of the roles this run applies: a host's output (an error,
  // a file shown by --diff) may quote any value the host holds. (A role that fails to load is one
  // this run does not use, or it would have been reported above.)
  const roles = await roleSource.loadAll();
  const redactor = redactorFor(inventory, roles);
  const warnings = [
    ...(inventory.warnings ?? []),
    ...plainTextSecrets(inventory, roles).map((p) => plainSecretWarning(p, inventory)),
    ...undeclaredVariables(inventory, roles).map(undeclaredWarning),
  ];
  try {
    preflight(inventory, plays, { projectRoot: settings.project.root });
  } catch (err) {
    // A role's check may quote the value it refuses, and that value may be a secret put in the wrong place.
    const clean = (e: InventoryError) => new InventoryError(redactor.redact(e.reason), e.location);
    if (err instanceof InventoryError) throw clean(err);
    if (err instanceof InventoryErrors) throw new InventoryErrors(err.errors.map(clean));
    throw err;
  }

  const keeper = keeperAccess(settings.sshPersistSeconds);
  const connectTimeoutMs = settings.connectTimeoutSeconds * 1000;
  return {
    settings,
    inventory,
    extraVars: extra,
    plays,
    redactor,
    warnings,
    connect: (host) => openSsh(host, { knownHostsFile: inventory.knownHosts, acceptNewHostKeys: options.acceptNewHostKeys, connectTimeoutMs }, keeper),
  };
}
