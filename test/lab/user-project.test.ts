// scaleup as a user gets it: the tarball `npm pack` makes, installed in an empty folder, `provision
// init`, the example inventory pointed at a lab host, the sample role applied; then a project role
// that replaces a built-in one and a project template that replaces one built-in template.
// Leaves web-01 with the built-in baseline applied (as local-attacker.test.ts does) and no project files.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import type { RunResult } from '../../src/core/results.ts';
import { packageRoot } from '../../src/package-root.ts';
import { labInventory, labKey, labKnownHosts } from './lab-paths.ts';
import { LAB_ADDRESSES, onHost } from './support.ts';

const HOST = 'web-01';
let work: string;
let project: string;

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, CI: 'true', SCALEUP_SSH_PERSIST: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The installed `provision`, run in the project with no -i or -p: scaleup.yml names them. */
const provision = (args: string[], env: Record<string, string> = {}) => run(path.join(project, 'node_modules', '.bin', 'provision'), args, project, env);

async function apply(args: string[] = [], env: Record<string, string> = {}): Promise<RunResult> {
  const json = path.join(work, `result-${Date.now()}.json`);
  const r = await provision(['apply', '--yes', '--json', json, ...args], env);
  try {
    return JSON.parse(readFileSync(json, 'utf8')) as RunResult;
  } catch {
    throw new Error(`apply wrote no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

const changedSteps = (r: RunResult) => r.steps.filter((s) => s.status === 'changed').map((s) => `${s.role}: ${s.step}`);

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'scaleup-user-'));
  const packed = await run('npm', ['pack', '--silent', '--pack-destination', work], packageRoot);
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
  const tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);
  project = path.join(work, 'my-servers');
  mkdirSync(project);
  // From the registry's cache where it can (CI has just installed the same versions).
  const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], project);
  if (installed.code !== 0) throw new Error(`npm install failed:\n${installed.stderr}`);
}, 600_000);

afterAll(async () => {
  await onHost(HOST, 'rm -rf /srv/hello /etc/scaleup-project-role');
  rmSync(work, { recursive: true, force: true });
});

describe('a user\'s project, from the package', () => {
  it('the tarball ships the bundle, the roles and the docs; not the tests, the benchmarks or the lab\'s key and inventory', async () => {
    const pkg = path.join(project, 'node_modules', 'scaleup');
    const top = readdirSync(pkg).sort();
    expect(top).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'bin', 'dist', 'docs', 'package.json', 'roles', 'scaffold', 'src']));
    expect(top).not.toContain('test');
    expect(top).not.toContain('bench');
    expect(readdirSync(path.join(pkg, 'inventory'))).toEqual(['example.yml']);
    expect(readdirSync(path.join(pkg, 'dist'))).toContain('provision.mjs');
    const version = await provision(['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version);
  });

  it('init scaffolds the project, keeping the package.json npm wrote', async () => {
    const before = readFileSync(path.join(project, 'package.json'), 'utf8');
    const init = await provision(['init']);
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/created {2}scaleup\.yml/);
    expect(init.stdout).toMatch(/kept {5}package\.json \(exists\)/);
    expect(readFileSync(path.join(project, 'package.json'), 'utf8')).toBe(before);
    expect(readFileSync(path.join(project, 'inventory', '.gitignore'), 'utf8')).toMatch(/^\*\.agekey$/m);
    const again = await provision(['init']);
    expect(again.stdout).not.toMatch(/created/);
  });

  it('the sample role converges a lab host, the second run changes nothing, a template edit changes one step', async () => {
    const file = path.join(project, 'inventory', 'hosts.yml');
    const doc = parseDocument(readFileSync(file, 'utf8'));
    doc.setIn(['connection', 'private_key'], labKey);
    doc.setIn(['connection', 'known_hosts'], labKnownHosts);
    doc.setIn(['groups', 'web', 'hosts'], doc.createNode({ [HOST]: { address: LAB_ADDRESSES[HOST] } }));
    writeFileSync(file, doc.toString());

    const first = await apply();
    expect(first.ok).toBe(true);
    expect(changedSteps(first)).toEqual(['hello: directory /srv/hello', 'hello: template /srv/hello/index.html']);
    expect((await onHost(HOST, 'cat /srv/hello/index.html')).stdout).toContain('<h1>Hello from scaleup, from web-01</h1>');

    const second = await apply();
    expect(second.totals).toMatchObject({ changed: 0, failed: 0 });

    const template = path.join(project, 'roles', 'hello', 'templates', 'index.html.ejs');
    writeFileSync(template, readFileSync(template, 'utf8').replace('<h1>', '<h1 class="greeting">'));
    const edited = await apply();
    expect(changedSteps(edited)).toEqual(['hello: template /srv/hello/index.html']);
    expect((await onHost(HOST, 'cat /srv/hello/index.html')).stdout).toContain('<h1 class="greeting">');
  });

  it('a project template replaces one template of a built-in role; a project role replaces a built-in role', async () => {
    writeFileSync(path.join(project, 'playbooks', 'baseline.yml'), '- name: Baseline\n  hosts: web\n  roles: [baseline]\n');
    mkdirSync(path.join(project, 'templates', 'baseline'), { recursive: true });
    writeFileSync(path.join(project, 'templates', 'baseline', 'motd.ejs'), 'Welcome to <%= locals.host.name %>, kept by my-servers.\n');
    const overridden = await apply(['-p', 'playbooks/baseline.yml']);
    expect(overridden.ok).toBe(true);
    expect((await onHost(HOST, 'cat /etc/motd')).stdout).toBe('Welcome to web-01, kept by my-servers.\n');
    // The rest of the built-in role is the built-in one: its other templates and steps ran as shipped.
    expect(overridden.steps.some((s) => s.role === 'baseline' && s.step === 'template /etc/logrotate.d/scaleup')).toBe(true);

    mkdirSync(path.join(project, 'roles', 'baseline'), { recursive: true });
    writeFileSync(path.join(project, 'roles', 'baseline', 'index.ts'), [
      "import { defineRole, file } from 'scaleup';",
      "export default defineRole({ name: 'baseline', description: 'our own baseline', defaults: {},",
      "  steps: () => [file.content({ dest: '/etc/scaleup-project-role', content: 'ours\\n', mode: '0644' })] });",
      '',
    ].join('\n'));
    const replaced = await apply(['-p', 'playbooks/baseline.yml']);
    expect(replaced.ok).toBe(true);
    expect(replaced.steps.filter((s) => s.role === 'baseline').map((s) => s.step)).toEqual(['file /etc/scaleup-project-role']);
    expect((await onHost(HOST, 'cat /etc/scaleup-project-role')).stdout).toBe('ours\n');

    // Back to the built-in role and its own motd.
    rmSync(path.join(project, 'roles', 'baseline'), { recursive: true });
    rmSync(path.join(project, 'templates'), { recursive: true });
    const restored = await apply(['-p', 'playbooks/baseline.yml']);
    expect(changedSteps(restored)).toEqual(['baseline: template /etc/motd']);
  });

  it('init --stack adds the stack\'s playbook; applied from the project to the converged lab it changes nothing, and verify passes', async () => {
    const init = await provision(['init', '--stack']);
    expect(init.stdout).toMatch(/created {2}playbooks\/stack\.yml/);
    expect(init.stdout).toMatch(/created {2}inventory\/stack\.yml/);
    // The lab's hosts in the scaffolded stack inventory: the lab inventory with its paths made absolute.
    const lab = parseDocument(readFileSync(labInventory, 'utf8'));
    const labDir = path.dirname(labInventory);
    for (const key of ['private_key', 'known_hosts']) lab.setIn(['connection', key], path.resolve(labDir, String(lab.getIn(['connection', key]))));
    lab.set('secrets', path.resolve(labDir, String(lab.get('secrets'))));
    writeFileSync(path.join(project, 'inventory', 'stack.yml'), lab.toString());
    const env = { SCALEUP_AGE_KEY_FILE: path.join(labDir, 'lab.agekey') };
    const stack = await apply(['-i', 'inventory/stack.yml', '-p', 'playbooks/stack.yml'], env);
    expect(stack.ok).toBe(true);
    expect(changedSteps(stack)).toEqual([]);
    const verify = await provision(['verify', '-i', 'inventory/stack.yml'], env);
    expect(verify.stdout).toMatch(/all \d+ checks passed/);
    expect(verify.code).toBe(0);
  });

  it('a role with a syntax error is reported with its file, line and column before anything connects', async () => {
    const role = path.join(project, 'roles', 'hello', 'index.ts');
    const good = readFileSync(role, 'utf8');
    writeFileSync(role, good.replace("name: 'hello',", "name: 'hello',,"));
    try {
      const r = await provision(['apply', '--yes', '--connect-timeout', '1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/roles\/hello\/index\.ts:\d+:\d+: role source: /);
      expect(r.stdout).not.toMatch(/PLAY/);
    } finally {
      writeFileSync(role, good);
    }
  });
});
