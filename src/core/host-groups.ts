// An inventory's groups as lists of hosts, for roles that configure one tier towards another.
import type { Host, Inventory } from './model.ts';

/** Hosts of a group in inventory order; [] for an unknown group. */
export function hostsInGroup(inventory: Inventory): (group: string) => Host[] {
  return (group) => (inventory.groups.get(group) ?? []).map((n) => inventory.hosts.get(n)!).filter(Boolean);
}
