// `npx tsx bench/release.ts [--runs N]`: how long a release takes to reach the app hosts. A generated
// app of 10,000 files and 50 MB (incompressible data, so the archive is as large as the release)
// deployed with `--role app` to app-01 and app-02, beside the sample app deployed the same way; each
// run starts with the release absent from both hosts, so every run builds, packs, sends and unpacks
// it. Writes bench/.work/release.json and the "App releases" section of docs/benchmarks.md (kept when
// bench/run.ts rewrites the rest). Needs the running lab with app-02 (the lab suites' hosts), under
// the lab turn lock; leaves app-02 reset to bare and app-01 on inventory/lab.yml's sample app.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { SshConnection } from '../src/core/connection/ssh.ts';
import type { RunResult } from '../src/core/results.ts';
import { CLI, labStatus, resetHosts, ROOT } from './lib/lab.ts';
import { measure, mustRun, summarize, type Sample, type Summary } from './lib/measure.ts';
import { RELEASE_SECTION_END, RELEASE_SECTION_START } from './lib/report.ts';

const { values: argv } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Math.max(1, Number(argv.runs));
const WORK = path.join(ROOT, 'bench', '.work');
const BIG_APP = path.join(WORK, 'big-app');
const FILES = 10_000;
const BYTES = 50 * 1024 * 1024;
const HOSTS = ['app-01', 'app-02'];
const LAB_INVENTORY = path.join(ROOT, 'inventory', 'lab.yml');
const say = (text: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${text}\n`);

/** Runs a command on a lab host as root, over the lab's own key. */
async function onLabHost(name: string, command: string): Promise<void> {
  const address = name === 'app-01' ? '10.77.0.31' : '10.77.0.32';
  const conn = await SshConnection.open(
    { name, address, privateAddress: address, port: 22, user: 'root', become: false, groups: [], vars: {}, privateKey: path.join(ROOT, '.lab', 'id_ed25519') },
    { knownHostsFile: path.join(ROOT, '.lab', 'known_hosts'), acceptNewHostKeys: false },
  );
  try {
    const r = await conn.exec(command);
    if (r.exitCode !== 0) throw new Error(`${name}: ${command}: ${r.stderr}`);
  } finally {
    await conn.close();
  }
}

/** The sample app plus FILES-2 data files of BYTES in all, in 100 folders; made once, then reused. */
function bigApp(): void {
  if (existsSync(path.join(BIG_APP, 'data', '99'))) return;
  say(`generating ${FILES} files, ${BYTES / 1024 / 1024} MB in ${path.relative(ROOT, BIG_APP)}`);
  rmSync(BIG_APP, { recursive: true, force: true });
  const sample = path.join(ROOT, 'roles', 'app', 'files', 'counter');
  mkdirSync(BIG_APP, { recursive: true });
  for (const f of readdirSync(sample)) copyFileSync(path.join(sample, f), path.join(BIG_APP, f));
  const dataFiles = FILES - readdirSync(sample).length;
  const size = Math.floor(BYTES / dataFiles);
  for (let i = 0; i < dataFiles; i++) {
    const dir = path.join(BIG_APP, 'data', String(i % 100).padStart(2, '0'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `f${i}.bin`), randomBytes(size));
  }
}

/** inventory/lab.yml with app-02 in the app group and, for the big release, its source. */
function inventory(name: string, source?: string): string {
  const doc = parseDocument(readFileSync(LAB_INVENTORY, 'utf8'));
  doc.setIn(['groups', 'app', 'hosts', 'app-02'], { address: '10.77.0.32' });
  if (source) doc.setIn(['groups', 'app', 'vars'], { app_source: source });
  const file = path.join(path.dirname(LAB_INVENTORY), `.test-bench-${name}.yml`);
  writeFileSync(file, doc.toString());
  return file;
}

interface Deploy {
  summary: Summary;
  inRunMs: number;
  /** The unpack step's time on each host, median. */
  unpackMs: Record<string, number>;
  archiveBytes?: number;
}

async function deploys(name: string, file: string): Promise<Deploy> {
  const samples: Sample[] = [];
  const inRun: number[] = [];
  const unpack: Record<string, number[]> = {};
  for (let i = 0; i < RUNS; i++) {
    // The release absent from both hosts (and current elsewhere): this run sends it.
    for (const host of HOSTS) await onLabHost(host, 'rm -rf /opt/counter/releases /opt/counter/current');
    const json = path.join(WORK, 'json', `release-${name}-${i}.json`);
    mkdirSync(path.dirname(json), { recursive: true });
    const sample = await measure(process.execPath, [CLI, 'apply', '-i', file, '--role', 'app', '--limit', HOSTS.join(','), '--yes', '--json', json], {
      cwd: ROOT, log: path.join(WORK, 'logs', `release-${name}-${i}.log`), env: { ...process.env, NO_COLOR: '1' },
    });
    const result = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    if (!result.ok) throw new Error(`deploy ${name} failed; see ${sample.log}`);
    samples.push(sample);
    inRun.push(result.durationMs);
    for (const s of result.steps.filter((x) => x.step.startsWith('unpack '))) (unpack[s.host] ??= []).push(s.durationMs);
    say(`  ${name} ${i + 1}/${RUNS}: ${(sample.wallMs / 1000).toFixed(1)} s`);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { summary: summarize(samples), inRunMs: med(inRun), unpackMs: Object.fromEntries(Object.entries(unpack).map(([h, xs]) => [h, med(xs)])) };
}

function section(big: Deploy, sample: Deploy, archiveBytes: number): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const row = (what: string, d: Deploy) =>
    `| ${what} | ${s(d.summary.wallMs)} (${s(d.summary.minWallMs)}–${s(d.summary.maxWallMs)}) | ${s(d.inRunMs)} | ${HOSTS.map((h) => `${h} ${s(d.unpackMs[h] ?? NaN)}`).join(', ')} |`;
  return [
    RELEASE_SECTION_START,
    '## App releases (issue 15)',
    '',
    `Generated by \`npx tsx bench/release.ts --runs ${RUNS}\`, ${new Date().toISOString()}. A release deployed with`,
    '`provision apply --role app --limit app-01,app-02` (app-02 added to the app group), the release absent from both',
    'hosts before each run: each run builds the release on the control node (copy, pack, hash), sends it to each host',
    'as one archive in one stream, unpacks it and switches `current`. Median of the runs (min–max).',
    '',
    '| release | wall | in-run | unpack step (send + unpack), per host |',
    '| --- | --- | --- | --- |',
    row(`${FILES.toLocaleString('en')} files, ${BYTES / 1024 / 1024} MB (archive ${(archiveBytes / 1024 / 1024).toFixed(1)} MB)`, big),
    row('the sample app (2 files)', sample),
    '',
    'Reading it: *wall − in-run* is the work on the control node before any host is contacted (copy of the',
    'source, `tar`, sha256, gzip of incompressible data); the app play is `serial: 1`, so the hosts receive the',
    'release one after the other, each in one stream (the unpack step: send + unpack + marker). A re-run, or a host',
    'that has the release, is sent nothing.',
    '',
    RELEASE_SECTION_END,
  ].join('\n');
}

