// `provision facts`: the facts gathered from each host, as JSON.
import type { Command } from 'commander';
import { SshConnection } from '../../core/connection/ssh.ts';
import { ScaleupError } from '../../core/errors.ts';
import { gatherFacts } from '../../core/facts/gather.ts';
import { selectHosts } from '../../core/host-pattern.ts';
import { EXIT } from '../exit-codes.ts';
import { loadInventoryWithSecrets } from '../project.ts';

export function registerFactsCommand(program: Command): void {
  program
    .command('facts')
    .description('Print the facts gathered from each host (JSON)')
    .option('-i, --inventory <file>', 'inventory file (default: $SCALEUP_INVENTORY)')
    .option('-l, --limit <pattern>', 'only these hosts', 'all')
    .option('--accept-new-host-keys', 'pin host keys never seen before')
    .addHelpText('after', '\nExamples:\n  provision facts -i inventory/lab.yml\n  provision facts -i inventory/lab.yml --limit lb\n')
    .action(async (flags: { inventory?: string; limit: string; acceptNewHostKeys?: boolean }) => {
      const inventory = await loadInventoryWithSecrets(flags.inventory ?? process.env.SCALEUP_INVENTORY);
      const hosts = selectHosts(inventory, flags.limit);
      const out: Record<string, unknown> = {};
      let code: number = EXIT.ok;
      await Promise.all(hosts.map(async (host) => {
        try {
          const conn = await SshConnection.open(host, { knownHostsFile: inventory.knownHosts, acceptNewHostKeys: Boolean(flags.acceptNewHostKeys) });
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
      const ordered = Object.fromEntries(hosts.map((h) => [h.name, out[h.name]]));
      process.stdout.write(JSON.stringify(ordered, null, 2) + '\n');
      process.exitCode = code;
    });
}
