// Ansible-style host patterns, for `--limit` and a play's `hosts`:
//   web-01            a host            web            a group             all (or *)   every host
//   web,db / web:db   union             !web-01        exclude             &staging     intersect
//   web-*             shell-style glob over host and group names
// As in Ansible, terms apply in a fixed order whatever their position: the union of the plain terms
// (every host if there are none), then each `&` intersection, then each `!` exclusion.
import { InventoryError } from './errors.ts';
import type { Host, Inventory } from './model.ts';
import { listNames } from './yaml-source.ts';

export interface PatternResult {
  hosts: Host[];
  /** Terms that name no host or group (and globs that match nothing), as written. */
  unknown: string[];
}

/** Resolves a pattern without throwing: the caller decides how to report unknown names. */
export function resolvePattern(inventory: Inventory, pattern: string | readonly string[]): PatternResult {
  const terms = (typeof pattern === 'string' ? [pattern] : pattern)
    .flatMap((p) => p.split(/[,:]/))
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const unknown: string[] = [];
  const namesOf = (term: string): Set<string> | undefined => {
    if (term === 'all' || term === '*') return new Set(inventory.hosts.keys());
    if (inventory.hosts.has(term)) return new Set([term]);
    const group = inventory.groups.get(term);
    if (group) return new Set(group);
    if (term.includes('*') || term.includes('?')) {
      const re = new RegExp(`^${term.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      const out = new Set<string>();
      for (const h of inventory.hosts.keys()) if (re.test(h)) out.add(h);
      for (const [g, members] of inventory.groups) if (re.test(g)) for (const h of members) out.add(h);
      if (out.size > 0) return out;
    }
    unknown.push(term);
    return undefined;
  };

  const plain = terms.filter((t) => !t.startsWith('!') && !t.startsWith('&'));
  const selected = new Set<string>();
  if (plain.length === 0) for (const h of inventory.hosts.keys()) selected.add(h);
  for (const t of plain) for (const h of namesOf(t) ?? []) selected.add(h);
  for (const t of terms.filter((t) => t.startsWith('&'))) {
    const keep = namesOf(t.slice(1).trim()) ?? new Set<string>();
    for (const h of [...selected]) if (!keep.has(h)) selected.delete(h);
  }
  for (const t of terms.filter((t) => t.startsWith('!'))) {
    for (const h of namesOf(t.slice(1).trim()) ?? []) selected.delete(h);
  }
  return { hosts: [...inventory.hosts.values()].filter((h) => selected.has(h.name)), unknown };
}

/** The message for unknown names in a pattern, listing the valid ones. */
export function unknownPatternMessage(inventory: Inventory, unknown: readonly string[]): string {
  const what = unknown.map((u) => JSON.stringify(u)).join(', ');
  return (
    `unknown host or group ${what}; ` +
    `hosts: ${listNames(inventory.hosts.keys())}; groups: ${listNames(inventory.groups.keys())}`
  );
}

/**
 * The hosts a pattern selects, in inventory order (see the top of this file for the syntax; several
 * patterns, as from repeated `--limit`, are joined as one comma list). An unknown name, or a pattern
 * with no term at all, is an InventoryError with field `--limit` listing the valid names.
 */
export function selectHosts(inventory: Inventory, pattern: string | readonly string[]): Host[] {
  const { hosts, unknown } = resolvePattern(inventory, pattern);
  const empty = (typeof pattern === 'string' ? [pattern] : pattern).every((p) => p.split(/[,:]/).every((t) => t.trim() === ''));
  if (empty) throw new InventoryError('empty host pattern', { file: '(command line)', field: '--limit' });
  if (unknown.length > 0) {
    throw new InventoryError(unknownPatternMessage(inventory, unknown), { file: '(command line)', field: '--limit' });
  }
  return hosts;
}
