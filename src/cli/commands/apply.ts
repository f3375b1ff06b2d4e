// `provision apply`: converge the hosts of a playbook (or a part of it) and report.
import path from 'node:path';
import type { Command } from 'commander';
import { ScaleupError, UserAbort } from '../../core/errors.ts';
import { displayPath } from '../../core/yaml-source.ts';
import { runPlays } from '../../core/run.ts';
import { prepareRoles } from '../../core/role-preparation.ts';
import type { EventSink, RunResult } from '../../core/results.ts';
import { EXIT, exitCodeFor } from '../exit-codes.ts';
import { loadProject, selectProject, type ProjectOptions } from '../project.ts';
import { htmlReport } from '../render/html-report.ts';
import { junitReport } from '../render/junit.ts';
import { plainRenderer } from '../render/plain.ts';
import { recap } from '../render/recap.ts';
import { useColor, useLiveTree } from '../render/style.ts';
import type { Verbosity } from '../render/trace-lines.ts';
import { warn } from '../warn.ts';
import { connectOptions, projectOptions, type CommonFlags } from './common-flags.ts';
import { forksFlag, stepTimeoutFlag } from './numeric-flags.ts';
import { assertReportWritable, writeReport } from './report-file.ts';
import { writeRetryFile } from '../retry-file.ts';
import { listTasks } from './list-tasks.ts';

export interface ApplyFlags extends CommonFlags {
  check?: boolean;
  diff?: boolean;
  yes?: boolean;
  json?: string;
  junit?: string;
  report?: string;
  detailedExitcode?: boolean;
  /** Seconds. */
  stepTimeout: number;
  /** How many times -v was given: 1 every step, 2 probes and decisions, 3 commands and connections. */
  verbose?: number;
  syntaxCheck?: boolean;
  listTasks?: boolean;
  listHosts?: boolean;
  listTags?: boolean;
}

