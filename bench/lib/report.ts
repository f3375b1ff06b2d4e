// Turns a benchmark's results into the terminal table and docs/benchmarks.md. The numbers and the
// target verdicts are computed here; the reasoning a person wrote after reading them comes from
// bench/notes.md, included as it is.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { programList } from './host-processes.ts';
import type { Summary } from './measure.ts';
import type { Results, ScaleupNoop } from './results.ts';

const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s` : '–');
const mb = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} MB` : '–');
const cpu = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} s` : '–');
const range = (x: Summary) => `${s(x.minWallMs)}–${s(x.maxWallMs)}`;
const yes = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');

export interface Target {
  target: string;
  measured: string;
  met: boolean | undefined;
}

/** The issue's targets, and whether this run met them. */
export function targets(r: Results): Target[] {
  const out: Target[] = [];
  const noop = r.noop;
  out.push({
    target: 'no-op re-run of site.yml, five hosts: median < 1.0 s wall',
    measured: noop ? `${s(noop.summary.wallMs)} (in-run ${s(noop.inRunMs)})` : '–',
    met: noop ? noop.summary.wallMs < 1000 : undefined,
  });
  out.push({
    target: '… controller peak RSS < 150 MB',
    measured: noop ? controllerRss(noop).text : '–',
    met: noop ? controllerRss(noop).totalMb < 150 : undefined,
  });
  const maxPerRole = noop ? Math.max(...noop.roundTrips.map((t) => t.perRole)) : NaN;
  out.push({
    target: '… at most 2 SSH exec round trips per host per role',
    measured: noop ? `max ${maxPerRole.toFixed(1)} (${noop.roundTrips.map((t) => `${t.host} ${t.roundTrips}/${t.roles}`).join(', ')})` : '–',
    met: noop ? maxPerRole <= 2 : undefined,
  });
  const traced = noop?.perHost?.filter((h) => h.processes !== undefined) ?? [];
  const maxProcesses = traced.length ? Math.max(...traced.map((h) => h.processes!)) : NaN;
  out.push({
    target: '… at most 6 processes started per host (issue 18)',
    measured: traced.length ? `max ${maxProcesses} (${traced.map((h) => `${h.host} ${h.processes}`).join(', ')})` : '–',
    met: traced.length ? maxProcesses <= 6 : undefined,
  });
  out.push({
    target: '… lab hosts\' CPU ≤ 0.4 s per run (issue 18)',
    measured: noop?.hostsCpuS !== undefined ? `${cpu(noop.hostsCpuS)}${noop.loadAverage ? ` (load average ${noop.loadAverage})` : ''}` : '–',
    met: noop?.hostsCpuS !== undefined && Number.isFinite(noop.hostsCpuS) ? noop.hostsCpuS <= 0.4 : undefined,
  });
  out.push({
    target: '`--role nginx --limit web-01` no-op: median < 0.3 s',
    measured: r.role ? `${s(r.role.summary.wallMs)} (in-run ${s(r.role.inRunMs)})` : '–',
    met: r.role ? r.role.summary.wallMs < 300 : undefined,
  });
  const pts = r.scale?.points ?? [];
  if (pts.length >= 2) {
    const a = pts[0]!;
    const b = pts.at(-1)!;
    const ratio = b.noop.summary.wallMs / a.noop.summary.wallMs;
    out.push({
      target: `scale: no-op nearly flat from ${a.hosts} to ${b.hosts} hosts (here: ≤ 2× the ${a.hosts}-host time)`,
      measured: `${pts.map((p) => `${p.hosts}: ${s(p.noop.summary.wallMs)}`).join(', ')} (×${ratio.toFixed(2)})`,
      met: ratio <= 2,
    });
  } else out.push({ target: 'scale: no-op nearly flat from 5 to 50 hosts', measured: '–', met: undefined });
  const tools = r.ansible?.tools ?? [];
  const su = tools.find((t) => t.id === 'scaleup');
  const def = tools.find((t) => t.id === 'ansible-default');
  const fast = tools.find((t) => t.id === 'ansible-fast');
  out.push({
    target: 'baseline no-op: scaleup ≥ 20× faster than Ansible (default config)',
    measured: su && def ? `${s(su.noop.wallMs)} vs ${s(def.noop.wallMs)}: ×${(def.noop.wallMs / su.noop.wallMs).toFixed(1)}` : '–',
    met: su && def ? def.noop.wallMs / su.noop.wallMs >= 20 : undefined,
  });
  out.push({
    target: 'baseline no-op: scaleup faster than Ansible with pipelining + ControlPersist',
    measured: su && fast ? `${s(su.noop.wallMs)} vs ${s(fast.noop.wallMs)}: ×${(fast.noop.wallMs / su.noop.wallMs).toFixed(1)}` : '–',
    met: su && fast ? su.noop.wallMs < fast.noop.wallMs : undefined,
  });
  out.push({
    target: 'first converge of the stack: "everything else" a small fraction next to apt (here: ≤ 20 % of host time)',
    measured: r.first ? `${s(r.first.summary.wallMs)} wall; apt ${r.first.aptHostS.toFixed(1)} host-s, rest ${r.first.otherHostS.toFixed(1)} host-s (${(100 * r.first.otherFraction).toFixed(0)} %)` : '–',
    met: r.first ? r.first.otherFraction <= 0.2 : undefined,
  });
  return out;
}

export function printTable(r: Results): void {
  const rows: [string, string, string][] = targets(r).map((t) => [t.target.replace(/\*\*|`/g, ''), t.measured, t.met === undefined ? '-' : t.met ? 'met' : 'NOT MET']);
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  process.stdout.write('\n');
  for (const [a, b, c] of rows) process.stdout.write(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}\n`);
  const tools = r.ansible?.tools ?? [];
  if (tools.length) {
    process.stdout.write('\nbaseline workload, five hosts (medians)   first run   no-op     no-op RSS  no-op CPU\n');
    for (const t of tools) {
      process.stdout.write(`  ${t.label.padEnd(40)}${s(t.first.wallMs).padEnd(12)}${s(t.noop.wallMs).padEnd(10)}${mb(t.noop.rssMb).padEnd(11)}${cpu(t.noop.cpuS)}\n`);
    }
  }
  for (const [phase, error] of Object.entries(r.errors)) process.stdout.write(`\nphase ${phase} failed: ${error}\n`);
  process.stdout.write('\n');
}

/** CPU of the controller per run: the CLI's, plus the connection keeper's when connections are kept. */
export const controllerCpuS = (n: ScaleupNoop): number => n.summary.cpuS + (n.keeperCpuS ?? 0);

/** Peak RSS of the controller: the CLI's, plus the connection keeper's when connections are kept. */
export function controllerRss(n: ScaleupNoop): { text: string; totalMb: number } {
  const keeper = n.keeperPeakRssMb;
  if (keeper === undefined || !Number.isFinite(keeper)) return { text: mb(n.summary.rssMb), totalMb: n.summary.rssMb };
  return { text: `${mb(n.summary.rssMb)} + keeper ${mb(keeper)}`, totalMb: n.summary.rssMb + keeper };
}

function noopTable(n: ScaleupNoop): string[] {
  const rows = [
    '| SSH connections | median wall | range | in-run (median) | peak RSS | controller CPU | lab hosts\' CPU | machine CPU | changed per run |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${n.direct ? `kept from the previous run (default${n.reused === false ? '; not every run reused them' : ''})` : 'new'} | ` +
      `${s(n.summary.wallMs)} | ${range(n.summary)} | ${s(n.inRunMs)} | ${controllerRss(n).text} | ` +
      `${cpu(n.summary.cpuS)}${n.keeperCpuS !== undefined ? ` + keeper ${cpu(n.keeperCpuS)}` : ''} | ` +
      `${cpu(n.hostsCpuS ?? NaN)} | ${cpu(n.machineCpuS ?? NaN)} | ${n.changed.join(', ')} |`,
  ];
  if (n.direct) {
    const d = n.direct;
    rows.push(`| new (\`--ssh-persist 0\`), interleaved | ${s(d.summary.wallMs)} | ${range(d.summary)} | ${s(d.inRunMs)} | ${mb(d.summary.rssMb)} | ` +
      `${cpu(d.summary.cpuS)} | ${cpu(d.hostsCpuS)} | ${cpu(d.machineCpuS)} | |`);
  }
  return rows;
}

