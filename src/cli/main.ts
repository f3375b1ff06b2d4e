import { Command } from 'commander';
import { registerLabCommands } from './commands/lab.ts';

/** Builds the `provision` command tree. Each command module registers itself. */
export function buildProgram(): Command {
  const program = new Command('provision')
    .description('Agentless SSH provisioning for the scale-up web stack')
    .version('0.1.0');
  registerLabCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  await program.parseAsync(argv);
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
