// Helpers for lab suites: run the real binary, reach lab hosts over SSH, make inventory variants.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { SshConnection } from '../../src/core/connection/ssh.ts';
import type { RunResult } from '../../src/core/results.ts';
import { packageRoot as projectRoot } from '../../src/package-root.ts';
import { labInventory, labKey, labKnownHosts } from './lab-paths.ts';

export const LAB_ADDRESSES: Record<string, string> = {
  'lb-01': '10.77.0.11', 'lb-02': '10.77.0.12', 'web-01': '10.77.0.21', 'web-02': '10.77.0.22',
  'app-01': '10.77.0.31', 'app-02': '10.77.0.32', 'db-01': '10.77.0.41', 'db-02': '10.77.0.42',
};
export const VIP = '10.77.0.100';

/** The CLI the suites drive: this tree's, or another build of it (e.g. the code before a fix). */
const PROVISION_BIN = process.env.SCALEUP_PROVISION_BIN ?? path.join(projectRoot, 'bin/provision.js');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every `everyMs` until it returns a truthy value; throws after `timeoutMs`, naming `what`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `provision ARGS` as CI would (no TTY, CI=true); never throws on exit code. */
export function provision(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PROVISION_BIN, ...args], {
      cwd: projectRoot, env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/**
 * `provision apply … --yes --json FILE` and the parsed result; `command` runs another command that
 * takes apply's flags (`['deploy']`, `['rollback', RELEASE]`).
 */
export async function apply(args: string[], inventory = labInventory, command = ['apply']): Promise<CliRun & { result: RunResult }> {
  const json = path.join(projectRoot, '.lab', `result-${process.pid}-${Date.now()}.json`);
  const run = await provision([...command, '-i', inventory, '--yes', '--json', json, ...args]);
  let result: RunResult;
  try {
    result = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
  } catch {
    throw new Error(`apply wrote no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  rmSync(json, { force: true });
  return { ...run, result };
}

/** Runs a shell command on a lab host as root. */
export async function onHost(name: string, command: string): Promise<{ stdout: string; stderr: string; exitCode: number | null }> {
  const conn = await SshConnection.open(
    { name, address: LAB_ADDRESSES[name]!, privateAddress: LAB_ADDRESSES[name]!, port: 22, user: 'root', become: false, groups: [], vars: {}, privateKey: labKey },
    { knownHostsFile: labKnownHosts, acceptNewHostKeys: false, connectAttempts: 2 },
  );
  try {
    return await conn.exec(command);
  } finally {
    await conn.close();
  }
}

/**
 * Writes a variant of inventory/lab.yml beside it (so its relative paths still resolve), changed by
 * `edit`; returns its path and a function that removes it.
 */
export function inventoryVariant(name: string, edit: (doc: ReturnType<typeof parseDocument>) => void): { file: string; remove: () => void } {
  const doc = parseDocument(readFileSync(labInventory, 'utf8'));
  edit(doc);
  const file = path.join(path.dirname(labInventory), `.test-${name}.yml`);
  writeFileSync(file, doc.toString());
  return { file, remove: () => rmSync(file, { force: true }) };
}

export async function getVip(pathname = '/'): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(`http://${VIP}${pathname}`, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

export const visits = (body: string) => Number(/id="visits">(\d+)</.exec(body)?.[1] ?? NaN);
export const appHost = (body: string) => /id="app-host">([^<]+)</.exec(body)?.[1];

/** Runs SQL as root on a db host (the mysql client over its socket); the rows, tab-separated. */
export async function sqlOn(host: string, statement: string): Promise<string> {
  const r = await onHost(host, `mysql -N -B -e ${JSON.stringify(statement).replace(/[$`]/g, '\\$&')}`);
  if (r.exitCode !== 0) throw new Error(`${host}: ${statement}: ${r.stderr}`);
  return r.stdout.trim();
}
