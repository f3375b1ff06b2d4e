// Plan, confirm, apply: a check-mode run shown per host (diffs on request), then the apply itself
// through `runApply` (the live tree and the recap of `provision apply`), then an offer to verify.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { confirm, select } from '@inquirer/prompts';
import { CommanderError } from 'commander';
import { ScaleupError } from '../../core/errors.ts';
import { readInventory } from '../../core/inventory.ts';
import { packageRoot as projectRoot } from '../../package-root.ts';
import type { RunResult } from '../../core/results.ts';
import { runPlays } from '../../core/run.ts';
import { runApply, type ApplyFlags } from '../commands/apply.ts';
import { projectOptions } from '../commands/common-flags.ts';
import { EXIT, exitCodeFor } from '../exit-codes.ts';
import { loadProject, type Project } from '../project.ts';
import { resolveSettings, rolesFor } from '../settings.ts';
import { useLiveTree } from '../render/style.ts';
import { ProgressTree } from '../render/tree.ts';
import { warn } from '../warn.ts';
import type { WizardContext } from './context.ts';
import { planDetails, planHeadline, planSummary } from './plan-summary.ts';
import { unlockSecrets } from './secrets.ts';

export interface RunRequest {
  /** Absolute path of the inventory. */
  inventory: string;
  roles?: string[];
  /** Host names (or patterns) to narrow to, as `--limit` takes them. */
  limit?: string[];
  /** 'drift' frames the same plan as a drift check whose default answer is to leave things as they are. */
  purpose?: 'apply' | 'drift';
}

/** The playbook: the project's (scaleup.yml's, else its playbooks/site.yml), else the stack's one shipped with scaleup. */
export function playbookFor(cwd: string): string {
  const local = resolveSettings({}, process.env, cwd).playbook;
  return existsSync(local) ? local : path.join(projectRoot, 'playbooks', 'site.yml');
}

/** The roles the wizard's project can use: its own, its roles_path, the built-in ones. */
export function wizardRoles(cwd: string) {
  return rolesFor(resolveSettings({}, process.env, cwd));
}

function applyFlags(ctx: WizardContext, request: RunRequest): ApplyFlags {
  return {
    inventory: request.inventory,
    playbook: playbookFor(ctx.cwd),
    role: request.roles,
    limit: request.limit,
    stepTimeout: 900,
    yes: true,
  };
}

/** The check-mode run behind the plan: diffs collected (not printed), Ctrl-C starts nothing new. */
async function checkRun(ctx: WizardContext, project: Project): Promise<RunResult> {
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(EXIT.interrupted);
    stop = true;
    ctx.say('\ninterrupt: finishing the running checks (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);
  const hosts = [...new Set(project.plays.flatMap((p) => p.hosts.map((h) => h.name)))];
  const tree = useLiveTree() && !ctx.options.out ? new ProgressTree(hosts) : undefined;
  try {
    const result = await runPlays({
      inventory: project.inventory,
      plays: project.plays,
      connect: project.connect,
      redactor: project.redactor,
      check: true,
      diff: true,
      projectRoot: project.settings.project.root,
      emit: tree?.sink,
      stopRequested: () => stop,
    });
    await tree?.finish(result);
    return result;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export async function planAndApply(ctx: WizardContext, request: RunRequest): Promise<number> {
  const drift = request.purpose === 'drift';
  const inventory = readInventory(request.inventory);
  if (inventory.secretsFile) await unlockSecrets(ctx, inventory.secretsFile, inventory.file);
  const flags = applyFlags(ctx, request);
  const project = await loadProject(projectOptions(flags));
  for (const warning of project.warnings) warn(warning, (line) => ctx.say(line));

  ctx.say(`\n${drift ? 'Checking for drift' : 'Checking what would change'} (check mode: nothing on the hosts is touched)…`);
  const plan = await checkRun(ctx, project);
  if (plan.interrupted) return EXIT.interrupted;
  ctx.say(planSummary(plan, { color: ctx.color, width: process.stdout.columns || 100 }));

  if (plan.totals.failed || plan.totals.unreachable) {
    ctx.say('Fix what is shown above (a host that is down, a key not trusted, a variable), then run provision again.');
    return exitCodeFor(plan);
  }
  if (plan.totals.changed === 0) {
    ctx.say(ctx.c.ok(drift ? 'No drift: every host matches the inventory and the templates.' : 'Everything is converged: nothing to change.'));
    await offerVerify(ctx, request.inventory);
    return EXIT.ok;
  }

  for (;;) {
    const choice = await select({
      message: drift ? `Drift: ${planHeadline(plan)}. Converge it now?` : `Apply ${planHeadline(plan)}?`,
      choices: [
        { name: drift ? 'Converge now' : 'Apply', value: 'apply' as const, description: 'Run it with a live view per host, then show the recap.' },
        { name: 'Show the changes in detail', value: 'details' as const, description: 'Each step and its diff (secret values show as ***).' },
        { name: drift ? 'Leave it as it is' : 'Do not apply', value: 'no' as const },
      ],
      default: drift ? 'no' : 'apply',
    });
    if (choice === 'details') {
      ctx.say(planDetails(plan, { color: ctx.color }));
      continue;
    }
    if (choice === 'no') {
      ctx.say('Nothing was applied.');
      return EXIT.ok;
    }
    break;
  }

  ctx.say('');
  const code = await runApply(flags);
  if (code === EXIT.ok) await offerVerify(ctx, request.inventory);
  else if (code !== EXIT.interrupted) ctx.say('Not every host converged: see the recap above. Fix the cause, then choose "Apply everything" again.');
  return code;
}

/** Runs a `provision` command as if typed (`['verify', '-i', FILE]`); returns its exit code. */
export async function runProvisionCommand(ctx: WizardContext, args: string[]): Promise<number> {
  const program = ctx.options.buildProgram?.();
  if (!program) return EXIT.usage;
  const saved = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'provision', ...args]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof ScaleupError) {
      ctx.say(ctx.c.failed(`error: ${err.message}`));
      return EXIT.usage;
    }
    throw err;
  } finally {
    process.exitCode = saved;
  }
}

export function hasCommand(ctx: WizardContext, name: string): boolean {
  return Boolean(ctx.options.buildProgram?.().commands.some((c) => c.name() === name));
}

async function offerVerify(ctx: WizardContext, inventory: string): Promise<void> {
  if (!hasCommand(ctx, 'verify')) return;
  const go = await confirm({ message: 'Run `provision verify` now (checks the stack end to end)?', default: true });
  if (go) await runProvisionCommand(ctx, ['verify', '-i', inventory]);
}
