// `provision inventory --list | --host NAME | --graph`: the inventory as the run sees it (Ansible's
// ansible-inventory): every host with its connection settings and merged variables, each with where
// it came from — a file:line of the inventory, the secrets file, a role's default — secrets as ***.
import path from 'node:path';
import type { Command } from 'commander';
import { InventoryError, type SourceLocation } from '../../core/errors.ts';
import { extraVars } from '../run-overrides.ts';
import { repeat } from './common-flags.ts';
import { hostField, loadInventory, locateField } from '../../core/inventory.ts';
import type { Host, Inventory, VarValue, Vars } from '../../core/model.ts';
import { selectHosts } from '../../core/host-pattern.ts';
import { loadPlaybook } from '../../core/playbook.ts';
import { secretVariableNames } from '../../core/role-secrets.ts';
import { REDACTED, Secret } from '../../core/secret.ts';
import { resolveSettings, rolesFor } from '../settings.ts';
import { warn } from '../warn.ts';

function from(location: SourceLocation): string {
  const at = [location.file, location.line, location.column].filter((p) => p !== undefined).join(':');
  return location.field ? `${at} (${location.field})` : at;
}

function shown(value: VarValue): unknown {
  if (value instanceof Secret) return REDACTED;
  if (Array.isArray(value)) return value.map(shown);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shown(v)]));
  return value;
}

/** One host as `--list`/`--host` print it: connection, groups, and each variable with its origin. */
export function describeHost(inventory: Inventory, host: Host, defaults: Map<string, { role: string; value: VarValue }>, secrets: Set<string>, extra: Vars = {}) {
  const vars: Record<string, { value: unknown; from: string }> = {};
  for (const [name, value] of Object.entries(host.vars)) {
    // A variable a role declares secret is masked also when someone wrote it in plain text.
    vars[name] = { value: secrets.has(name) ? REDACTED : shown(value), from: from(locateField(inventory, hostField(host.name, 'vars', name))) };
  }
  // `-e` sits above every other source, as in a run.
  for (const [name, value] of Object.entries(extra)) {
    vars[name] = { value: secrets.has(name) ? REDACTED : shown(value), from: `(command line) --extra-vars ${name}` };
  }
  for (const [name, d] of defaults) {
    if (!(name in vars)) vars[name] = { value: shown(d.value), from: `role ${d.role} default` };
  }
  return {
    address: host.address, private_address: host.privateAddress, port: host.port, user: host.user, become: host.become,
    ...(host.becomeUser ? { become_user: host.becomeUser } : {}),
    ...(host.proxyJump ? { proxy_jump: host.proxyJump } : {}),
    ...(host.privateKey ? { private_key: host.privateKey } : {}),
    connection_from: connectionOrigins(inventory, host),
    groups: host.groups,
    vars: Object.fromEntries(Object.entries(vars).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

/** Where each connection setting the inventory sets for the host is written (a default has no entry). */
function connectionOrigins(inventory: Inventory, host: Host): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of ['address', 'port', 'user', 'become', 'become_user', 'proxy_jump', 'private_key']) {
    const asked = hostField(host.name, field);
    const at = locateField(inventory, asked);
    // An unset setting locates at the host itself, with the field as asked.
    if (at.field !== asked && at.line !== undefined) out[field] = from(at);
  }
  return out;
}

/** The group tree as `ansible-inventory --graph` draws it. */
export function inventoryGraph(inventory: Inventory): string {
  const lines = ['@all:'];
  const grouped = new Set<string>();
  for (const [group, hosts] of inventory.groups) {
    lines.push(`  |--@${group}:`);
    for (const h of hosts) {
      lines.push(`  |  |--${h}`);
      grouped.add(h);
    }
  }
  for (const h of inventory.hosts.keys()) if (!grouped.has(h)) lines.push(`  |--${h}`);
  return `${lines.join('\n')}\n`;
}

export function registerInventoryCommand(program: Command): void {
  program
    .command('inventory')
    .description('Print the inventory as runs see it: hosts, merged variables and where each comes from (secrets as ***)')
    .option('-i, --inventory <file>', 'inventory file (default: $SCALEUP_INVENTORY, else scaleup.yml\'s inventory)')
    .option('--list', 'every host with its variables, as JSON (the default)')
    .option('--host <name>', 'one host, as JSON')
    .option('--graph', 'the group tree')
    .option('--age-key-file <file>', 'age identity that decrypts the secrets file')
    .option('-e, --extra-vars <var>', 'KEY=VALUE or @FILE.yml, as a run would get them (repeatable)', repeat)
    .addHelpText('after', '\nExamples:\n  provision inventory --list\n  provision inventory --host web-01\n  provision inventory --host web-01 -e nginx_port=8081   (shown with its origin: the command line)\n  provision inventory -i inventory/lab.yml --graph\n  provision inventory -i hosts --host web01    (an Ansible INI inventory; group_vars/ and host_vars/ beside it)\n')
    .action(async (flags: { inventory?: string; host?: string; graph?: boolean; ageKeyFile?: string; extraVars?: string[] }) => {
      const settings = resolveSettings({ inventory: flags.inventory });
      if (!settings.inventory) throw new InventoryError('no inventory given: pass -i FILE, set SCALEUP_INVENTORY, or set inventory in scaleup.yml', { file: '(command line)', field: '--inventory' });
      const inventory = await loadInventory(path.resolve(settings.inventory), { ageKeyFile: flags.ageKeyFile ?? process.env.SCALEUP_AGE_KEY_FILE });
      for (const warning of inventory.warnings ?? []) warn(warning);
      if (flags.graph) {
        process.stdout.write(inventoryGraph(inventory));
        return;
      }
      // What the roles the playbook runs on a host would give a variable the inventory leaves unset.
      const roles = rolesFor(settings);
      const rolesOn = new Map<string, string[]>();
      try {
        for (const play of loadPlaybook(settings.playbook, inventory, roles.list()).plays) {
          for (const h of selectHosts(inventory, play.hosts)) rolesOn.set(h.name, [...(rolesOn.get(h.name) ?? []), ...play.roles]);
        }
      } catch {
        // No playbook here (or not one for this inventory): the inventory's own variables only.
      }
      const defaultsOf = async (h: Host) => {
        const defaults = new Map<string, { role: string; value: VarValue }>();
        for (const name of rolesOn.get(h.name) ?? []) {
          for (const [k, v] of Object.entries((await roles.require(name)).defaults)) if (!defaults.has(k)) defaults.set(k, { role: name, value: v });
        }
        return defaults;
      };
      const allRoles = await roles.loadAll();
      const secrets = secretVariableNames(allRoles);
      const extra = extraVars(flags.extraVars ?? [], allRoles);
      const hostsOf = async (h: Host) => describeHost(inventory, h, await defaultsOf(h), secrets, extra);
      if (flags.host) {
        const host = inventory.hosts.get(flags.host);
        if (!host) throw new InventoryError(`no host '${flags.host}'; hosts are: ${[...inventory.hosts.keys()].join(', ')}`, { file: '(command line)', field: '--host' });
        process.stdout.write(`${JSON.stringify(await hostsOf(host), null, 2)}\n`);
        return;
      }
      process.stdout.write(`${JSON.stringify({
        hosts: Object.fromEntries(await Promise.all([...inventory.hosts.values()].map(async (h) => [h.name, await hostsOf(h)]))),
        groups: Object.fromEntries(inventory.groups),
      }, null, 2)}\n`);
    });
}
