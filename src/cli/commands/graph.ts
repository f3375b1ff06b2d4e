// `provision graph`: the topology of an inventory — clients → VIP → the keepalived pair of load
// balancers → web hosts → app hosts → the database — as Mermaid (GitHub renders it) or Graphviz dot.
import path from 'node:path';
import { Option, type Command } from 'commander';
import { InventoryError } from '../../core/errors.ts';
import { loadInventory } from '../../core/inventory.ts';
import type { Host, Inventory, VarValue } from '../../core/model.ts';
import { resolveSettings } from '../settings.ts';

export type GraphFormat = 'mermaid' | 'dot';

interface TierNode {
  /** Inventory group. */
  group: string;
  /** What runs there. */
  label: string;
  /** Port the previous tier connects to on these hosts. */
  port?: number;
  hosts: Host[];
}

export interface Topology {
  vip?: string;
  frontendPort: number;
  lb?: TierNode;
  web?: TierNode;
  app?: TierNode;
  db?: TierNode;
  /** The load balancer keepalived makes VRRP MASTER (highest priority). */
  primaryLb?: string;
  /** Groups outside the four tiers, drawn without traffic arrows. */
  others: TierNode[];
}

// The names and defaults the roles use (roles/shared-vars.ts, roles/haproxy, roles/keepalived).
const DEFAULTS = {
  lb_group: 'lb', web_group: 'web', app_group: 'app', db_group: 'db',
  nginx_port: 80, app_port: 3000, mysql_port: 3306, haproxy_frontend_port: 80,
} as const;

function firstVar(hosts: Iterable<Host>, name: string): VarValue | undefined {
  for (const h of hosts) if (h.vars[name] !== undefined && h.vars[name] !== null) return h.vars[name];
  return undefined;
}

function numberVar(hosts: Iterable<Host>, name: keyof typeof DEFAULTS): number {
  const v = firstVar(hosts, name);
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : (DEFAULTS[name] as number);
}

function stringVar(hosts: Iterable<Host>, name: keyof typeof DEFAULTS): string {
  const v = firstVar(hosts, name);
  return typeof v === 'string' && v ? v : String(DEFAULTS[name]);
}

/** Reads the tiers out of an inventory: group names and ports from its variables, else the roles' defaults. */
export function topology(inventory: Inventory): Topology {
  const all = [...inventory.hosts.values()];
  const members = (group: string) => (inventory.groups.get(group) ?? []).map((n) => inventory.hosts.get(n)!).filter(Boolean);
  const tier = (group: string, label: string, port?: number): TierNode | undefined => {
    const hosts = members(group);
    return hosts.length ? { group, label, port, hosts } : undefined;
  };
  const names = {
    lb: stringVar(all, 'lb_group'),
    web: stringVar(all, 'web_group'),
    app: stringVar(all, 'app_group'),
    db: stringVar(all, 'db_group'),
  };
  const web = tier(names.web, 'nginx', numberVar(members(names.web), 'nginx_port'));
  const lb = tier(names.lb, 'HAProxy + keepalived');
  const app = tier(names.app, 'application', numberVar(members(names.app), 'app_port'));
  const db = tier(names.db, 'MySQL', numberVar(members(names.db), 'mysql_port'));
  const vip = firstVar(lb?.hosts ?? all, 'vip');

  // keepalived: an explicit keepalived_priority wins, else 150, 140, … in group order.
  let primaryLb: string | undefined;
  let best = -Infinity;
  for (const [i, h] of (lb?.hosts ?? []).entries()) {
    const p = typeof h.vars.keepalived_priority === 'number' ? h.vars.keepalived_priority : 150 - 10 * i;
    if (p > best) [best, primaryLb] = [p, h.name];
  }
  const tierGroups = new Set(Object.values(names));
  const others = [...inventory.groups.keys()]
    .filter((g) => !tierGroups.has(g))
    .map((g) => tier(g, g))
    .filter((t): t is TierNode => Boolean(t));
  return {
    vip: typeof vip === 'string' && vip ? vip : undefined,
    frontendPort: numberVar(lb?.hosts ?? all, 'haproxy_frontend_port'),
    lb, web, app, db, primaryLb, others,
  };
}

/** Node ids both formats can use: letters, digits and `_`, unique. */
function idMaker(): (key: string) => string {
  const given = new Map<string, string>();
  const used = new Set<string>();
  return (key) => {
    let id = given.get(key);
    if (id) return id;
    const base = key.replace(/[^A-Za-z0-9_]/g, '_');
    id = base;
    for (let i = 2; used.has(id); i++) id = `${base}_${i}`;
    given.set(key, id);
    used.add(id);
    return id;
  };
}

/** The traffic chain, skipping absent tiers: each hop is [from, to, port]. */
function hops(t: Topology): [TierNode, TierNode, number | undefined][] {
  const chain = [t.lb, t.web, t.app, t.db].filter((x): x is TierNode => Boolean(x));
  const out: [TierNode, TierNode, number | undefined][] = [];
  for (let i = 1; i < chain.length; i++) out.push([chain[i - 1]!, chain[i]!, chain[i]!.port]);
  return out;
}

function tierTitle(n: TierNode): string {
  return `${n.group} · ${n.label}${n.port ? ` :${n.port}` : ''}`;
}

