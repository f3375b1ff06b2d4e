// `provision exec PATTERN -- COMMAND…`: one shell command line on the matching hosts, in parallel
// (Ansible's `ansible PATTERN -m shell -a …`, pyinfra's `exec --`), each host's output behind its name.
import type { Command } from 'commander';
import { adHocTotals, runAdHoc, type AdHocResult } from '../../core/ad-hoc.ts';
import { InventoryError } from '../../core/errors.ts';
import { loadAdHocProject, selectTargets, type AdHocFlags } from '../ad-hoc-project.ts';
import { EXIT } from '../exit-codes.ts';
import { adHocBlock, adHocLines, nameWidth, summaryLine } from '../render/host-lines.ts';
import { adHocOptions } from './ad-hoc-flags.ts';
import { MAX_TIMER_SECONDS, wholeNumber } from './numeric-flags.ts';
import { assertReportWritable, writeReport } from './report-file.ts';

export interface ExecFlags extends AdHocFlags {
  group?: boolean;
  json?: string;
  /** Seconds. */
  timeout: number;
}

/** The exit code of an ad-hoc run: a failed command over an unreachable host, as for `apply`. */
export function adHocExitCode(results: AdHocResult[]): number {
  const totals = adHocTotals(results);
  if (totals.failed) return EXIT.stepFailed;
  if (totals.unreachable) return EXIT.unreachable;
  return EXIT.ok;
}

/** The words after `--`, as one command line for the host's shell (words are joined by spaces, not quoted). */
export function commandLine(words: string[], sawSeparator: boolean): string {
  if (!sawSeparator) {
    // Without `--`, the command's own options would be read as ours (`-u bob`, `-b`, `-f`).
    throw new InventoryError(`put the command after --: provision exec PATTERN -- ${words.join(' ') || 'COMMAND'}`, { file: '(command line)', field: 'COMMAND' });
  }
  const line = words.join(' ');
  if (line.trim() === '') throw new InventoryError('no command given after --', { file: '(command line)', field: 'COMMAND' });
  return line;
}

/** Whether every word of the command came after the first `--` of the raw arguments. */
export function afterSeparator(raw: string[], words: string[]): boolean {
  const at = raw.indexOf('--');
  if (at < 0) return false;
  const after = raw.slice(at + 1);
  return words.length <= after.length && words.every((w, i) => after[after.length - words.length + i] === w);
}

export async function runExec(pattern: string, words: string[], sawSeparator: boolean, flags: ExecFlags): Promise<number> {
  const command = commandLine(words, sawSeparator);
  assertReportWritable('--json', flags.json);
  const targets = selectTargets(pattern, flags);
  const project = await loadAdHocProject(targets, flags);
  const out = flags.json === '-' ? process.stderr : process.stdout;
  const width = nameWidth(project.hosts.map((h) => h.name));
  const results = await runAdHoc({
    hosts: project.hosts,
    command,
    connect: project.connect,
    redactor: project.redactor,
    forks: project.settings.forks,
    timeoutMs: flags.timeout * 1000,
    // Each host's lines together, as it finishes: output of hosts never mixes mid-line.
    onResult: (r) => out.write(`${(flags.group ? adHocBlock(r) : adHocLines(r, width)).join('\n')}\n`),
  });
  out.write(`${summaryLine(adHocTotals(results))}\n`);
  if (flags.json) {
    const hosts = Object.fromEntries(results.map(({ host, ...r }) => [host, r]));
    writeReport('--json', flags.json, `${JSON.stringify({ command: project.redactor.redact(command), hosts, totals: adHocTotals(results) }, null, 2)}\n`);
  }
  return adHocExitCode(results);
}

export function registerExecCommand(program: Command): void {
  adHocOptions(program.command('exec').description('Run a shell command on the matching hosts, in parallel, each output line behind its host\'s name'))
    .argument('<pattern>', 'hosts: a host, group, comma list, !exclude, &intersect, glob (as --limit takes it)')
    .argument('[command...]', 'the command line, after --, run by the host\'s shell (sh -c)')
    .option('--group', 'print each host\'s output as one block under its name, instead of prefixing every line')
    .option('--json <file>', 'write each host\'s exit code, stdout, stderr and duration to FILE (- for stdout)')
    .option('--timeout <seconds>', 'fail the command on a host after this long', wholeNumber('--timeout', { min: 1, max: MAX_TIMER_SECONDS, unit: 'seconds' }), 600)
    .addHelpText('after', `
The command is one shell command line: the words after -- are joined with spaces and run by
\`sh -c\` on each host (through sudo with -b, or when the inventory says become), so pipes,
&&, globs and $VARS work there. Quote what your own shell must not expand:
  provision exec web -- 'systemctl is-active nginx && tail -n 5 /var/log/nginx/error.log'
  provision exec app -- echo '$HOSTNAME'       (expanded on the host, not here)
Output: "NAME | line" for stdout, "NAME ! line" for stderr, then one summary line.
Exit: 0 all ok, 2 the command failed on a host, 4 a host was unreachable.

Examples:
  provision exec all -- uptime
  provision exec 'web,app' -f 20 -- 'df -h / | tail -n 1'
  provision exec db -b -- systemctl status mariadb --no-pager
  provision exec lb --group -- ip -br addr
  provision exec 'all:!db' --json - -- cat /etc/debian_version | jq '.hosts'
`)
    .action(async (pattern: string, words: string[], flags: ExecFlags, cmd: Command) => {
      // commander keeps no trace of `--` but in the program's raw arguments.
      const raw = (cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? process.argv;
      process.exitCode = await runExec(pattern, words, afterSeparator(raw, words), flags);
    });
}
