import { Command, CommanderError } from 'commander';
import { ScaleupError, UserAbort, InventoryError, InventoryErrors, ConnectError } from '../core/errors.ts';
import { registerApplyCommand } from './commands/apply.ts';
import { registerFactsCommand } from './commands/facts.ts';
import { registerReleasesCommand } from './commands/releases.ts';
import { registerDeployCommands } from './commands/deploy.ts';
import { registerDbCommands } from './commands/db.ts';
import { registerLabCommands } from './commands/lab.ts';
import { registerVaultCommands } from './commands/vault.ts';
import { registerVerifyCommand } from './commands/verify.ts';
import { registerGraphCommand } from './commands/graph.ts';
import { registerInventoryCommand } from './commands/inventory.ts';
import { registerCompletionCommand } from './commands/completion.ts';
import { registerConnectionsCommand } from './commands/connections.ts';
import { registerInitCommand } from './commands/init.ts';
import { registerExecCommand } from './commands/exec.ts';
import { registerLogsCommand } from './commands/logs.ts';
import { packageVersion } from '../package-root.ts';
import { safeHostText } from '../core/host-text.ts';
import { EXIT } from './exit-codes.ts';
import { internalErrorLine } from './internal-error.ts';

/** Builds the `provision` command tree. Each command module registers itself. */
export function buildProgram(): Command {
  const program = new Command('provision')
    .description('Agentless SSH provisioning for the scale-up web stack')
    .version(packageVersion())
    .addHelpText('after', `
Examples:
  provision                                   the wizard (on a terminal)
  provision init my-servers                   a new project: scaleup.yml, inventory, playbook, a sample role
  provision lab up                            five local lab hosts (root)
  provision apply -i inventory/lab.yml --yes  converge the stack
  provision verify -i inventory/lab.yml       check it end to end
Docs: README.md and docs/ (cli.md, inventory.md, stack.md, ci.md)`)
    .exitOverride();
  registerInitCommand(program);
  registerApplyCommand(program);
  registerFactsCommand(program);
  registerVerifyCommand(program);
  registerDeployCommands(program);
  registerDbCommands(program);
  registerReleasesCommand(program);
  registerVaultCommands(program);
  registerLabCommands(program);
  registerGraphCommand(program);
  registerInventoryCommand(program);
  registerCompletionCommand(program);
  registerConnectionsCommand(program);
  registerExecCommand(program);
  registerLogsCommand(program);
  return program;
}

// What a file system refuses (a path missing, a directory, not writable, full): about the person's
// paths and machine, not a bug, even when no check of ours caught it first.
const FILE_SYSTEM_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENAMETOOLONG', 'ELOOP']);

function isFileSystemError(err: unknown): err is NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException;
  return err instanceof Error && typeof e.syscall === 'string' && typeof e.path === 'string' && FILE_SYSTEM_CODES.has(e.code ?? '');
}

/** Maps an error to what a person sees and the exit code; never a stack trace, a bug's goes to a file. */
function report(err: unknown, argv: string[]): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof UserAbort || (err instanceof Error && err.name === 'ExitPromptError')) {
    process.stderr.write(`${err instanceof UserAbort ? err.message : 'aborted'}\n`);
    return EXIT.interrupted;
  }
  if (err instanceof InventoryError || err instanceof InventoryErrors) {
    process.stderr.write(`error: ${safeHostText(err.message)}\n`);
    return EXIT.usage;
  }
  if (err instanceof ConnectError) {
    process.stderr.write(`unreachable: ${safeHostText(err.message)}\n`);
    return EXIT.unreachable;
  }
  if (err instanceof ScaleupError) {
    process.stderr.write(`error: ${safeHostText(err.message)}\n`);
    return EXIT.usage;
  }
  if (isFileSystemError(err)) {
    process.stderr.write(`error: ${safeHostText(err.message)}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`${internalErrorLine(err, argv)}\n`);
  return EXIT.internal;
}

export async function main(argv: string[]): Promise<number> {
  // `provision … | head`: a closed pipe ends the output quietly, as for any Unix tool.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const program = buildProgram();
  if (argv.length <= 2) {
    // The wizard needs a person at a terminal; otherwise print usage and fail.
    if (process.stdin.isTTY && process.stdout.isTTY && process.env.CI !== 'true') {
      try {
        // Loaded on demand: the prompts and their editor support are most of the CLI's code.
        const { runWizard } = await import('./wizard/index.ts');
        return await runWizard({ buildProgram });
      } catch (err) {
        return report(err, argv);
      }
    }
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    return report(err, argv);
  }
}
