// `provision logs PATTERN [UNIT]`: the last lines of a service's log on the matching hosts, in time
// order behind each host's name (the journal where systemd runs, the service's files elsewhere), and
// with -f the lines that follow, until Ctrl-C. Without UNIT: the services the playbook's roles on
// those hosts declare (Role.logs).
import type { Command } from 'commander';
import { parallel } from '../../core/batches.ts';
import type { Connection, FollowedCommand } from '../../core/connection/connection.ts';
import { InventoryError, ScaleupError, StepError } from '../../core/errors.ts';
import { gatherFacts } from '../../core/facts/gather.ts';
import type { Facts } from '../../core/facts/facts.ts';
import { safeHostLine } from '../../core/host-text.ts';
import { followHostLogs, readHostLogs, type LogsQuery, type ResumePoint } from '../../core/logs/host-logs.ts';
import { interleave, type LogLine } from '../../core/logs/log-lines.ts';
import { newMarker, UNIT_NAME } from '../../core/logs/log-script.ts';
import { checkedSince, sinceInstant } from '../../core/logs/since.ts';
import type { Host } from '../../core/model.ts';
import type { LogSource, Role } from '../../core/role.ts';
import { roleVars } from '../../core/role-plan.ts';
import type { RoleChain } from '../../core/role-source.ts';
import { loadAdHocProject, rolesOnHosts, selectTargets, type AdHocFlags } from '../ad-hoc-project.ts';
import { EXIT } from '../exit-codes.ts';
import { rolesFor } from '../settings.ts';
import { logLine, nameWidth } from '../render/host-lines.ts';
import { adHocOptions } from './ad-hoc-flags.ts';
import { wholeNumber } from './numeric-flags.ts';

export interface LogsFlags extends AdHocFlags {
  follow?: boolean;
  since?: string;
  lines: number;
}

/** What to read on a host once its facts are known (`host` with its secrets opened). */
type SourcesFor = (facts: Facts, host: Host) => LogSource[];

const FIELD = { file: '(command line)', field: 'UNIT' };
const baseUnit = (u: string) => u.replace(/\.service$/, '');

/**
 * For each host, what `provision logs` reads there, decided before anything connects: the logs its
 * roles declare (no UNIT), those of the role UNIT names, or the unit UNIT (with the files a role
 * declares for it, for hosts without systemd).
 */
export async function logPlan(hosts: Host[], unit: string | undefined, rolesOn: Map<string, string[]> | undefined, roles: RoleChain, playbook: string): Promise<Map<string, SourcesFor>> {
  const plan = new Map<string, SourcesFor>();
  const declared = (role: Role): SourcesFor => (facts, host) => role.logs?.(roleVars(role, host), { facts }) ?? [];
  const rolesOf = async (h: Host) => Promise.all((rolesOn?.get(h.name) ?? []).map((r) => roles.require(r)));
  if (unit === undefined) {
    if (!rolesOn) throw new InventoryError(`no playbook at ${playbook} to tell which services run where: name the unit (provision logs PATTERN UNIT)`, FIELD);
    const silent: string[] = [];
    for (const h of hosts) {
      const withLogs = (await rolesOf(h)).filter((r) => r.logs);
      if (!withLogs.length) silent.push(h.name);
      plan.set(h.name, (facts, host) => withLogs.flatMap((r) => declared(r)(facts, host)));
    }
    if (silent.length) throw new InventoryError(`no role the playbook applies to ${silent.join(', ')} declares its logs: name the unit (provision logs PATTERN UNIT)`, FIELD);
    return plan;
  }
  const runsRole = hosts.filter((h) => rolesOn?.get(h.name)?.includes(unit));
  if (runsRole.length) {
    const others = hosts.filter((h) => !runsRole.includes(h));
    if (others.length) throw new InventoryError(`the playbook applies role ${unit} to ${runsRole.map((h) => h.name).join(', ')}, not to ${others.map((h) => h.name).join(', ')}`, FIELD);
    const role = await roles.require(unit);
    if (!role.logs) throw new InventoryError(`role ${unit} declares no logs: name its systemd unit instead`, FIELD);
    for (const h of hosts) plan.set(h.name, declared(role));
    return plan;
  }
  if (!UNIT_NAME.test(unit)) throw new InventoryError(`'${unit}' is not a systemd unit name (letters, digits and ":-_.\\@")`, FIELD);
  for (const h of hosts) {
    const own = await rolesOf(h);
    plan.set(h.name, (facts, host) => {
      const files = own.flatMap((r) => declared(r)(facts, host)).filter((s) => baseUnit(s.unit) === baseUnit(unit)).flatMap((s) => s.files ?? []);
      return [{ unit, files }];
    });
  }
  return plan;
}

interface Opened {
  host: Host;
  conn: Connection;
  resume: ResumePoint;
}

