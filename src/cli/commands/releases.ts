// `provision releases [PATTERN]`: per app host, the releases present, the current one, and when,
// from what and by whom each was made (the app role's release folders and release log). Read-only.
import type { Command } from 'commander';
import { openSsh } from '../../core/connection/open.ts';
import { selectHosts } from '../../core/host-pattern.ts';
import { safeHostData, safeHostLine } from '../../core/host-text.ts';
import { readInventory } from '../../core/inventory.ts';
import type { Host } from '../../core/model.ts';
import { loadPlaybook } from '../../core/playbook.ts';
import { roleVars } from '../../core/role-plan.ts';
import { releasesOn, type HostAnswer } from '../../stack/releases.ts';
import { keeperAccess } from '../connection-keeper.ts';
import { EXIT } from '../exit-codes.ts';
import { loadInventoryWithSecrets } from '../project.ts';
import { palette, useColor } from '../render/style.ts';
import { resolveSettings, rolesFor } from '../settings.ts';
import { sshPersistFlag } from './numeric-flags.ts';

type Flags = { inventory?: string; playbook?: string; json?: boolean; acceptNewHostKeys?: boolean; ageKeyFile?: string; sshPersist?: number };

/** The hosts the playbook's plays run the app role on, in inventory order. */
function appRoleHosts(playbookFile: string, inventoryFile: string, known: string[]): string {
  const plain = readInventory(inventoryFile);
  const plays = loadPlaybook(playbookFile, plain, known).plays.filter((p) => p.roles.includes('app'));
  return plays.map((p) => p.hosts).join(',') || 'app';
}

function renderHost(answer: HostAnswer, c: ReturnType<typeof palette>): string {
  if ('unreachable' in answer) return `${answer.host}: ${c.failed(`unreachable: ${safeHostLine(answer.unreachable)}`)}\n`;
  const lines = [`${answer.host} (${safeHostLine(answer.app)})`];
  if (!answer.releases.length) lines.push('  no releases');
  for (const r of answer.releases) {
    const from = [
      r.source ? safeHostLine(r.source) : undefined,
      r.commit ? `git ${safeHostLine(r.commit.slice(0, 12))}${r.dirty ? ' (dirty)' : ''}` : undefined,
    ].filter(Boolean).join(' ');
    const parts = [
      `${r.current ? c.ok('*') : ' '} ${r.id}`,
      r.madeAt ?? '?',
      r.by ? `by ${safeHostLine(r.by)}` : undefined,
      from ? `from ${from}` : undefined,
      r.complete ? undefined : c.failed('incomplete'),
    ].filter(Boolean);
    lines.push(`  ${parts.join('  ')}`);
  }
  if (answer.currentTarget) lines.push(`  current → ${safeHostLine(answer.currentTarget)} (not a release)`);
  const last = answer.log.at(-1);
  if (last) {
    const how = last.action === 'rollback' ? ' (rollback)' : '';
    lines.push(c.dim(`  last switch: ${safeHostLine(last.release ?? '?')}${how} at ${safeHostLine(last.at ?? '?')} by ${safeHostLine(last.by ?? '?')}`));
  }
  return lines.join('\n') + '\n';
}

export function registerReleasesCommand(program: Command): void {
  program
    .command('releases [pattern]')
    .description("List the app's releases on each app host: which is current, when, from what and by whom")
    .option('-i, --inventory <file>', 'inventory file (default: $SCALEUP_INVENTORY, else scaleup.yml\'s inventory)')
    .option('-p, --playbook <file>', 'playbook whose app plays give the default hosts (default: scaleup.yml\'s, else playbooks/site.yml)')
    .option('--json', 'print the releases as JSON')
    .option('--accept-new-host-keys', 'pin host keys never seen before')
    .option('--age-key-file <file>', 'age identity that decrypts the secrets file')
    .option('--ssh-persist <seconds>', 'keep SSH connections open this long for the next run; 0: none (default: $SCALEUP_SSH_PERSIST, else scaleup.yml, else 60)', sshPersistFlag)
    .addHelpText('after', [
      '',
      'PATTERN defaults to the hosts the playbook runs the app role on. `*` marks the current release.',
      '',
      'Examples:',
      '  provision releases -i inventory/lab.yml',
      '  provision releases app-02 -i inventory/lab.yml',
      '  provision releases -i inventory/lab.yml --json',
      '',
    ].join('\n'))
    .action(async (pattern: string | undefined, flags: Flags) => {
      const settings = resolveSettings({ inventory: flags.inventory, playbook: flags.playbook, sshPersist: flags.sshPersist });
      const keeper = keeperAccess(settings.sshPersistSeconds);
      const inventory = await loadInventoryWithSecrets(settings.inventory, flags.ageKeyFile ?? process.env.SCALEUP_AGE_KEY_FILE);
      const roles = rolesFor(settings);
      const app = await roles.require('app');
      const hosts: Host[] = selectHosts(inventory, pattern ?? appRoleHosts(settings.playbook, inventory.file, roles.list()));
      const connect = (host: Host) => openSsh(host, {
        knownHostsFile: inventory.knownHosts, acceptNewHostKeys: Boolean(flags.acceptNewHostKeys), connectTimeoutMs: settings.connectTimeoutSeconds * 1000,
      }, keeper);
      const answers = await releasesOn(hosts, (host) => String(roleVars(app, host).app_name), connect);
      if (flags.json) {
        process.stdout.write(JSON.stringify(safeHostData({ hosts: answers }), null, 2) + '\n');
      } else {
        const c = palette(useColor());
        process.stdout.write(answers.map((a) => renderHost(a, c)).join('\n'));
      }
      process.exitCode = answers.some((a) => 'unreachable' in a) ? EXIT.unreachable : EXIT.ok;
    });
}
