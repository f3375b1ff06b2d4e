// `provision facts`: the facts gathered from each host, as JSON.
import type { Command } from 'commander';
import { openSsh } from '../../core/connection/open.ts';
import { keeperAccess } from '../connection-keeper.ts';
import { resolveSettings } from '../settings.ts';
import { ScaleupError } from '../../core/errors.ts';
import { gatherFacts } from '../../core/facts/gather.ts';
import { selectHosts } from '../../core/host-pattern.ts';
import { safeHostData } from '../../core/host-text.ts';
import { EXIT } from '../exit-codes.ts';
import { loadInventoryWithSecrets } from '../project.ts';
import { sshPersistFlag } from './numeric-flags.ts';

export function registerFactsCommand(program: Command): void {
  program
    .command('facts')
    .description('Print the facts gathered from each host (JSON)')
    .option('-i, --inventory <file>', 'inventory file (default: $SCALEUP_INVENTORY, else scaleup.yml\'s inventory)')
    .option('-l, --limit <pattern>', 'only these hosts', 'all')
    .option('--accept-new-host-keys', 'pin host keys never seen before')
    .option('--ssh-persist <seconds>', 'keep SSH connections open this long for the next run; 0: none (default: $SCALEUP_SSH_PERSIST, else scaleup.yml, else 60)', sshPersistFlag)
    .addHelpText('after', '\nExamples:\n  provision facts -i inventory/lab.yml\n  provision facts -i inventory/lab.yml --limit lb\n')
    .action(async (flags: { inventory?: string; limit: string; acceptNewHostKeys?: boolean; sshPersist?: number }) => {
      const settings = resolveSettings({ inventory: flags.inventory, sshPersist: flags.sshPersist });
      const keeper = keeperAccess(settings.sshPersistSeconds);
      const inventory = await loadInventoryWithSecrets(settings.inventory);
      const hosts = selectHosts(inventory, flags.limit);
      const out: Record<string, unknown> = {};
      let code: number = EXIT.ok;
      await Promise.all(hosts.map(async (host) => {
        try {
          const conn = await openSsh(host, { knownHostsFile: inventory.knownHosts, acceptNewHostKeys: Boolean(flags.acceptNewHostKeys), connectTimeoutMs: settings.connectTimeoutSeconds * 1000 }, keeper);
          try {
            out[host.name] = await gatherFacts(conn);
          } finally {
            await conn.close();
          }
        } catch (err) {
          if (!(err instanceof ScaleupError)) throw err;
          out[host.name] = { unreachable: err.message };
          code = EXIT.unreachable;
        }
      }));
      // Facts are what hosts said about themselves: a value with a terminal escape sequence in it is
      // shown as text (JSON would leave 8-bit controls and DEL raw).
      const ordered = Object.fromEntries(hosts.map((h) => [h.name, safeHostData(out[h.name])]));
      process.stdout.write(JSON.stringify(ordered, null, 2) + '\n');
      process.exitCode = code;
    });
}
