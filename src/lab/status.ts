// `provision lab status`: what runs, where, and who holds the VIP. The JSON form is a contract that
// tests and scripts read:
//   {"hosts":[{"name","address","init","up"}],"vip","vipHolder","sshKey","knownHosts","inventory"}
import { VIP, labHost } from './addresses.ts';
import { hostRunning } from './host-launch.ts';
import { holdsVip } from './network.ts';
import type { LabPaths } from './paths.ts';
import type { InitFlavor } from './recipe.ts';
import { readState } from './state.ts';

export interface LabHostStatus {
  name: string;
  address: string;
  init: InitFlavor;
  up: boolean;
}

export interface LabStatus {
  hosts: LabHostStatus[];
  vip: string;
  /** The host whose network namespace has the VIP on an interface, or null. */
  vipHolder: string | null;
  sshKey: string;
  knownHosts: string;
  inventory: string;
}

/** A lab is up when it has hosts and every one of them runs. */
export function labIsUp(status: LabStatus): boolean {
  return status.hosts.length > 0 && status.hosts.every((h) => h.up);
}

export async function labStatus(paths: LabPaths): Promise<LabStatus> {
  const state = await readState(paths);
  if (!state) {
    return {
      hosts: [],
      vip: VIP,
      vipHolder: null,
      sshKey: paths.sshKey,
      knownHosts: paths.knownHosts,
      inventory: paths.inventory,
    };
  }
  const hosts = state.hosts.map((h) => ({
    name: h.name,
    address: h.address,
    init: state.init,
    up: h.process !== undefined && hostRunning(h.process),
  }));
  let vipHolder: string | null = null;
  for (const h of hosts) {
    if (h.up && (await holdsVip(labHost(h.name)))) {
      vipHolder = h.name;
      break;
    }
  }
  return { hosts, vip: VIP, vipHolder, sshKey: state.sshKey, knownHosts: state.knownHosts, inventory: state.inventory };
}