async function main(): Promise<void> {
  mkdirSync(path.join(WORK, 'logs'), { recursive: true });
  // The lab as the lab suites run it (app-02 among its hosts): never brought up or down here.
  const up = new Set(labStatus().hosts.filter((h) => h.up).map((h) => h.name));
  const missing = [...HOSTS, 'db-01', 'web-01', 'lb-01'].filter((h) => !up.has(h));
  if (missing.length) throw new Error(`the lab must run ${missing.join(', ')} (the lab suites' hosts); start it as test/lab/global-setup.ts does`);
  bigApp();
  const bigFile = inventory('big', BIG_APP);
  const sampleFile = inventory('sample');
  try {
    say('warm-up: the app role on both hosts (packages, user, unit), not measured');
    await mustRun(process.execPath, [CLI, 'apply', '-i', sampleFile, '--role', 'app', '--limit', HOSTS.join(','), '--yes'], { cwd: ROOT, log: path.join(WORK, 'logs', 'release-warmup.log') });
    say(`big release to ${HOSTS.join(', ')} × ${RUNS}`);
    const big = await deploys('big', bigFile);
    say(`sample release to ${HOSTS.join(', ')} × ${RUNS}`);
    const sample = await deploys('sample', sampleFile);
    const { packRelease } = await import('../roles/app/release.ts');
    const archiveBytes = packRelease(BIG_APP).archive.length;
    writeFileSync(path.join(WORK, 'release.json'), JSON.stringify({ runs: RUNS, big, sample, archiveBytes, cpus: os.cpus().length }, null, 2) + '\n');
    const doc = path.join(ROOT, 'docs', 'benchmarks.md');
    const text = readFileSync(doc, 'utf8');
    const at = text.indexOf(RELEASE_SECTION_START);
    const end = text.indexOf(RELEASE_SECTION_END);
    const next = at >= 0 && end > at
      ? text.slice(0, at) + section(big, sample, archiveBytes) + text.slice(end + RELEASE_SECTION_END.length)
      : `${text.trimEnd()}\n\n${section(big, sample, archiveBytes)}\n`;
    writeFileSync(doc, next);
    say('wrote the App releases section of docs/benchmarks.md');
  } finally {
    rmSync(bigFile, { force: true });
    rmSync(sampleFile, { force: true });
    say('restore: app-02 reset to bare, app-01 on the sample app');
    await resetHosts(['app-02'], path.join(WORK, 'logs', 'lab-reset.log'));
    await mustRun(process.execPath, [CLI, 'apply', '-i', LAB_INVENTORY, '--role', 'app', '--yes'], { cwd: ROOT, log: path.join(WORK, 'logs', 'release-restore.log') });
  }
}

await main();
