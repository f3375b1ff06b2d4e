// `provision` with no arguments on a terminal: open an inventory (or create one), then plan, apply and
// verify — for someone who has never read the docs. Ctrl-C at any question leaves cleanly (exit 130).
import { confirm } from '@inquirer/prompts';
import { UserAbort } from '../../core/errors.ts';
import { readInventory } from '../../core/inventory.ts';
import { EXIT } from '../exit-codes.ts';
import { isPromptExit, wizardContext, type WizardOptions } from './context.ts';
import { createInventory } from './create-inventory.ts';
import { trustHostKeys } from './host-keys.ts';
import { inventoryMenu } from './menu.ts';
import { planAndApply } from './run.ts';
import { chooseStart } from './start.ts';

export type { WizardOptions } from './context.ts';

/** Runs the wizard; resolves with the exit code. Errors that are the person's mistake are shown by the caller (main). */
export async function runWizard(options: WizardOptions = {}): Promise<number> {
  const ctx = wizardContext(options);
  try {
    ctx.say(`${ctx.c.bold('scaleup')}: provision the scale-up web stack (HAProxy + keepalived, nginx, app, MySQL) over SSH.`);
    ctx.say(ctx.c.dim('Answer the questions; Enter takes the suggestion; Ctrl-C leaves at any time.\n'));
    const start = await chooseStart(ctx);
    if (start.kind === 'open') return await inventoryMenu(ctx, start.file);

    const created = await createInventory(ctx);
    if (!created) return EXIT.ok;
    const inventory = readInventory(created.file);
    await trustHostKeys(ctx, [...inventory.hosts.values()], inventory.knownHosts);
    // Only a check: nothing changes on a host before the plan is shown and its apply chosen.
    const go = await confirm({ message: 'Check what the hosts need now? (the plan comes before any change)', default: true });
    if (!go) {
      ctx.say(`Later: run \`provision\` and choose ${ctx.show(created.file)}, or \`provision apply -i ${ctx.show(created.file)}\`.`);
      return EXIT.ok;
    }
    const outcome = await (options.planAndApply ?? planAndApply)(ctx, { inventory: created.file });
    // A run that did not converge every host goes on in the menu, its failures listed above it.
    if (outcome.code === EXIT.ok || outcome.code === EXIT.interrupted) return outcome.code;
    return await inventoryMenu(ctx, created.file, outcome);
  } catch (err) {
    if (isPromptExit(err) || err instanceof UserAbort) {
      // Files are only ever replaced whole (temp file + rename), so leaving here cannot half-write one.
      (options.out ?? process.stderr).write('\nLeft the wizard.\n');
      return EXIT.interrupted;
    }
    throw err;
  }
}