export async function runLogs(pattern: string, unit: string | undefined, flags: LogsFlags): Promise<number> {
  const since = flags.since === undefined ? undefined : checkedSince(flags.since);
  const targets = selectTargets(pattern, flags);
  // What to read where is settled before the secrets are opened and anything connects.
  const roles = rolesFor(targets.settings);
  const hosts = targets.names.map((n) => targets.plain.hosts.get(n)!);
  const plan = await logPlan(hosts, unit, rolesOnHosts(targets.settings, targets.plain, roles), roles, targets.settings.playbook);
  const project = await loadAdHocProject(targets, flags);
  const query: LogsQuery = {
    lines: flags.lines,
    since: since === undefined ? undefined : { text: since, ms: sinceInstant(since)! },
    redactor: project.redactor,
    marker: newMarker(),
  };
  const width = nameWidth(project.hosts.map((h) => h.name));
  const problems = new Map<string, { unreachable: boolean; message: string }>();
  const problem = (host: string, err: ScaleupError) => {
    problems.set(host, { unreachable: !(err instanceof StepError), message: safeHostLine(project.redactor.redact(err.message.startsWith(`${host}: `) ? err.message.slice(host.length + 2) : err.message)) });
  };
  const perHost: LogLine[][] = [];
  const opened: Opened[] = [];
  await parallel(project.hosts, project.settings.forks, async (host) => {
    let conn: Connection | undefined;
    try {
      conn = await project.connect(host);
      const facts = await gatherFacts(conn);
      const read = await readHostLogs(conn, facts, plan.get(host.name)!(facts, host), query);
      perHost.push(read.lines);
      if (flags.follow) opened.push({ host, conn, resume: read.resume });
    } catch (err) {
      if (!(err instanceof ScaleupError)) throw err;
      problem(host.name, err);
    } finally {
      if (conn && !opened.some((o) => o.conn === conn)) await conn.close();
    }
  });
  for (const line of interleave(perHost)) process.stdout.write(`${logLine(line, width)}\n`);
  const report = () => {
    for (const h of project.hosts) {
      const p = problems.get(h.name);
      if (p) process.stderr.write(`${h.name.padEnd(width)} ! ${p.unreachable ? 'unreachable: ' : ''}${p.message}\n`);
    }
  };
  report();
  if (flags.follow && opened.length) await follow(opened, query, width);
  const all = [...problems.values()];
  if (all.some((p) => !p.unreachable)) return EXIT.stepFailed;
  if (all.length) return EXIT.unreachable;
  return EXIT.ok;
}

/** Prints each host's new lines as they come until Ctrl-C (or every host's stream ended), then ends the remote readers. */
async function follow(opened: Opened[], query: LogsQuery, width: number): Promise<void> {
  let interrupted!: () => void;
  const sigint = new Promise<void>((resolve) => (interrupted = resolve));
  const onSigint = () => interrupted();
  process.once('SIGINT', onSigint);
  const streams: FollowedCommand[] = [];
  try {
    await Promise.all(opened.map(async (o) => {
      try {
        streams.push(await followHostLogs(o.conn, o.resume, query, (line) => process.stdout.write(`${logLine(line, width)}\n`)));
      } catch (err) {
        if (!(err instanceof ScaleupError)) throw err;
        process.stderr.write(`${o.host.name.padEnd(width)} ! ${safeHostLine(query.redactor.redact(err.message))}\n`);
      }
    }));
    await Promise.race([sigint, Promise.all(streams.map((s) => s.ended))]);
  } finally {
    process.off('SIGINT', onSigint);
    // Ctrl-C again while the readers are being ended: leave at once.
    const again = () => process.exit(EXIT.interrupted);
    process.once('SIGINT', again);
    for (const s of streams) s.stop();
    // Each remote reader ends when its stdin closes; wait for the channels to say so, not for ever.
    let cap: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(streams.map((s) => s.ended)), new Promise((r) => (cap = setTimeout(r, 5000)))]);
    clearTimeout(cap);
    await Promise.all(opened.map((o) => o.conn.close()));
    process.off('SIGINT', again);
  }
}

export function registerLogsCommand(program: Command): void {
  adHocOptions(program.command('logs').description('Show the log of a service on the matching hosts, in time order, each line behind its host\'s name'), false)
    .argument('<pattern>', 'hosts: a host, group, comma list, !exclude, glob (as --limit takes it)')
    .argument('[unit]', 'a systemd unit, or a role of the playbook (default: the services the roles on those hosts declare)')
    .option('-p, --playbook <file>', 'playbook that says which roles run where (default: $SCALEUP_PLAYBOOK, else scaleup.yml\'s playbook, else playbooks/site.yml)')
    .option('-n, --lines <n>', 'lines per host', wholeNumber('--lines', { min: 0, max: 100_000 }), 20)
    .option('--since <time>', 'only lines since then: \'2025-06-01 12:00\', 12:00, today, yesterday, -1h, \'30min ago\', @EPOCH')
    .option('-f, --follow', 'then keep printing new lines until Ctrl-C')
    .addHelpText('after', `
Where systemd runs, the unit's journal (journalctl -u); elsewhere, the log files the role declares
for it (tail). Journal lines show their time in this machine's time zone; file lines keep their own.

Examples:
  provision logs app                          the services of the roles on the app hosts
  provision logs web nginx -n 50
  provision logs db mysql --since '-1h'       a role's services (MariaDB's unit on Debian)
  provision logs 'app-*' app -f               follow until Ctrl-C
  provision logs lb-01 ssh --since today      any systemd unit
`)
    .action(async (pattern: string, unit: string | undefined, flags: LogsFlags) => {
      process.exitCode = await runLogs(pattern, unit, flags);
    });
}
