// `npm run bench`: the performance benchmark of issue 6, on the local lab, side by side with Ansible.
// Prints a table and writes docs/benchmarks.md; raw numbers and logs go to bench/.work/.
//
//   tsx bench/run.ts [--runs N] [--only first,noop,role,profile,ansible,scale,restore] [--init systemd|sysv]
//                    [--scale 5,20,50]
//   tsx bench/run.ts --only noop --running-lab   the running lab as it is (never `lab up`; extra hosts allowed)
//   tsx bench/run.ts --report    rewrites docs/benchmarks.md from bench/.work/results.json (no runs)
//
// Phases, in this order (each a median of --runs runs, default 5):
//   first    first converge of playbooks/site.yml on the five hosts reset to bare (apt vs the rest)
//   noop     no-op re-run of playbooks/site.yml on the converged five (+ round trips per host per role)
//   role     --role nginx --limit web-01, no-op
//   profile  one no-op run under `node --cpu-prof`: where the controller's CPU goes
//   ansible  the baseline workload: scaleup vs Ansible (default config; pipelining + ControlPersist),
//            first run from bare hosts and no-op re-run, on the same five hosts
//   scale    the baseline no-op on 5, 20 and 50 web/app lab hosts, --forks ≥ hosts
//   restore  the five-host lab up and the stack converged again, as the lab is normally left
// Needs root (the lab). Installs `time` and `ansible-core` with apt when missing.
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { baselineDefaults } from '../roles/baseline/vars.ts';
import type { RunResult } from '../src/core/results.ts';
import { ANSIBLE_DIR, ansibleEnv, ansibleVersion, parseRecap, stopControlMasters, VARIANTS, writeAnsibleInventory } from './lib/ansible.ts';
import { CLI, DEFAULT_SPEC, ensureLab, hostNames, labHostsCpuS, labStatus, machineCpuS, resetHosts, ROOT } from './lib/lab.ts';
import { labHostCpuS, STRACE, traceHostProcesses } from './lib/host-processes.ts';
import { closeKeptConnections, keeperPid, processCpuS, processPeakRssMb } from './lib/keeper.ts';
import { measure, median, mustRun, summarize, TIME, type Sample } from './lib/measure.ts';
import { summarizeProfile } from './lib/profile.ts';
import { controllerCpuS, printTable, writeReport } from './lib/report.ts';
import type { FirstConverge, Results, RoundTrips, ScalePoint, ScaleupNoop, ToolResult } from './lib/results.ts';

const PHASES = ['first', 'noop', 'role', 'profile', 'ansible', 'scale', 'restore'] as const;
type Phase = (typeof PHASES)[number];

const { values: argv } = parseArgs({
  options: {
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '5' },
    only: { type: 'string' },
    init: { type: 'string', default: 'systemd' },
    scale: { type: 'string', default: '5,20,50' },
    report: { type: 'boolean', default: false },
    'running-lab': { type: 'boolean', default: false },
  },
});
const RUNS = Math.max(1, Number(argv.runs));
const INIT = argv.init!;
const ONLY = new Set((argv.only ?? PHASES.join(',')).split(',').map((s) => s.trim()) as Phase[]);
for (const p of ONLY) if (!PHASES.includes(p)) throw new Error(`unknown phase '${p}' (phases: ${PHASES.join(', ')})`);
const SCALE = argv.scale!.split(',').map(Number);
// Measure the lab as it runs (extra hosts allowed), for a lab others use: only the phases that leave it as it is.
const RUNNING_LAB = argv['running-lab']!;
const CHANGES_LAB: Phase[] = ['first', 'ansible', 'scale', 'restore'];
if (RUNNING_LAB && CHANGES_LAB.some((p) => ONLY.has(p))) {
  throw new Error(`--running-lab measures the lab as it is: the phases ${CHANGES_LAB.join(', ')} reset or replace it (use --only noop,role,profile)`);
}

const WORK = path.join(ROOT, 'bench', '.work');
const LOGS = path.join(WORK, 'logs');
const RESULTS = path.join(WORK, 'results.json');
const BUNDLE = path.join(ROOT, 'dist', 'provision.mjs');
const LAB_INVENTORY = path.join(ROOT, 'inventory', 'lab.yml');
const SITE = path.join(ROOT, 'playbooks', 'site.yml');
const BASELINE = path.join(ROOT, 'playbooks', 'baseline.yml');
const ANSIBLE_PLAYBOOK = '/usr/bin/ansible-playbook';
const NODE = process.execPath;
const rel = (p: string) => path.relative(ROOT, p);

