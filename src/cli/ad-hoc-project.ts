// What `provision exec` and `provision logs` need before touching a host: the hosts a pattern selects
// (checked against the inventory before its secrets are opened), the inventory with `-u`,
// `--private-key` and `-b` applied, a redactor that knows every secret (the inventory's, and the value
// of every variable a role declares secret), and how to connect — the same verified connections
// `apply` uses, kept ones included. No playbook is needed; `rolesOnHosts` reads one when it exists.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openSsh } from '../core/connection/open.ts';
import type { Connection } from '../core/connection/connection.ts';
import { InventoryError } from '../core/errors.ts';
import { selectHosts } from '../core/host-pattern.ts';
import { openInventorySecrets, readInventory } from '../core/inventory.ts';
import type { Host, Inventory } from '../core/model.ts';
import { loadPlaybook } from '../core/playbook.ts';
import type { RoleChain } from '../core/role-source.ts';
import type { Redactor } from '../core/secret.ts';
import { keeperAccess } from './connection-keeper.ts';
import { redactorFor } from './project.ts';
import { overriddenHost } from './run-overrides.ts';
import { resolveSettings, rolesFor, type Settings } from './settings.ts';

export interface AdHocFlags {
  inventory?: string;
  playbook?: string;
  forks?: number;
  connectTimeout?: number;
  sshPersist?: number;
  acceptNewHostKeys?: boolean;
  ageKeyFile?: string;
  user?: string;
  privateKey?: string;
  become?: boolean;
}

export interface AdHocProject {
  settings: Settings;
  inventory: Inventory;
  /** The hosts PATTERN selects, in inventory order, with the command line's overrides. */
  hosts: Host[];
  redactor: Redactor;
  roleSource: RoleChain;
  connect: (host: Host) => Promise<Connection>;
}

/** The settings and the hosts `pattern` selects, from the inventory alone (no secret opened yet). */
export function selectTargets(pattern: string, flags: AdHocFlags): { settings: Settings; plain: Inventory; names: string[] } {
  const settings = resolveSettings({ inventory: flags.inventory, playbook: flags.playbook, forks: flags.forks, sshPersist: flags.sshPersist, connectTimeout: flags.connectTimeout });
  if (!settings.inventory) throw new InventoryError('no inventory given: pass -i FILE, set SCALEUP_INVENTORY, or set inventory in scaleup.yml', { file: '(command line)', field: '--inventory' });
  const plain = readInventory(path.resolve(settings.inventory));
  try {
    return { settings, plain, names: selectHosts(plain, pattern).map((h) => h.name) };
  } catch (err) {
    if (err instanceof InventoryError) throw new InventoryError(err.reason, { file: '(command line)', field: 'PATTERN' });
    throw err;
  }
}

/** Opens the inventory's secrets and makes everything needed to reach the selected hosts. */
export async function loadAdHocProject(selected: ReturnType<typeof selectTargets>, flags: AdHocFlags): Promise<AdHocProject> {
  const { settings, plain, names } = selected;
  const opened = await openInventorySecrets(plain, { ageKeyFile: flags.ageKeyFile ?? process.env.SCALEUP_AGE_KEY_FILE });
  const overrides = { user: flags.user, privateKey: flags.privateKey, become: flags.become };
  const inventory: Inventory = { ...opened, hosts: new Map([...opened.hosts].map(([name, host]) => [name, overriddenHost(host, {}, overrides)])) };
  const roleSource = rolesFor(settings);
  // Every role's secrets: a command's output may quote any value a host holds.
  const redactor = redactorFor(inventory, await roleSource.loadAll());
  const keeper = keeperAccess(settings.sshPersistSeconds);
  const connectTimeoutMs = settings.connectTimeoutSeconds * 1000;
  return {
    settings,
    inventory,
    hosts: names.map((n) => inventory.hosts.get(n)!),
    redactor,
    roleSource,
    connect: (host) => openSsh(host, { knownHostsFile: inventory.knownHosts, acceptNewHostKeys: Boolean(flags.acceptNewHostKeys), connectTimeoutMs }, keeper),
  };
}

/**
 * The roles the playbook applies to each host, or undefined when the project has no playbook (an
 * ad-hoc command does not need one). A playbook that exists but is wrong is reported.
 */
export function rolesOnHosts(settings: Settings, inventory: Inventory, roleSource: RoleChain): Map<string, string[]> | undefined {
  if (!existsSync(settings.playbook)) return undefined;
  const on = new Map<string, string[]>();
  for (const play of loadPlaybook(settings.playbook, inventory, roleSource.list()).plays) {
    for (const h of selectHosts(inventory, play.hosts)) on.set(h.name, [...new Set([...(on.get(h.name) ?? []), ...play.roles])]);
  }
  return on;
}