/** The section bench/release.ts writes into docs/benchmarks.md; kept as it is when the rest is rewritten. */
export const RELEASE_SECTION_START = '<!-- release-bench:start -->';
export const RELEASE_SECTION_END = '<!-- release-bench:end -->';

function releaseSection(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(RELEASE_SECTION_START);
  const end = text.indexOf(RELEASE_SECTION_END);
  return at >= 0 && end > at ? text.slice(at, end + RELEASE_SECTION_END.length) : undefined;
}

export function writeReport(r: Results, file: string): void {
  const kept = releaseSection(file);
  const m = r.machine;
  const L: string[] = [];
  L.push('# Benchmarks');
  L.push('');
  L.push(`Generated by \`npm run bench\` (\`bench/run.ts\`), ${r.finishedAt ?? r.startedAt}. Every number is the median of ` +
    `${r.runs} runs unless it says otherwise; wall time is measured from spawning the command to its exit, peak RSS and ` +
    'CPU (user+sys, the process and the children it waited for) come from GNU `time`. Logs, `--json` results and the ' +
    'CPU profile are in `bench/.work/`.');
  L.push('');
  L.push('```sh');
  L.push('npm run bench                                   # everything (about 15 minutes here), then the five-host lab is left converged');
  L.push('npx tsx bench/run.ts --only noop,role --runs 9  # some phases; the others keep their last numbers');
  L.push('npx tsx bench/run.ts --init sysv                # against the sysv flavor of the lab');
  L.push('```');
  L.push('');
  L.push('## Targets (issue 6)');
  L.push('');
  L.push('| target | measured | |');
  L.push('| --- | --- | --- |');
  for (const t of targets(r)) L.push(`| ${t.target} | ${t.measured} | ${yes(t.met)} |`);
  L.push('');
  if (Object.keys(r.errors).length) {
    L.push('Phases that failed in this run:');
    for (const [p, e] of Object.entries(r.errors)) L.push(`- \`${p}\`: ${e.split('\n')[0]}`);
    L.push('');
  }
  const notes = path.join(path.dirname(file), '..', 'bench', 'notes.md');
  if (existsSync(notes)) {
    L.push(readFileSync(notes, 'utf8').trim());
    L.push('');
  }
  L.push('## Machine');
  L.push('');
  if (m) {
    L.push('| | |');
    L.push('| --- | --- |');
    L.push(`| CPUs | ${m.cpus} × ${m.cpuModel} |`);
    L.push(`| memory | ${m.memoryGiB} GiB |`);
    L.push(`| OS, kernel | ${m.os}, ${m.kernel} |`);
    L.push(`| Node.js | ${m.node} |`);
    L.push(`| Ansible | ${m.ansible} (Debian package \`ansible-core\`) |`);
    L.push(`| lab | ${m.labFlavor} flavor: every lab host runs on this same machine (its sshd, sudo and apt share these CPUs with the controller) |`);
    L.push(`| load average (1, 5, 15 min) | ${m.loadBefore} at the start, ${m.loadAfter ?? '?'} at the end (after the 50-host phase); other people's jobs ran on this machine meanwhile |`);
  }
  L.push('');

  if (r.noop) {
    L.push('## No-op re-run of the stack, five hosts');
    L.push('');
    L.push(`\`${r.noop.command}\` on the converged lab (\`lab up\`, then one converging run).`);
    L.push('');
    L.push(...noopTable(r.noop));
    L.push('');
    L.push('SSH exec round trips per host (`hosts.*.roundTrips` in `--json`), and per role:');
    L.push('');
    L.push('| host | round trips | roles | per role |');
    L.push('| --- | --- | --- | --- |');
    for (const t of r.noop.roundTrips) L.push(`| ${t.host} | ${t.roundTrips} | ${t.roles} | ${t.perRole.toFixed(1)} |`);
    L.push('');
    if (r.noop.perHost) {
      L.push(`Each host's share of one no-op (kept connections; load average ${r.noop.loadAverage ?? '?'} when the series began): its CPU ` +
        '(the median of the runs above, from the host\'s cgroup `cpu.stat`), and the processes it started, counted in one more run ' +
        'with `strace -f` attached to the host\'s sshd processes (every command of a run descends from them; the host\'s own ' +
        'background work does not), with the programs among them (forks without a program are subshells):');
      L.push('');
      L.push('| host | CPU per no-op | processes | programs |');
      L.push('| --- | --- | --- | --- |');
      for (const h of r.noop.perHost) {
        L.push(`| ${h.host} | ${Number.isFinite(h.cpuS) ? `${(h.cpuS * 1000).toFixed(0)} ms` : '–'} | ${h.processes ?? '–'} | ${h.programs ? programList(h.programs) : '–'} |`);
      }
      L.push('');
    }
  }
  if (r.role) {
    L.push('## One role on one host');
    L.push('');
    L.push(`\`${r.role.command}\`, no-op.`);
    L.push('');
    L.push(...noopTable(r.role));
    L.push('');
    if (r.startup) {
      L.push('What every run pays before it touches a host (medians):');
      L.push('');
      L.push('| command | wall | peak RSS | CPU |');
      L.push('| --- | --- | --- | --- |');
      L.push(`| \`node -e 0\` | ${s(r.startup.nodeBare.wallMs)} | ${mb(r.startup.nodeBare.rssMb)} | ${cpu(r.startup.nodeBare.cpuS)} |`);
      L.push(`| \`node bin/provision.js --version\` (bundle loaded) | ${s(r.startup.cliVersion.wallMs)} | ${mb(r.startup.cliVersion.rssMb)} | ${cpu(r.startup.cliVersion.cpuS)} |`);
      L.push('');
    }
  }
  if (r.first) {
    L.push('## First converge of the stack from bare hosts');
    L.push('');
    L.push(`\`lab reset lb-01 lb-02 web-01 app-01 db-01\`, then \`${r.first.command}\`.`);
    L.push('');
    L.push('| median wall | range | in-run | peak RSS | CPU | changed |');
    L.push('| --- | --- | --- | --- | --- | --- |');
    L.push(`| ${s(r.first.summary.wallMs)} | ${range(r.first.summary)} | ${s(r.first.inRunMs)} | ${mb(r.first.summary.rssMb)} | ${cpu(r.first.summary.cpuS)} | ${r.first.changed} |`);
    L.push('');
    L.push(`Where the time goes (the median run, from \`--json\`): hosts spent **${r.first.aptHostS.toFixed(1)} host-seconds in \`package …\` steps** ` +
      `(apt-get update + install) and ${r.first.otherHostS.toFixed(1)} host-seconds in everything else (${(100 * r.first.otherFraction).toFixed(0)} %` +
      (r.first.otherBreakdown
        ? `: ${r.first.otherBreakdown.stepsS.toFixed(1)} s in the other steps (files, users, services, SQL…), ` +
          `${r.first.otherBreakdown.handlersS.toFixed(1)} s in handlers (restarts and reloads), ` +
          `${r.first.otherBreakdown.betweenS.toFixed(1)} s between steps: connecting, facts, the first probe batch, and the re-check of ` +
          `the later steps that each of the ${r.first.otherBreakdown.changedSteps} changed steps may affect; ${r.first.otherBreakdown.roundTrips} SSH round trips in all). `
        : '). ') +
      `On the host that took longest (${r.first.slowestHost.host}): apt ${r.first.slowestHost.aptS.toFixed(1)} s, the rest ${r.first.slowestHost.otherS.toFixed(1)} s. ` +
      'The plays run one after another (db → app → web → lb, the lbs one at a time), so the wall time is roughly the sum of the plays.');
    L.push('');
  }
  if (r.ansible) {
    const tools = r.ansible.tools;
    const su = tools.find((t) => t.id === 'scaleup');
    L.push('## Side by side with Ansible: the baseline workload, five hosts');
    L.push('');
    L.push('The same 16 steps (`roles/baseline`, `playbooks/baseline.yml`; `bench/ansible/baseline.yml` with ansible-core\'s ' +
      'modules: apt, copy, group, user, file, template with validate, lineinfile, shell, service) on ' +
      `${r.ansible.hosts.join(', ')}. First run: the hosts \`lab reset\` to bare before each run (and Ansible's ControlPersist ` +
      'masters stopped: every first run opens its own connections). No-op: right after, on the converged hosts.');
    L.push('');
    L.push('| | first run | no-op re-run | no-op range | no-op peak RSS | no-op CPU | no-op vs scaleup |');
    L.push('| --- | --- | --- | --- | --- | --- | --- |');
    for (const t of tools) {
      const ratio = su ? `×${(t.noop.wallMs / su.noop.wallMs).toFixed(1)}` : '';
      L.push(`| ${t.label} | ${s(t.first.wallMs)} | ${s(t.noop.wallMs)} | ${range(t.noop)} | ${mb(t.noop.rssMb)} | ${cpu(t.noop.cpuS)} | ${t.id === 'scaleup' ? '1' : ratio} |`);
    }
    L.push('');
    if (su) {
      for (const t of tools.filter((x) => x.id !== 'scaleup')) {
        L.push(`- ${t.label}: first run ×${(t.first.wallMs / su.first.wallMs).toFixed(1)} scaleup's, no-op ×${(t.noop.wallMs / su.noop.wallMs).toFixed(1)}; ` +
          `changed in its no-op runs: ${t.noopChanged.join(', ')}.`);
      }
      L.push(`- scaleup: changed in its no-op runs: ${su.noopChanged.join(', ')}.`);
    }
    for (const c of r.ansible.crossChecks) L.push(`- Same end state: \`${c.description.split(' after ')[0]}\` after the other tool converged the hosts: **${c.changed} changed**.`);
    L.push('');
    L.push('Commands:');
    L.push('');
    L.push('```sh');
    for (const t of tools) L.push(t.noopCommand);
    L.push('```');
    L.push('');
  }
  if (r.scale) {
    L.push('## Scale: the baseline no-op on more hosts');
    L.push('');
    L.push('Web/app lab hosts (`lab up --hosts …`, the generated `.lab/inventory.yml`), the baseline converged once, then no-op runs ' +
      'with `--forks` ≥ hosts.');
    L.push('');
    L.push('Connections kept between runs (the default); the last columns are the same runs connecting afresh (`--ssh-persist 0`), interleaved. ' +
      'Controller CPU and peak RSS include the connection keeper.');
    L.push('');
    L.push('| hosts | `--hosts` | lab up | first converge | no-op median | range | in-run | peak RSS | controller CPU | per host | lab hosts\' CPU | per host | machine CPU | round trips per host | new connections: median | lab hosts\' CPU |');
    L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const p of r.scale.points) {
      const rts = [...new Set(p.noop.roundTrips.map((t) => t.roundTrips))].join('/');
      const hostsCpu = p.noop.hostsCpuS ?? NaN;
      L.push(`| ${p.hosts} | \`${p.spec}\` | ${p.labUpS ? `${p.labUpS.toFixed(1)} s` : 'running'} | ${s(p.converge.wallMs)} | ${s(p.noop.summary.wallMs)} | ${range(p.noop.summary)} | ` +
        `${s(p.noop.inRunMs)} | ${controllerRss(p.noop).text} | ${cpu(controllerCpuS(p.noop))} | ${p.cpuPerHostMs.toFixed(0)} ms | ` +
        `${cpu(hostsCpu)} | ${Number.isFinite(hostsCpu) ? `${((hostsCpu * 1000) / p.hosts).toFixed(0)} ms` : '–'} | ${cpu(p.noop.machineCpuS ?? NaN)} | ${rts} | ` +
        `${p.noop.direct ? s(p.noop.direct.summary.wallMs) : '–'} | ${p.noop.direct ? cpu(p.noop.direct.hostsCpuS) : '–'} |`);
    }
    const pts = r.scale.points;
    if (pts.length >= 2) {
      const a = pts[0]!;
      const b = pts.at(-1)!;
      const marginal = ((controllerCpuS(b.noop) - controllerCpuS(a.noop)) * 1000) / (b.hosts - a.hosts);
      const wallPerHost = (b.noop.summary.wallMs - a.noop.summary.wallMs) / (b.hosts - a.hosts);
      L.push('');
      L.push(`Marginal cost of a host (from ${a.hosts} to ${b.hosts}): **${marginal.toFixed(1)} ms of controller CPU** and ${wallPerHost.toFixed(1)} ms of wall time. ` +
        'The controller CPU column includes the fixed cost of starting the CLI (see "One role on one host").');
      const hostsB = b.noop.hostsCpuS ?? NaN;
      const cpus = r.machine?.cpus ?? NaN;
      if (Number.isFinite(hostsB) && Number.isFinite(cpus)) {
        L.push('');
        const idle = b.noop.hostsIdleCpuPerS;
      L.push(`The lab's hosts run on this machine's ${cpus} CPUs, beside the controller: in the ${b.hosts}-host no-op run they used ` +
          `${hostsB.toFixed(1)} s of CPU (${((hostsB * 1000) / b.hosts).toFixed(0)} ms per host: sshd, the PAM session, sudo, the probes` +
          (idle !== undefined ? `; left alone, the ${b.hosts} hosts use ${Math.round(idle * 1000)} ms of CPU per second` : '') + '), ' +
          `which alone takes at least ${(hostsB / cpus).toFixed(1)} s of wall time on ${cpus} CPUs, against ${cpu(b.noop.summary.cpuS)} ` +
          'of controller CPU.');
      }
    }
    L.push('');
  }
  if (r.profile) {
    const p = r.profile;
    L.push('## Profile of a no-op run');
    L.push('');
    L.push(`\`${p.command}\` (dist bundle; profile in \`${p.file}\`). ${s(p.totalMs)} profiled, of which ${s(p.idleMs)} idle ` +
      `(waiting on the hosts) and ${s(p.totalMs - p.idleMs)} on the CPU.` +
      (p.split ? ` Before the engine starts (\`runPlays\`: process start, loading the bundle, inventory, secrets, playbook, pre-flight): ` +
        `${s(p.split.beforeRunBusyMs)} CPU, ${s(p.split.beforeRunIdleMs)} waiting; the run itself: ${s(p.split.inRunBusyMs)} CPU, ` +
        `${s(p.split.inRunIdleMs)} waiting on the hosts.` : '') + ' Self time:');
    L.push('');
    L.push('| module | self | | function | self |');
    L.push('| --- | --- | --- | --- | --- |');
    for (let i = 0; i < Math.max(p.modules.length, p.functions.length); i++) {
      const mo = p.modules[i];
      const fn = p.functions[i];
      L.push(`| ${mo ? `\`${mo.name}\`` : ''} | ${mo ? `${mo.ms.toFixed(1)} ms (${mo.percent.toFixed(0)} %)` : ''} | | ${fn ? `\`${fn.name}\`` : ''} | ${fn ? `${fn.ms.toFixed(1)} ms` : ''} |`);
    }
    L.push('');
  }
  if (r.restore) {
    L.push(`Left behind: the five-host lab with the stack converged (\`${r.restore.command}\`: ${s(r.restore.wallMs)}, ${r.restore.changed} changed, ${r.restore.ok ? 'ok' : 'FAILED'}).`);
    L.push('');
  }
  L.push('Phases measured at: ' + Object.entries(r.takenAt).map(([k, v]) => `${k} ${v.slice(0, 16).replace('T', ' ')}`).join(', ') + ' (UTC).');
  L.push('');
  if (kept) L.push(kept, '');
  writeFileSync(file, L.join('\n'));
}
