// Everything a command needs before it touches a host: the inventory (with decrypted secrets),
// the playbook narrowed by --role/--limit, the pre-flight checks, and how to connect.
import path from 'node:path';
import { openSsh } from '../core/connection/open.ts';
import { keeperAccess, sshPersistSeconds } from './connection-keeper.ts';
import { InventoryError, InventoryErrors } from '../core/errors.ts';
import { selectHosts } from '../core/host-pattern.ts';
import { loadInventory } from '../core/inventory.ts';
import type { Host, Inventory, VarValue } from '../core/model.ts';
import { loadPlaybook } from '../core/playbook.ts';
import { preflight } from '../core/preflight.ts';
import { listRoles, loadRole } from '../core/role-loader.ts';
import type { PlannedPlay } from '../core/run.ts';
import { Redactor, Secret } from '../core/secret.ts';
import type { Connection } from '../core/connection/connection.ts';

export interface ProjectOptions {
  inventory?: string;
  playbook: string;
  roles?: string[];
  limit?: string[];
  acceptNewHostKeys: boolean;
  ageKeyFile?: string;
  /** Seconds SSH connections are kept for the next run (0: none); default as sshPersistSeconds(). */
  sshPersistSeconds?: number;
}

export interface Project {
  inventory: Inventory;
  plays: PlannedPlay[];
  redactor: Redactor;
  connect: (host: Host) => Promise<Connection>;
}

function collectSecrets(value: VarValue, redactor: Redactor): void {
  if (value instanceof Secret) redactor.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collectSecrets(v, redactor));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => collectSecrets(v, redactor));
}

/** A redactor that knows every secret value of the inventory (overridden ones too). */
export function redactorFor(inventory: Inventory): Redactor {
  const redactor = new Redactor();
  for (const secret of Object.values(inventory.secrets ?? {})) redactor.add(secret);
  for (const host of inventory.hosts.values()) for (const v of Object.values(host.vars)) collectSecrets(v, redactor);
  return redactor;
}

export async function loadInventoryWithSecrets(file: string | undefined, ageKeyFile?: string): Promise<Inventory> {
  if (!file) {
    throw new InventoryError('no inventory given: pass -i FILE or set SCALEUP_INVENTORY', { file: '(command line)', field: '--inventory' });
  }
  return loadInventory(path.resolve(file), { ageKeyFile });
}

export async function loadProject(options: ProjectOptions): Promise<Project> {
  const inventory = await loadInventoryWithSecrets(options.inventory, options.ageKeyFile);
  const known = listRoles();
  const playbook = loadPlaybook(path.resolve(options.playbook), inventory, known);
  for (const r of options.roles ?? []) {
    if (!known.includes(r)) throw new InventoryError(`unknown role '${r}'; roles are: ${known.join(', ')}`, { file: '(command line)', field: '--role' });
    if (!playbook.plays.some((p) => p.roles.includes(r))) {
      throw new InventoryError(`role '${r}' is not in ${options.playbook}`, { file: '(command line)', field: '--role' });
    }
  }
  const limited = options.limit?.length ? new Set(selectHosts(inventory, options.limit.join(',')).map((h) => h.name)) : undefined;

  const plays: PlannedPlay[] = [];
  for (const play of playbook.plays) {
    const roleNames = options.roles?.length ? play.roles.filter((r) => options.roles!.includes(r)) : play.roles;
    if (!roleNames.length) continue;
    const hosts = selectHosts(inventory, play.hosts).filter((h) => !limited || limited.has(h.name));
    if (!hosts.length) continue;
    plays.push({
      name: play.name,
      hosts,
      roles: await Promise.all(roleNames.map(loadRole)),
      serial: play.serial,
      maxFailPercentage: play.maxFailPercentage,
    });
  }
  if (!plays.length) {
    throw new InventoryError('nothing to do: no play matches the given --role/--limit', { file: '(command line)', field: '--limit' });
  }
  const redactor = redactorFor(inventory);
  try {
    preflight(inventory, plays);
  } catch (err) {
    // A role's check may quote the value it refuses, and that value may be a secret put in the wrong place.
    const clean = (e: InventoryError) => new InventoryError(redactor.redact(e.reason), e.location);
    if (err instanceof InventoryError) throw clean(err);
    if (err instanceof InventoryErrors) throw new InventoryErrors(err.errors.map(clean));
    throw err;
  }

  const keeper = keeperAccess(options.sshPersistSeconds ?? sshPersistSeconds());
  return {
    inventory,
    plays,
    redactor,
    connect: (host) => openSsh(host, { knownHostsFile: inventory.knownHosts, acceptNewHostKeys: options.acceptNewHostKeys }, keeper),
  };
}