export function toMermaid(t: Topology): string {
  const id = idMaker();
  const q = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;
  const lines = ['flowchart LR', `  clients([${q('clients')}])`];
  const entry = t.lb ?? t.web ?? t.app ?? t.db;
  if (t.vip) lines.push(`  vip{{${q(`VIP ${t.vip}`)}}}`);
  for (const tier of [t.lb, t.web, t.app, t.db, ...t.others]) {
    if (!tier) continue;
    lines.push(`  subgraph ${id(`tier:${tier.group}`)}[${q(tierTitle(tier))}]`);
    for (const h of tier.hosts) lines.push(`    ${id(`host:${h.name}`)}[${q(`${h.name}<br/>${h.privateAddress}`)}]`);
    lines.push('  end');
  }
  if (t.vip) {
    lines.push(`  clients -->|${q(`:${t.frontendPort}`)}| vip`);
    for (const h of t.lb?.hosts ?? []) {
      const role = h.name === t.primaryLb ? 'MASTER' : 'BACKUP';
      lines.push(`  vip ${role === 'MASTER' ? '-->' : '-.->'}|${q(role)}| ${id(`host:${h.name}`)}`);
    }
  } else if (entry) {
    lines.push(`  clients --> ${id(`tier:${entry.group}`)}`);
  }
  const lbs = t.lb?.hosts ?? [];
  for (let i = 1; i < lbs.length; i++) lines.push(`  ${id(`host:${lbs[0]!.name}`)} -.-|${q('VRRP')}| ${id(`host:${lbs[i]!.name}`)}`);
  for (const [from, to, port] of hops(t)) {
    lines.push(`  ${id(`tier:${from.group}`)} -->${port ? `|${q(`:${port}`)}|` : ''} ${id(`tier:${to.group}`)}`);
  }
  return lines.join('\n') + '\n';
}

export function toDot(t: Topology): string {
  const id = idMaker();
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const lines = [
    'digraph scaleup {',
    '  rankdir=LR;',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
    '  clients [shape=oval, label="clients"];',
  ];
  if (t.vip) lines.push(`  vip [shape=hexagon, label=${q(`VIP\n${t.vip}`)}];`);
  for (const tier of [t.lb, t.web, t.app, t.db, ...t.others]) {
    if (!tier) continue;
    lines.push(`  subgraph cluster_${id(`tier:${tier.group}`)} {`, `    label=${q(tierTitle(tier))};`);
    for (const h of tier.hosts) lines.push(`    ${id(`host:${h.name}`)} [label=${q(`${h.name}\n${h.privateAddress}`)}];`);
    lines.push('  }');
  }
  const entry = t.lb ?? t.web ?? t.app ?? t.db;
  if (t.vip) {
    lines.push(`  clients -> vip [label=${q(`:${t.frontendPort}`)}];`);
    for (const h of t.lb?.hosts ?? []) {
      const master = h.name === t.primaryLb;
      lines.push(`  vip -> ${id(`host:${h.name}`)} [label=${q(master ? 'MASTER' : 'BACKUP')}${master ? '' : ', style=dashed'}];`);
    }
  } else if (entry) {
    for (const h of entry.hosts) lines.push(`  clients -> ${id(`host:${h.name}`)};`);
  }
  const lbs = t.lb?.hosts ?? [];
  for (let i = 1; i < lbs.length; i++) {
    lines.push(`  ${id(`host:${lbs[0]!.name}`)} -> ${id(`host:${lbs[i]!.name}`)} [dir=both, style=dotted, label="VRRP"];`);
  }
  for (const [from, to, port] of hops(t)) {
    for (const a of from.hosts) {
      for (const b of to.hosts) lines.push(`  ${id(`host:${a.name}`)} -> ${id(`host:${b.name}`)}${port ? ` [label=${q(`:${port}`)}]` : ''};`);
    }
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** The topology of an inventory as text in the given format. Pure. */
export function topologyGraph(inventory: Inventory, format: GraphFormat = 'mermaid'): string {
  const t = topology(inventory);
  return format === 'dot' ? toDot(t) : toMermaid(t);
}

export function registerGraphCommand(program: Command): void {
  program
    .command('graph')
    .description('Print the topology of an inventory (tiers, VIP, traffic and ports) as a diagram')
    .option('-i, --inventory <file>', 'inventory file (default: $SCALEUP_INVENTORY, else scaleup.yml\'s inventory)')
    .addOption(new Option('--format <format>', 'diagram language').choices(['mermaid', 'dot']).default('mermaid'))
    .addHelpText('after', `
Examples:
  provision graph -i inventory/lab.yml                  # Mermaid: paste into a \`\`\`mermaid block on GitHub
  provision graph -i inventory/lab.yml --format dot | dot -Tsvg > topology.svg
`)
    .action(async (flags: { inventory?: string; format: GraphFormat }) => {
      const file = resolveSettings({ inventory: flags.inventory }).inventory;
      if (!file) throw new InventoryError('no inventory given: pass -i FILE, set SCALEUP_INVENTORY, or set inventory in scaleup.yml', { file: '(command line)', field: '--inventory' });
      // The picture needs no secret: the secrets file is not opened.
      const inventory = await loadInventory(path.resolve(file), { skipSecrets: true });
      process.stdout.write(topologyGraph(inventory, flags.format));
    });
}
