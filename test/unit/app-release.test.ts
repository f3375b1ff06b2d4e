// The app's release on the control node (built in a clean copy, packed deterministically, named by
// its content), the unpack step on a real shell (one stream, complete once, never sent again), the
// engine's preparation before connecting, and the app role's variable checks.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import app from '../../roles/app/index.ts';
import { buildRelease, outputTail, packRelease } from '../../roles/app/release.ts';
import { releaseLogCommand, systemdExec, validateApp } from '../../roles/app/vars.ts';
import { LocalConnection } from '../../src/core/connection/local.ts';
import { StepError } from '../../src/core/errors.ts';
import type { Host, Inventory } from '../../src/core/model.ts';
import { defineRole, type Role } from '../../src/core/role.ts';
import { prepareRoles } from '../../src/core/role-preparation.ts';
import { runPlays } from '../../src/core/run.ts';
import { Redactor } from '../../src/core/secret.ts';
import { archive } from '../../src/core/steps/index.ts';
import { labInventory } from './roles-fixtures.ts';

const TIMEOUT = 60_000;
const hostsOf = (inv: Inventory, group: string) => (inv.groups.get(group) ?? []).map((n) => inv.hosts.get(n)!);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-app-release-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A small app folder: two files, one in a sub-folder, one executable. */
function appFolder(name: string): string {
  const root = path.join(dir, name);
  mkdirSync(path.join(root, 'lib'), { recursive: true });
  writeFileSync(path.join(root, 'server.js'), 'console.log("hi")\n');
  writeFileSync(path.join(root, 'lib', 'run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
  return root;
}

/** The members of a gzip-compressed tar, as `tar -tvz` lists them. */
function members(archiveBytes: Buffer): string[] {
  return execFileSync('tar', ['-tzf', '-'], { input: archiveBytes }).toString().split('\n').filter(Boolean).sort();
}

describe('packing a release', () => {
  it('same files → same id and same bytes, whatever their times; other content → another id', () => {
    const a = appFolder('a');
    const b = path.join(dir, 'b');
    cpSync(a, b, { recursive: true });
    utimesSync(path.join(b, 'server.js'), 1_000, 1_000);
    const first = packRelease(a);
    const second = packRelease(b);
    expect(first.id).toMatch(/^[0-9a-f]{12}$/);
    expect(second.id).toBe(first.id);
    expect(second.archive.equals(first.archive)).toBe(true);
    writeFileSync(path.join(b, 'server.js'), 'console.log("changed")\n');
    expect(packRelease(b).id).not.toBe(first.id);
  });

  it('keeps executable bits and sub-folders', () => {
    const out = execFileSync('tar', ['-tvzf', '-'], { input: packRelease(appFolder('a')).archive }).toString();
    expect(out).toMatch(/-rwxr-xr-x 0\/0 .* \.\/lib\/run\.sh/);
    expect(out).toMatch(/-rw-r--r-- 0\/0 .* \.\/server\.js/);
  });
});

describe('building a release', () => {
  it('runs app_build in a clean copy: the source is untouched, what the build leaves is the release', async () => {
    const src = appFolder('app');
    mkdirSync(path.join(src, '.git'));
    writeFileSync(path.join(src, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    const release = await buildRelease(src, 'mkdir dist && echo built > dist/out.txt && rm server.js');
    expect(existsSync(path.join(src, 'dist'))).toBe(false);
    expect(existsSync(path.join(src, 'server.js'))).toBe(true);
    expect(members(release.archive)).toEqual(['./', './dist/', './dist/out.txt', './lib/', './lib/run.sh']);
    expect(release.provenance).toMatchObject({ source: src, build: 'mkdir dist && echo built > dist/out.txt && rm server.js' });
    expect(release.provenance.by).toMatch(/^.+@.+$/);
  }, TIMEOUT);

  it('records the git commit of a work tree, and whether it has uncommitted changes', async () => {
    const src = appFolder('app');
    const git = (...args: string[]) => execFileSync('git', ['-C', src, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]).toString().trim();
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    const head = git('rev-parse', 'HEAD');
    expect((await buildRelease(src, '')).provenance).toMatchObject({ commit: head, dirty: false });
    writeFileSync(path.join(src, 'server.js'), 'changed\n');
    expect((await buildRelease(src, '')).provenance).toMatchObject({ commit: head, dirty: true });
  }, TIMEOUT);

  it('replaces shared folders by links to /opt/<name>/shared/<dir>', async () => {
    const src = appFolder('app');
    mkdirSync(path.join(src, 'uploads'));
    writeFileSync(path.join(src, 'uploads', 'old.png'), 'x');
    const release = await buildRelease(src, '', { uploads: '/opt/shop/shared/uploads' });
    const listing = execFileSync('tar', ['-tvzf', '-'], { input: release.archive }).toString();
    expect(listing).toContain('./uploads -> /opt/shop/shared/uploads');
    expect(listing).not.toContain('old.png');
  }, TIMEOUT);

  it('a failing build fails with its command, exit code and the tail of its output', async () => {
    const src = appFolder('app');
    const failing = buildRelease(src, 'for i in $(seq 1 40); do echo line $i; done; echo "npm ERR! missing" >&2; exit 3');
    await expect(failing).rejects.toThrow(StepError);
    await expect(failing).rejects.toThrow(/app_build: .* failed with exit 3 .*no host was contacted/s);
    const err = (await failing.catch((e: unknown) => e)) as StepError;
    expect(err.message).toContain('npm ERR! missing');
    expect(err.message).toContain('line 40');
    expect(err.message).not.toContain('line 5\n');
    expect(err.detail).toMatchObject({ exitCode: 3, command: expect.stringContaining('exit 3') });
  }, TIMEOUT);

  it('an app_source that is not a folder is named', async () => {
    await expect(buildRelease(path.join(dir, 'nope'), '')).rejects.toThrow(/app_source .*nope is not a folder/);
  });

  it('outputTail keeps the last lines', () => {
    expect(outputTail('a\nb\nc\n', 2)).toBe('b\nc');
  });
});

const localHost = (name: string): Host => ({
  name, address: '127.0.0.1', privateAddress: '127.0.0.1', port: 22, user: 'root', become: false, groups: ['all'], vars: {},
});

describe('preparation before connecting', () => {
  it('a failing preparation fails the run before any host is contacted', async () => {
    const h = localHost('h1');
    const inventory: Inventory = { file: '/x/inv.yml', hosts: new Map([['h1', h]]), groups: new Map([['all', ['h1']]]), knownHosts: '/x/kh' };
    const contacted: string[] = [];
    const role = defineRole({
      name: 'builds', description: 'fails its build', defaults: {},
      prepare: () => ({ key: 'k', run: () => buildRelease(dir, 'echo broken >&2; exit 1') }),
      steps: () => [],
    });
    const run = runPlays({
      inventory, plays: [{ name: 'p', hosts: [h], roles: [role] }], redactor: new Redactor(),
      connect: async (host) => {
        contacted.push(host.name);
        return new LocalConnection(host.name);
      },
    });
    await expect(run).rejects.toThrow(/broken/);
    expect(contacted).toEqual([]);
  }, TIMEOUT);

  it('hosts with the same inputs share one preparation', async () => {
    let runs = 0;
    const role = defineRole({
      name: 'counts', description: 'counts its builds', defaults: { input: 'a' },
      prepare: (v) => ({ key: String(v.input), run: async () => `${v.input}#${++runs}` }),
      steps: () => [],
    });
    const [a, b, c] = ['a', 'b', 'c'].map(localHost) as [Host, Host, Host];
    c.vars = { input: 'other' };
    const prepared = await prepareRoles([{ hosts: [a, b, c], roles: [role as unknown as Role] }], dir);
    expect([a, b, c].map((h) => prepared.preparedFor('counts', h.name))).toEqual(['a#1', 'a#1', 'other#2']);
  });
});

describe('archive.unpacked on a real shell', () => {
  it('unpacks the archive in one stream, complete and root-owned; a complete folder is never sent again', async () => {
    const release = packRelease(appFolder('app'));
    const releases = path.join(dir, 'releases');
    mkdirSync(releases);
    const dest = path.join(releases, release.id);
    const step = archive.unpacked({ dest, archive: release.archive, files: { 'release.json': '{"by":"me"}\n' } });
    const role = defineRole({ name: 'unpacks', description: 'unpacks', defaults: {}, steps: () => [step] });
    const h = localHost('h1');
    const inventory: Inventory = { file: '/x/inv.yml', hosts: new Map([['h1', h]]), groups: new Map([['all', ['h1']]]), knownHosts: '/x/kh' };
    const apply = () => runPlays({ inventory, plays: [{ name: 'p', hosts: [h], roles: [role] }], redactor: new Redactor(), connect: async (x) => new LocalConnection(x.name) });
    const first = await apply();
    expect(first.totals).toMatchObject({ changed: 1, failed: 0 });
    expect(readFileSync(path.join(dest, 'server.js'), 'utf8')).toBe('console.log("hi")\n');
    expect(readFileSync(path.join(dest, 'release.json'), 'utf8')).toBe('{"by":"me"}\n');
    expect(lstatSync(path.join(dest, 'lib', 'run.sh')).mode & 0o777).toBe(0o755);
    expect(lstatSync(dest).uid).toBe(0);
    expect(existsSync(path.join(dest, archive.COMPLETE_MARKER))).toBe(true);
    const second = await apply();
    expect(second.totals).toMatchObject({ changed: 0, failed: 0 });
    // An interrupted unpack (no marker) is replaced whole.
    rmSync(path.join(dest, archive.COMPLETE_MARKER));
    writeFileSync(path.join(dest, 'stray'), 'x');
    expect((await apply()).totals).toMatchObject({ changed: 1, failed: 0 });
    expect(existsSync(path.join(dest, 'stray'))).toBe(false);
    expect(readdir(releases)).toEqual([release.id]);
  }, TIMEOUT);

  it('refuses relative paths that leave the folder', () => {
    expect(() => archive.unpackScript({ dest: '/opt/x/releases/1', files: { '../evil': 'x' } })).toThrow(/not a plain relative path/);
  });
});

function readdir(d: string): string[] {
  return execFileSync('ls', ['-A', d]).toString().split('\n').filter(Boolean);
}

describe('app role variables', () => {
  it('app_env names, the contract, shared folders and app_start are checked before connecting', () => {
    const inv = labInventory({
      all: { app_env: { GOOD: 'x', 'bad-name': 'y', DB_HOST: 'z' }, app_shared_dirs: ['uploads', '../etc', 'cache/img'], app_start: ' ' },
    });
    expect(validateApp(inv, hostsOf(inv, 'app'))).toEqual([
      'app-01: app_start is empty: it is the command line that runs the app',
      "app-01: app_env name 'bad-name' must match ^[A-Za-z_][A-Za-z0-9_]*$",
      'app-01: app_env cannot set DB_HOST: the role sets it (the environment contract)',
      "app-01: app_shared_dirs entry '../etc' must be a relative path of plain names (^[A-Za-z0-9._-]+(\\/[A-Za-z0-9._-]+)*$)",
    ]);
  });

  it('app_start reaches systemd as one sh -c argument, with nothing systemd would expand', () => {
    expect(systemdExec('node server.js')).toBe('/bin/sh -c "exec node server.js"');
    expect(systemdExec(`python3 -m app --greeting "hi \\ there" $HOME 100%`)).toBe(
      '/bin/sh -c "exec python3 -m app --greeting \\"hi \\\\ there\\" $$HOME 100%%"',
    );
  });

  it('the release log line is JSON with the host clock first', () => {
    const dirLog = path.join(dir, 'releases.log');
    const entry = { release: 'abcdef012345', action: 'deploy' as const, source: "/src/it's", by: 'me@box' };
    execFileSync('sh', ['-c', releaseLogCommand(dirLog, entry)]);
    const line = JSON.parse(readFileSync(dirLog, 'utf8').trim()) as Record<string, string>;
    expect(line).toMatchObject({ release: 'abcdef012345', action: 'deploy', source: "/src/it's", by: 'me@box' });
    expect(line.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('the sample app is the default source, and prepares once per distinct input', () => {
    const vars = { ...app.defaults };
    const preparation = app.prepare!(vars, { dir: '/roles/app', projectRoot: '/project' });
    expect(JSON.parse(preparation!.key)[0]).toBe('/roles/app/files/counter');
    const own = app.prepare!({ ...vars, app_source: 'site' }, { dir: '/roles/app', projectRoot: '/project' });
    expect(JSON.parse(own!.key)[0]).toBe('/project/site');
    // A release named by app_release is on the hosts already: nothing is built.
    expect(app.prepare!({ ...vars, app_release: 'abcdef012345' }, { dir: '/roles/app', projectRoot: '/project' })).toBeUndefined();
  });
});
