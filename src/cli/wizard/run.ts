// Plan, confirm, apply: a check-mode run shown per host (diffs on request), then the apply of that
// same loaded project (the live tree and the recap of `provision apply`), then an offer to verify.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { confirm, select } from '@inquirer/prompts';
import { CommanderError } from 'commander';
import { ScaleupError } from '../../core/errors.ts';
import { readInventory } from '../../core/inventory.ts';
import { packageRoot as projectRoot } from '../../package-root.ts';
import type { RunResult } from '../../core/results.ts';
import { prepareRoles, type PreparedRoles } from '../../core/role-preparation.ts';
import { runPlays } from '../../core/run.ts';
import type { ApplyFlags } from '../commands/apply.ts';
import { projectOptions } from '../commands/common-flags.ts';
import { EXIT, exitCodeFor } from '../exit-codes.ts';
import { loadProject, type Project } from '../project.ts';
import { resolveSettings, rolesFor } from '../settings.ts';
import { useLiveTree } from '../render/style.ts';
import { ProgressTree } from '../render/tree.ts';
import { plainRenderer } from '../render/plain.ts';
import { recap } from '../render/recap.ts';
import { writeRetryFile } from '../retry-file.ts';
import { warn } from '../warn.ts';
import type { WizardContext } from './context.ts';
import { planDetails, planHeadline, planSummary } from './plan-summary.ts';
import { runFailures, type RunFailure } from './run-failures.ts';
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

/** As `provision apply`'s default --step-timeout. */
const STEP_TIMEOUT_MS = 900_000;

function applyFlags(ctx: WizardContext, request: RunRequest): ApplyFlags {
  return {
    inventory: request.inventory,
    playbook: playbookFor(ctx.cwd),
    role: request.roles,
    limit: request.limit,
    stepTimeout: STEP_TIMEOUT_MS / 1000,
    yes: true,
  };
}

/** What a wizard run ended with: its exit code and, when steps failed or hosts were unreachable, what failed. */
export interface RunOutcome {
  code: number;
  failures?: RunFailure[];
}

// The roles' control-node work (the app's build and archive) is done once per loaded project: the
// plan and the apply that follows it use the same release.
const prepared = new WeakMap<Project, Promise<PreparedRoles>>();

function preparedOnce(project: Project): Promise<PreparedRoles> {
  let once = prepared.get(project);
  if (!once) prepared.set(project, (once = prepareRoles(project.plays, project.settings.project.root)));
  return once;
}

/**
 * One run of the loaded project on its hosts: the check behind the plan, or the apply. Both go through
 * here with the same project (hosts, plays, roles, variables, secrets) and the same options, so the
 * plan shown is the plan applied. Ctrl-C starts nothing new; twice quits.
 */
async function runOnHosts(ctx: WizardContext, project: Project, check: boolean): Promise<RunResult> {
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(EXIT.interrupted);
    stop = true;
    ctx.say(`\ninterrupt: ${check ? 'finishing the running checks' : 'finishing running steps, starting no new ones'} (Ctrl-C again to quit now)`);
  };
  process.on('SIGINT', onSigint);
  const hosts = [...new Set(project.plays.flatMap((p) => p.hosts.map((h) => h.name)))];
  const tree = useLiveTree() && !ctx.options.out ? new ProgressTree(hosts) : undefined;
  // Without the live tree, the check is silent (its plan follows) and the apply prints a line per change.
  const plain = check ? undefined : plainRenderer({ color: ctx.color, out: ctx.options.out ?? process.stdout, err: ctx.options.out ?? process.stderr });
  try {
    const result = await runPlays({
      inventory: project.inventory,
      plays: project.plays,
      connect: project.connect,
      redactor: project.redactor,
      check,
      // The plan keeps each file's diff for "Show the changes in detail".
      diff: check,
      forks: project.settings.forks,
      stepTimeoutMs: STEP_TIMEOUT_MS,
      emit: tree?.sink ?? plain,
      projectRoot: project.settings.project.root,
      prepared: await preparedOnce(project),
      stopRequested: () => stop,
    });
    await tree?.finish(result);
    return result;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The apply, then what `provision apply` prints after one: the recap and, if hosts failed, the retry file. */
async function applyPlan(ctx: WizardContext, project: Project): Promise<RunResult> {
  const result = await runOnHosts(ctx, project, false);
  ctx.say(recap(result, ctx.color));
  const retry = writeRetryFile(project.settings.project.root, project.settings.playbook, result);
  if (retry) ctx.say(`retry the failed hosts: provision apply -i ${ctx.show(project.inventory.file)} --limit @${ctx.show(retry)}`);
  return result;
}

export async function planAndApply(ctx: WizardContext, request: RunRequest): Promise<RunOutcome> {
  const drift = request.purpose === 'drift';
  const inventory = readInventory(request.inventory);
  if (inventory.secretsFile) await unlockSecrets(ctx, inventory.secretsFile, inventory.file);
  // Loaded once: the plan and the apply below run this same project.
  const project = await loadProject(projectOptions(applyFlags(ctx, request)));
  for (const warning of project.warnings) warn(warning, (line) => ctx.say(line));

  ctx.say(`\n${drift ? 'Checking for drift' : 'Checking what would change'} (check mode: nothing on the hosts is touched)…`);
  const plan = await runOnHosts(ctx, project, true);
  if (plan.interrupted) return { code: EXIT.interrupted };
  ctx.say(planSummary(plan, { color: ctx.color, width: process.stdout.columns || 100 }));

  if (plan.totals.failed || plan.totals.unreachable) {
    ctx.say('Fix what is shown above (a host that is down, a key not trusted, a variable), then run provision again.');
    return { code: exitCodeFor(plan) };
  }
  if (plan.totals.changed === 0) {
    ctx.say(ctx.c.ok(drift ? 'No drift: every host matches the inventory and the templates.' : 'Everything is converged: nothing to change.'));
    await offerVerify(ctx, request.inventory);
    return { code: EXIT.ok };
  }

  for (;;) {
    // Enter changes nothing: the default is not to apply, as with pyinfra's and `provision apply`'s confirmation.
    const choice = await select({
      message: drift ? `Drift: ${planHeadline(plan)}. Converge it now?` : `Apply ${planHeadline(plan)}?`,
      choices: [
        { name: drift ? 'Converge now' : 'Apply', value: 'apply' as const, description: 'Run the plan above with a live view per host, then show the recap.' },
        { name: 'Show the changes in detail', value: 'details' as const, description: 'Each step and its diff (secret values show as ***).' },
        { name: drift ? 'Leave it as it is' : 'Do not apply', value: 'no' as const },
      ],
      default: 'no',
    });
    if (choice === 'details') {
      ctx.say(planDetails(plan, { color: ctx.color }));
      continue;
    }
    if (choice === 'no') {
      ctx.say('Nothing was applied.');
      return { code: EXIT.ok };
    }
    break;
  }

  ctx.say('');
  const result = await applyPlan(ctx, project);
  const code = exitCodeFor(result);
  if (code === EXIT.ok) await offerVerify(ctx, request.inventory);
  return code === EXIT.ok || code === EXIT.interrupted ? { code } : { code, failures: runFailures(result, project.redactor) };
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
