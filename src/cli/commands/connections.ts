// `provision connections`: the SSH connections kept between runs, and closing them.
import type { Command } from 'commander';
import { askKeeper } from '../connection-keeper.ts';

export function registerConnectionsCommand(program: Command): void {
  program
    .command('connections')
    .description('List the SSH connections kept between runs (see --ssh-persist); --close closes them all')
    .option('--close', 'close every kept connection and stop the connection keeper')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  provision connections\n  provision connections --close\n')
    .action(async (flags: { close?: boolean; json?: boolean }) => {
      if (flags.close) {
        const reply = await askKeeper('stop');
        if (flags.json) process.stdout.write(JSON.stringify({ closed: Boolean(reply) }) + '\n');
        else process.stdout.write(reply ? 'closed the kept connections\n' : 'no kept connections\n');
        return;
      }
      const reply = await askKeeper('list');
      const connections = reply && 'connections' in reply ? reply.connections : [];
      const keeperPid = reply && 'pid' in reply ? reply.pid : undefined;
      if (flags.json) return void process.stdout.write(JSON.stringify({ keeperPid, connections }, null, 2) + '\n');
      if (!connections.length) return void process.stdout.write('no kept connections\n');
      for (const c of connections) {
        process.stdout.write(`${c.name}\t${c.user}@${c.address}:${c.port}\topened ${c.openedAt}\tlast used ${c.lastUsedAt}\t${c.uses} uses\n`);
      }
    });
}
