// The inventory of a running lab, in the engine's inventory format. The five default hosts have the
// committed `inventory/lab.yml`; any other host set (`--hosts web-01..web-20`) gets `.lab/inventory.yml`.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_HOSTS, LAB_GROUPS, VIP, type LabHost } from './addresses.ts';
import type { LabPaths } from './paths.ts';

export interface InventoryDoc {
  connection: { user: string; become: boolean; port: number; private_key: string; known_hosts: string };
  vars: { vip: string };
  groups: Record<string, { hosts: Record<string, { address: string }> }>;
}

/** The inventory document for `hosts`, with key paths relative to the inventory file's folder. */
export function inventoryDoc(hosts: LabHost[], privateKey: string, knownHosts: string): InventoryDoc {
  const groups: InventoryDoc['groups'] = {};
  for (const group of LAB_GROUPS) {
    const members = hosts.filter((h) => h.group === group);
    if (members.length === 0) continue;
    groups[group] = { hosts: Object.fromEntries(members.map((h) => [h.name, { address: h.address }])) };
  }
  return {
    connection: { user: 'deploy', become: true, port: 22, private_key: privateKey, known_hosts: knownHosts },
    vars: { vip: VIP },
    groups,
  };
}

export function isDefaultHostSet(hosts: LabHost[]): boolean {
  const names = new Set(hosts.map((h) => h.name));
  return names.size === DEFAULT_HOSTS.length && DEFAULT_HOSTS.every((n) => names.has(n));
}

/**
 * The inventory file describing `hosts`: the committed one for the default five, else a generated
 * `.lab/inventory.yml` (written here). Returns its path.
 */
export async function labInventory(paths: LabPaths, hosts: LabHost[]): Promise<string> {
  if (isDefaultHostSet(hosts)) return paths.inventory;
  const file = paths.generatedInventory;
  const rel = (p: string) => relative(dirname(file), p) || '.';
  const doc = inventoryDoc(hosts, rel(paths.sshKey), rel(paths.knownHosts));
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `# Written by \`provision lab up\` for the running lab's hosts.\n${stringify(doc)}`);
  return file;
}