export async function runApply(flags: ApplyFlags): Promise<number> {
  assertReportWritable('--json', flags.json);
  assertReportWritable('--junit', flags.junit);
  // The page is for a browser and the recap goes to stdout: a file only.
  if (flags.report === '-') throw new ScaleupError('--report needs a file name (an HTML page), not -');
  assertReportWritable('--report', flags.report);
  const interactive = Boolean(process.stdin.isTTY) && process.env.CI !== 'true';
  if (flags.listTasks) {
    process.stdout.write(await listTasks(projectOptions(flags), flags.tags, flags.skipTags));
    return EXIT.ok;
  }
  if (flags.listHosts || flags.listTags) {
    // What the run would cover, without opening its secrets or contacting a host.
    const { selected, playRoles } = await selectProject(projectOptions(flags));
    for (const [i, { play, roleNames, hosts }] of selected.entries()) {
      process.stdout.write(`play #${i + 1} (${play.name}): ${play.hosts}\n`);
      if (flags.listHosts) process.stdout.write(`  hosts (${hosts.length}):\n${hosts.map((h) => `    ${h}\n`).join('')}`);
      if (flags.listTags) {
        const tags = [...new Set(roleNames.flatMap((r) => [r, ...(playRoles.get(r)!.tags ?? [])]))].sort();
        process.stdout.write(`  tags: ${tags.join(', ')}\n`);
      }
    }
    return EXIT.ok;
  }
  // Refused before the project is loaded: a run that cannot go ahead opens no secrets.
  if (!flags.check && !flags.yes && !flags.syntaxCheck && !interactive) {
    process.stderr.write('provision apply: no terminal to confirm on; pass --yes to apply without asking (or --check to only look)\n');
    return EXIT.usage;
  }
  const project = await loadProject(projectOptions(flags) satisfies ProjectOptions);
  for (const warning of project.warnings) warn(warning);
  if (flags.syntaxCheck) {
    // Everything loadProject checks — inventory, secrets, playbook, roles, templates, variables — passed.
    const hosts = new Set(project.plays.flatMap((p) => p.hosts.map((h) => h.name)));
    process.stdout.write(`syntax ok: ${displayPath(project.settings.playbook)}, ${project.plays.length} play(s), ${hosts.size} host(s); nothing was contacted\n`);
    return EXIT.ok;
  }
  // The roles' control-node work (the app's build and archive), once for the look and the run, and
  // before any host is contacted: a build that fails touches nothing.
  const prepared = await prepareRoles(project.plays, project.settings.project.root);
  const jsonToStdout = flags.json === '-';
  const color = useColor() && !jsonToStdout;
  const verbosity = Math.min(3, flags.verbose ?? 0) as Verbosity;
  // The live tree shows the step running now; every step, and the trace of -vv and -vvv, are lines.
  const live = useLiveTree() && !jsonToStdout && !flags.diff && verbosity === 0;

  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(EXIT.interrupted);
    stop = true;
    process.stderr.write('\ninterrupt: finishing running steps, starting no new ones (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);

  const execute = async (check: boolean): Promise<RunResult> => {
    const hosts = [...new Set(project.plays.flatMap((p) => p.hosts.map((h) => h.name)))];
    // The live tree (listr2) is loaded only on a terminal; CI and pipes start without it.
    const tree = live ? new (await import('../render/tree.ts')).ProgressTree(hosts) : undefined;
    const sink: EventSink = tree ? tree.sink : plainRenderer({ color, verbosity, out: jsonToStdout ? process.stderr : process.stdout });
    const result = await runPlays({
      inventory: project.inventory,
      plays: project.plays,
      connect: project.connect,
      redactor: project.redactor,
      check,
      diff: flags.diff,
      forks: project.settings.forks,
      tags: flags.tags,
      skipTags: flags.skipTags,
      stepTimeoutMs: flags.stepTimeout * 1000,
      emit: sink,
      stopRequested: () => stop,
      trace: { decisions: verbosity >= 2, commands: verbosity >= 3 },
      projectRoot: project.settings.project.root,
      prepared,
    });
    await tree?.finish(result);
    (jsonToStdout ? process.stderr : process.stdout).write(recap(result, color));
    return result;
  };

  try {
    if (!flags.check && !flags.yes) {
      const plan = await execute(true);
      if (plan.totals.failed || plan.totals.unreachable) {
        // The look before applying failed: its report shows why (nothing was changed).
        if (flags.report) writeReport('--report', flags.report, htmlReport(plan));
        return exitCodeFor(plan);
      }
      if (plan.totals.changed === 0) {
        process.stdout.write('Nothing to change.\n');
        return EXIT.ok;
      }
      const { confirm } = await import('@inquirer/prompts');
      const go = await confirm({ message: `Apply ${plan.totals.changed} change(s)?`, default: false }).catch(() => {
        throw new UserAbort();
      });
      if (!go) throw new UserAbort('not applied');
    }
    const run = await execute(Boolean(flags.check));
    // The -e variables of the run, as the hosts got them (a secret's value redacted).
    const extra = Object.entries(project.extraVars).map(([k, v]) => [k, typeof v === 'string' ? project.redactor.redact(v) : v]);
    const result = extra.length ? { ...run, extraVars: Object.fromEntries(extra) } : run;
    const retry = flags.check ? undefined : writeRetryFile(project.settings.project.root, project.settings.playbook, result);
    if (retry) (jsonToStdout ? process.stderr : process.stdout).write(`retry the failed hosts: provision apply --limit @${path.relative(process.cwd(), retry) || retry}\n`);
    if (flags.json) writeReport('--json', flags.json, JSON.stringify(result, null, 2) + '\n');
    if (flags.junit) writeReport('--junit', flags.junit, junitReport(result));
    if (flags.report) writeReport('--report', flags.report, htmlReport(result));
    return exitCodeFor(result, flags.detailedExitcode);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function applyOptions(cmd: Command): Command {
  cmd
    .option('--check', 'change nothing; report what would change')
    .option('--syntax-check', 'check inventory, playbook, roles, templates and variables, then exit without connecting')
    .option('--list-hosts', 'print the hosts each play would run on, and exit (no secrets opened, no host contacted)')
    .option('--list-tags', 'print the tags each play knows, and exit (no secrets opened, no host contacted)')
    .option('--diff', 'show unified diffs of files that change (secrets redacted)')
    .option('-f, --forks <n>', 'hosts worked on in parallel (default: $SCALEUP_FORKS, else scaleup.yml, else 10)', forksFlag)
    .option('-y, --yes', 'apply without asking (required without a terminal)')
    .option('--json <file>', 'write the machine-readable result to FILE (- for stdout)')
    .option('--junit <file>', 'write a JUnit XML report (one testcase per host × step)')
    .option('--report <file>', 'write a self-contained HTML report: failures, recap, a timeline per host, each change with its diff')
    .option('--detailed-exitcode', 'with --check: exit 3 when something would change, 0 when converged')
    .option('--step-timeout <seconds>', 'fail a step that runs longer than this', stepTimeoutFlag, 900)
    .option('--list-tasks', 'print each play\'s roles and steps per host with their tags, and exit (no secrets opened, no host contacted)')
    .option('-v, --verbose', 'also print steps already ok; -vv: each step\'s probe and decision; -vvv: every command sent (secrets redacted) with its round-trip time, and each connection\'s setup', (_: unknown, count: number) => count + 1, 0);
  return connectOptions(cmd);
}

export function registerApplyCommand(program: Command): void {
  applyOptions(program.command('apply').description('Converge hosts: run the playbook\'s roles on the hosts they target'))
    .addHelpText('after', `
Examples:
  provision apply -i inventory/lab.yml --yes
  provision apply -i inventory/lab.yml --role nginx --limit web-01 --yes
  provision apply -i inventory/prod.yml --check --diff --detailed-exitcode
  provision apply -i inventory/prod.yml --yes --diff --report run.html
  provision apply -i inventory/lab.yml --list-tasks --limit web-01
  provision apply -i inventory/lab.yml --role nginx --limit web-01 --check -vvv
`)
    .action(async (flags: ApplyFlags) => {
      process.exitCode = await runApply(flags);
    });

  // A shortcut for the most common partial run.
  applyOptions(program.command('role <name>').description('Re-run one role on the hosts it targets (same as apply --role NAME)'))
    .addHelpText('after', `
Examples:
  provision role nginx -i inventory/lab.yml --limit web-01 --yes
  provision role haproxy -i inventory/lab.yml --check --diff
  provision role haproxy -i inventory/lab.yml --list-tasks
  provision role nginx -i inventory/lab.yml --limit web-01 --check -vv
`)
    .action(async (name: string, flags: ApplyFlags) => {
      process.exitCode = await runApply({ ...flags, role: [...(flags.role ?? []), name] });
    });
}