const log = (name: string) => path.join(LOGS, `${name}.log`);
const say = (text: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${text}\n`);

// ---------------------------------------------------------------------------------------------
// Preconditions: root, GNU time, Ansible, a fresh bundle, the two workloads' variables in step.

function aptInstall(pkg: string): void {
  say(`installing ${pkg} with apt`);
  execSync(`DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${pkg} >/dev/null 2>&1 || ` +
    `{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${pkg} >/dev/null; }`, { stdio: 'inherit' });
}

/** Builds the bundle once, up front: every run then measures the CLI as bin/provision.js runs it. */
function buildBundle(): void {
  say('building dist/provision.mjs (npm run build)');
  execSync('npm run --silent build', { cwd: ROOT, stdio: 'inherit' });
}

function preflight(): void {
  if (process.getuid?.() !== 0) throw new Error('the benchmark drives the lab: run it as root');
  if (!existsSync(TIME)) aptInstall('time');
  if (ONLY.has('noop') && !existsSync(STRACE)) aptInstall('strace');
  if ((ONLY.has('ansible')) && !existsSync(ANSIBLE_PLAYBOOK)) aptInstall('ansible-core');
  const ansibleVars = parseYaml(readFileSync(path.join(ANSIBLE_DIR, 'vars.yml'), 'utf8')) as unknown;
  if (!isDeepStrictEqual(ansibleVars, baselineDefaults)) {
    throw new Error('bench/ansible/vars.yml differs from roles/baseline/vars.ts defaults: the two workloads would not be the same');
  }
  mkdirSync(LOGS, { recursive: true });
  buildBundle();
}

function machine(labFlavor: string): Results['machine'] {
  const cpus = os.cpus();
  let osName = os.type();
  try {
    osName = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {
    // keep os.type()
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    os: osName,
    node: process.version,
    ansible: ansibleVersion(),
    labFlavor,
    loadBefore: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

// ---------------------------------------------------------------------------------------------
// scaleup runs

let runCounter = 0;

interface ScaleupRun {
  sample: Sample;
  result: RunResult;
  /** CPU seconds the lab hosts and the whole machine used while it ran. */
  hostsCpuS: number;
  machineCpuS: number;
  /** CPU seconds the connection keeper (given its PID) used during the run. */
  keeperCpuS: number;
  /** CPU seconds each lab host used while it ran (its cgroup), by host name. */
  hostCpuS: Record<string, number>;
}

async function scaleup(name: string, args: string[], keeper?: number): Promise<ScaleupRun> {
  const json = path.join(WORK, 'json', `${name}-${++runCounter}.json`);
  mkdirSync(path.dirname(json), { recursive: true });
  rmSync(json, { force: true });
  const hosts0 = labHostsCpuS();
  const labHosts = labStatus().hosts.map((h) => h.name);
  const host0 = new Map(labHosts.map((h) => [h, labHostCpuS(h)]));
  const machine0 = machineCpuS();
  const keeper0 = processCpuS(keeper);
  const sample = await measure(NODE, [CLI, 'apply', ...args, '--yes', '--json', json], {
    cwd: ROOT, log: log(`${name}-${runCounter}`), env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const hostsCpu = labHostsCpuS() - hosts0;
  const hostCpuS = Object.fromEntries(labHosts.map((h) => [h, labHostCpuS(h) - host0.get(h)!]));
  const machineCpu = machineCpuS() - machine0;
  const keeperCpu = processCpuS(keeper) - keeper0;
  if (!existsSync(json)) throw new Error(`provision apply ${args.join(' ')} wrote no --json (exit ${sample.exitCode}); see ${sample.log}`);
  const result = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
  if (!result.ok) throw new Error(`provision apply ${args.join(' ')} failed (exit ${sample.exitCode}); see ${sample.log}`);
  return { sample, result, hostsCpuS: hostsCpu, machineCpuS: machineCpu, keeperCpuS: keeperCpu, hostCpuS };
}

const commandLine = (args: string[]) => `provision apply ${args.map((a) => (a.startsWith('/') ? rel(a) : a)).join(' ')} --yes`;

function roundTrips(result: RunResult): RoundTrips[] {
  return Object.entries(result.hosts).map(([host, t]) => {
    const roles = new Set(result.steps.filter((s) => s.host === host && s.role !== '-').map((s) => s.role)).size || 1;
    return { host, roundTrips: t.roundTrips, roles, perRole: t.roundTrips / roles };
  });
}

/**
 * A no-op series as a person runs it (connections kept between runs, the default), interleaved run by
 * run with the same command connecting afresh (`--ssh-persist 0`): both see the same machine load.
 */
async function noopSeries(name: string, args: string[]): Promise<ScaleupNoop> {
  // One unmeasured run first: it converges whatever drifted, warms the page cache, and leaves the
  // connections kept for the series.
  await scaleup(`${name}-warmup`, args);
  const loadAverage = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const keeper = keeperPid();
  // What the idle hosts burn by themselves (journald, keepalived, health checks…), for scale.
  const idle0 = labHostsCpuS();
  await new Promise((r) => setTimeout(r, 3000));
  const hostsIdleCpuPerS = (labHostsCpuS() - idle0) / 3;
  const runs: ScaleupRun[] = [];
  const direct: ScaleupRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await scaleup(name, args, keeper));
    direct.push(await scaleup(`${name}-direct`, [...args, '--ssh-persist', '0']));
  }
  const inRun = (xs: ScaleupRun[]) => median(xs.map((r) => r.result.durationMs));
  // One more run, untimed, with strace on the hosts' sshd: the processes each host starts for it.
  const ran = Object.keys(runs[0]!.result.hosts);
  const traced = await traceHostProcesses(ran, WORK, () => scaleup(`${name}-traced`, args));
  const perHost = ran.map((host) => {
    const t = traced.find((x) => x.host === host);
    return { host, cpuS: median(runs.map((r) => r.hostCpuS[host] ?? NaN)), processes: t?.processes, programs: t?.programs };
  });
  return {
    command: commandLine(args),
    summary: summarize(runs.map((r) => r.sample)),
    inRunMs: inRun(runs),
    changed: runs.map((r) => r.result.totals.changed),
    roundTrips: roundTrips(runs.at(-1)!.result),
    hostsCpuS: median(runs.map((r) => r.hostsCpuS)),
    machineCpuS: median(runs.map((r) => r.machineCpuS)),
    hostsIdleCpuPerS,
    keeperCpuS: median(runs.map((r) => r.keeperCpuS)),
    keeperPeakRssMb: processPeakRssMb(keeper),
    reused: runs.every((r) => Object.values(r.result.hosts).every((h) => h.connection === 'reused')),
    perHost,
    loadAverage,
    direct: {
      summary: summarize(direct.map((r) => r.sample)),
      inRunMs: inRun(direct),
      hostsCpuS: median(direct.map((r) => r.hostsCpuS)),
      machineCpuS: median(direct.map((r) => r.machineCpuS)),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Phases

const FIVE = hostNames(DEFAULT_SPEC);

async function phaseFirst(): Promise<FirstConverge> {
  await ensureLab(DEFAULT_SPEC, INIT, log('lab-up-five'), RUNNING_LAB);
  const args = ['-i', LAB_INVENTORY, '-p', SITE];
  const runs: ScaleupRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    say(`first converge of the stack ${i + 1}/${RUNS}: lab reset ${FIVE.join(' ')}`);
    await resetHosts(FIVE, log('lab-reset'));
    closeKeptConnections();
    runs.push(await scaleup('first-site', args));
    say(`  ${(runs.at(-1)!.sample.wallMs / 1000).toFixed(1)} s`);
  }
  const splits = runs.map(({ result }) => {
    const isApt = (step: string) => step.startsWith('package ');
    const sum = (xs: { durationMs: number }[]) => xs.reduce((a, x) => a + x.durationMs, 0) / 1000;
    const hostS = Object.values(result.hosts).reduce((a, t) => a + t.durationMs, 0) / 1000;
    const stepsS = sum(result.steps.filter((x) => !x.handler && !isApt(x.step)));
    const handlersS = sum(result.steps.filter((x) => x.handler));
    const breakdown = {
      stepsS, handlersS, betweenS: hostS - sum(result.steps.filter((x) => isApt(x.step))) - stepsS - handlersS,
      roundTrips: Object.values(result.hosts).reduce((a, t) => a + t.roundTrips, 0),
      changedSteps: result.steps.filter((x) => !x.handler && x.status === 'changed').length,
    };
    let apt = 0;
    let total = 0;
    let slowest = { host: '', aptS: 0, otherS: 0, totalMs: -1 };
    for (const [host, t] of Object.entries(result.hosts)) {
      const hostApt = result.steps.filter((s) => s.host === host && s.step.startsWith('package ')).reduce((a, s) => a + s.durationMs, 0);
      apt += hostApt;
      total += t.durationMs;
      if (t.durationMs > slowest.totalMs) slowest = { host, aptS: hostApt / 1000, otherS: (t.durationMs - hostApt) / 1000, totalMs: t.durationMs };
    }
    return { aptS: apt / 1000, otherS: (total - apt) / 1000, slowest, breakdown };
  });
  const mid = [...splits.keys()].sort((a, b) => runs[a]!.sample.wallMs - runs[b]!.sample.wallMs)[Math.floor(runs.length / 2)]!;
  const s = splits[mid]!;
  return {
    command: commandLine(args),
    summary: summarize(runs.map((r) => r.sample)),
    inRunMs: runs[mid]!.result.durationMs,
    aptHostS: s.aptS,
    otherHostS: s.otherS,
    otherFraction: s.otherS / (s.aptS + s.otherS),
    slowestHost: { host: s.slowest.host, aptS: s.slowest.aptS, otherS: s.slowest.otherS },
    otherBreakdown: s.breakdown,
    changed: runs[mid]!.result.totals.changed,
  };
}

async function phaseNoop(): Promise<ScaleupNoop> {
  await ensureLab(DEFAULT_SPEC, INIT, log('lab-up-five'), RUNNING_LAB);
  say(`no-op re-run of playbooks/site.yml × ${RUNS}`);
  return noopSeries('noop-site', ['-i', LAB_INVENTORY, '-p', SITE]);
}

async function phaseRole(): Promise<ScaleupNoop> {
  await ensureLab(DEFAULT_SPEC, INIT, log('lab-up-five'), RUNNING_LAB);
  say(`--role nginx --limit web-01, no-op × ${RUNS}`);
  return noopSeries('noop-role', ['-i', LAB_INVENTORY, '-p', SITE, '--role', 'nginx', '--limit', 'web-01']);
}

/** The floor under every run: starting Node, and starting the CLI (bundle loaded, nothing done). */
async function phaseStartup(): Promise<NonNullable<Results['startup']>> {
  const series = async (name: string, args: string[]) => {
    const samples: Sample[] = [];
    for (let i = 0; i < RUNS + 1; i++) samples.push(await measure(NODE, args, { cwd: ROOT, log: log(name) }));
    return summarize(samples.slice(1)); // the first run only warms the page cache
  };
  return {
    nodeBare: await series('startup-node', ['-e', '0']),
    cliVersion: await series('startup-cli', [CLI, '--version']),
  };
}

async function phaseProfile(): Promise<Results['profile']> {
  await ensureLab(DEFAULT_SPEC, INIT, log('lab-up-five'), RUNNING_LAB);
  const dir = path.join(WORK, 'profile');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const args = ['apply', '-i', LAB_INVENTORY, '-p', SITE, '--yes'];
  say('profiling one no-op run (node --cpu-prof)');
  await mustRun(NODE, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250', CLI, ...args], { cwd: ROOT, log: log('profile') });
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('node --cpu-prof wrote no profile');
  return {
    ...summarizeProfile(path.join(dir, file), BUNDLE),
    command: `node --cpu-prof bin/provision.js ${args.map((a) => (a.startsWith('/') ? rel(a) : a)).join(' ')}`,
    file: rel(path.join(dir, file)),
  };
}

async function phaseAnsible(): Promise<NonNullable<Results['ansible']>> {
  const { status } = await ensureLab(DEFAULT_SPEC, INIT, log('lab-up-five'), RUNNING_LAB);
  const inventory = path.join(WORK, 'ansible-inventory.ini');
  writeAnsibleInventory(inventory, status.hosts, status.sshKey, status.knownHosts);
  const playbook = path.join(ANSIBLE_DIR, 'baseline.yml');
  const scaleupArgs = ['-i', LAB_INVENTORY, '-p', BASELINE];
  const tools: ToolResult[] = [];
  const crossChecks: { description: string; changed: number }[] = [];

  const ansible = async (variantId: string, name: string, extra: string[] = []) => {
    const variant = VARIANTS.find((v) => v.id === variantId)!;
    const sample = await measure(ANSIBLE_PLAYBOOK, ['-i', inventory, playbook, ...extra], {
      cwd: ANSIBLE_DIR, log: log(`${name}-${++runCounter}`), env: ansibleEnv(variant, path.join(WORK, `cp-${variant.id}`)),
    });
    const recap = parseRecap(sample.log);
    if (sample.exitCode !== 0 || recap.failed || recap.unreachable || recap.hosts !== status.hosts.length) {
      throw new Error(`ansible-playbook (${variant.id}) failed (exit ${sample.exitCode}); see ${sample.log}`);
    }
    return { sample, changed: recap.changed };
  };
  const ansibleCommand = (variantId: string) =>
    `ANSIBLE_CONFIG=bench/ansible/ansible-${variantId}.cfg ansible-playbook -i bench/.work/ansible-inventory.ini bench/ansible/baseline.yml`;

  // scaleup
  {
    const first: ScaleupRun[] = [];
    for (let i = 0; i < RUNS; i++) {
      say(`baseline, scaleup, first run ${i + 1}/${RUNS}`);
      await resetHosts(FIVE, log('lab-reset'));
      closeKeptConnections(); // a first run opens its own SSH connections, as Ansible's does
      first.push(await scaleup('baseline-first-scaleup', scaleupArgs));
    }
    say(`baseline, scaleup, no-op × ${RUNS}`);
    const noop: ScaleupRun[] = [];
    for (let i = 0; i < RUNS; i++) noop.push(await scaleup('baseline-noop-scaleup', scaleupArgs));
    tools.push({
      id: 'scaleup', label: 'scaleup',
      firstCommand: commandLine(scaleupArgs), first: summarize(first.map((r) => r.sample)), firstChanged: first.map((r) => r.result.totals.changed),
      noopCommand: commandLine(scaleupArgs), noop: summarize(noop.map((r) => r.sample)), noopChanged: noop.map((r) => r.result.totals.changed),
    });
    // Same end state: Ansible, in check mode, finds nothing to change on hosts scaleup converged.
    const check = await ansible('default', 'crosscheck-ansible', ['--check']);
    crossChecks.push({ description: 'ansible-playbook --check after scaleup converged the hosts', changed: check.changed });
  }

  for (const variant of VARIANTS) {
    const cp = path.join(WORK, `cp-${variant.id}`);
    const first: { sample: Sample; changed: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      say(`baseline, ${variant.label}, first run ${i + 1}/${RUNS}`);
      await resetHosts(FIVE, log('lab-reset'));
      stopControlMasters(cp); // a first run opens its own SSH connections, as scaleup's does
      first.push(await ansible(variant.id, `baseline-first-ansible-${variant.id}`));
      say(`  ${(first.at(-1)!.sample.wallMs / 1000).toFixed(1)} s`);
    }
    say(`baseline, ${variant.label}, no-op × ${RUNS}`);
    const noop: { sample: Sample; changed: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      noop.push(await ansible(variant.id, `baseline-noop-ansible-${variant.id}`));
      say(`  ${(noop.at(-1)!.sample.wallMs / 1000).toFixed(1)} s`);
    }
    tools.push({
      id: `ansible-${variant.id}`, label: variant.label,
      firstCommand: ansibleCommand(variant.id), first: summarize(first.map((r) => r.sample)), firstChanged: first.map((r) => r.changed),
      noopCommand: ansibleCommand(variant.id), noop: summarize(noop.map((r) => r.sample)), noopChanged: noop.map((r) => r.changed),
    });
    stopControlMasters(cp);
  }
  // And the other way round: scaleup, in check mode, finds nothing to change after Ansible.
  const check = await scaleup('crosscheck-scaleup', [...scaleupArgs, '--check']);
  crossChecks.push({ description: 'provision apply --check after Ansible converged the hosts', changed: check.result.totals.changed });
  return { tools, crossChecks, hosts: FIVE };
}

/** Web/app lab hosts for a scale point: half web, half app (the tiers that scale out). */
function scaleSpec(n: number): string {
  const web = Math.ceil(n / 2);
  const app = n - web;
  const range = (tier: string, count: number) => (count === 1 ? `${tier}-01` : `${tier}-01..${tier}-${String(count).padStart(2, '0')}`);
  return [range('web', web), ...(app ? [range('app', app)] : [])].join(',');
}

async function phaseScale(): Promise<NonNullable<Results['scale']>> {
  const points: ScalePoint[] = [];
  for (const n of SCALE) {
    const spec = scaleSpec(n);
    say(`scale: lab up --hosts ${spec}`);
    const { status, upSeconds } = await ensureLab(spec, INIT, log(`lab-up-${n}`));
    const forks = Math.max(n, 10);
    const args = ['-i', status.inventory, '-p', BASELINE, '--forks', String(forks)];
    say(`scale: converge the baseline on ${n} hosts`);
    const converge = await scaleup(`scale-converge-${n}`, args);
    say(`  ${(converge.sample.wallMs / 1000).toFixed(1)} s; no-op × ${RUNS}`);
    const noop = await noopSeries(`scale-noop-${n}`, args);
    points.push({
      hosts: n, spec, labUpS: upSeconds, forks,
      converge: { wallMs: converge.sample.wallMs, changed: converge.result.totals.changed, ok: converge.result.ok },
      noop,
      cpuPerHostMs: (controllerCpuS(noop) * 1000) / n,
    });
  }
  return { points };
}

async function phaseRestore(): Promise<NonNullable<Results['restore']>> {
  say('restore: the five-host lab, stack converged');
  await ensureLab(DEFAULT_SPEC, INIT, log('lab-up-five'), RUNNING_LAB);
  const args = ['-i', LAB_INVENTORY, '-p', SITE];
  const r = await scaleup('restore-site', args);
  return { command: commandLine(args), wallMs: r.sample.wallMs, ok: r.result.ok, changed: r.result.totals.changed };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (argv.report) {
    const results = JSON.parse(readFileSync(RESULTS, 'utf8')) as Results;
    printTable(results);
    writeReport(results, path.join(ROOT, 'docs', 'benchmarks.md'));
    return;
  }
  preflight();
  const previous: Partial<Results> = argv.only && existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
  const results: Results = {
    ...previous,
    startedAt: new Date().toISOString(),
    runs: RUNS,
    errors: {},
    takenAt: previous.takenAt ?? {},
  };
  results.machine = machine(INIT);
  const save = () => writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
  say(`benchmark: ${[...ONLY].join(', ')}; ${RUNS} runs each; lab flavor ${INIT}; logs in ${rel(LOGS)}`);

  const phases: Record<Phase, () => Promise<void>> = {
    first: async () => void (results.first = await phaseFirst()),
    noop: async () => void (results.noop = await phaseNoop()),
    role: async () => {
      results.role = await phaseRole();
      results.startup = await phaseStartup();
    },
    profile: async () => void (results.profile = await phaseProfile()),
    ansible: async () => void (results.ansible = await phaseAnsible()),
    scale: async () => void (results.scale = await phaseScale()),
    restore: async () => void (results.restore = await phaseRestore()),
  };
  for (const phase of PHASES) {
    if (!ONLY.has(phase)) continue;
    try {
      await phases[phase]();
      results.takenAt[phase] = new Date().toISOString();
      delete results.errors[phase];
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      results.errors[phase] = message;
      say(`phase ${phase} FAILED: ${message}`);
    }
    save();
  }
  for (const v of VARIANTS) stopControlMasters(path.join(WORK, `cp-${v.id}`));
  results.finishedAt = new Date().toISOString();
  results.machine!.loadAfter = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  results.machine!.labFlavor = labStatus().hosts[0]?.init ?? INIT;
  save();
  printTable(results);
  writeReport(results, path.join(ROOT, 'docs', 'benchmarks.md'));
  say(`wrote docs/benchmarks.md and ${rel(RESULTS)}`);
  if (Object.keys(results.errors).length) process.exitCode = 1;
}

await main();
