// Role variables as the engine merges them (role defaults < all < group < host), for the checks a
// role makes over the whole inventory before any connection.
import { type Host, hostsInGroup, type Inventory, type Vars } from 'scaleup';

/** The variables a role sees on `host`: its defaults overlaid by the host's merged inventory vars. */
export function varsFor<V extends Vars>(defaults: V, host: Host): V {
  return { ...defaults, ...host.vars } as V;
}

/** Hosts of a group in inventory order; [] for an unknown group. */
export function groupHosts(inventory: Inventory, group: string): Host[] {
  return hostsInGroup(inventory)(group);
}
