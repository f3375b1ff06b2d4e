// Secrets never leak (issue 7): every output channel of real runs against the lab — the live tree on a
// terminal, the plain renderer, --json, --junit, --diff, the messages of a failing step whose command
// holds a secret, the error of a variable check — holds no secret value of inventory/lab.secrets.age.
// On the hosts: files holding secrets are not world-readable and have the right owner; MySQL listens
// on the private address only; the HAProxy stats page is not on the VIP and wants a password; a changed
// host key is refused. Leaves the five-host stack as inventory/lab.yml describes it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../../src/core/connection/ssh.ts';
import { packageRoot as projectRoot } from '../../src/package-root.ts';
import { openSecretsFile } from '../../src/core/vault.ts';
import { labKey, labKnownHosts } from './lab-paths.ts';
import { apply, inventoryVariant, LAB_ADDRESSES, onHost, provision, VIP } from './support.ts';

const STACK = ['lb-01', 'lb-02', 'web-01', 'app-01', 'db-01'];
let secrets: Record<string, string> = {};

/** Every form of every secret a channel could carry it in: as is, and base64 (HTTP basic auth, probes). */
function forms(): { name: string; text: string }[] {
  return Object.entries(secrets).flatMap(([name, v]) => [
    { name, text: v },
    { name: `${name} (base64)`, text: Buffer.from(v).toString('base64').replace(/=+$/, '') },
  ]);
}

/** The secrets found in `text`, by name (never the value: this report goes to the test log). */
function leaks(text: string): string[] {
  return forms().filter((f) => text.includes(f.text)).map((f) => f.name);
}

/** `text` with every secret replaced by its name: safe for an assertion's message. */
function masked(text: string): string {
  let out = text;
  for (const f of forms()) out = out.split(f.text).join(`<${f.name}>`);
  return out;
}

/** Every channel of every run so far, by label. */
const channels = new Map<string, string>();
function collect(label: string, text: string): void {
  channels.set(label, text);
}

/** `provision apply` with --json and --junit files; every channel kept under `label`. */
async function run(label: string, inventory: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; json: string; junit: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-leak-'));
  const json = path.join(dir, 'result.json');
  const junit = path.join(dir, 'junit.xml');
  try {
    const r = await provision(['apply', '-i', inventory, '--yes', '--json', json, '--junit', junit, '-v', ...args]);
    const read = (f: string) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    const out = { code: r.code, stdout: r.stdout, stderr: r.stderr, json: read(json), junit: read(junit) };
    collect(`${label}: stdout`, out.stdout);
    collect(`${label}: stderr`, out.stderr);
    collect(`${label}: --json`, out.json);
    collect(`${label}: --junit`, out.junit);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The live tree on a real terminal (a pty from `script`), not in CI mode: what a person sees. */
function onTerminal(args: string[]): Promise<{ code: number | null; output: string }> {
  const cmd = [process.execPath, path.join(projectRoot, 'bin/provision.js'), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const env: Record<string, string> = { ...process.env, TERM: 'xterm-256color', COLUMNS: '160', LINES: '50' } as Record<string, string>;
  delete env.CI;
  delete env.NO_COLOR;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', cmd, '/dev/null'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, headers: { Connection: 'close', ...headers }, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
}

describe('secrets never leak', () => {
  beforeAll(async () => {
    const opened = await openSecretsFile('inventory/lab.secrets.age');
    secrets = Object.fromEntries(Object.entries(opened.secrets).map(([k, v]) => [k, v.reveal()]));
    expect(Object.keys(secrets).sort()).toEqual(['haproxy_stats_password', 'mysql_app_password', 'mysql_replication_password']);
  });

  afterAll(async () => {
    const back = await run('restore', 'inventory/lab.yml', []);
    expect(back.code, masked(back.stderr)).toBe(0);
    const again = await apply([]);
    expect(again.result.totals.changed).toBe(0);
  });

  describe('output channels', () => {
    it('a full apply on a terminal (live tree), then a plain one with --json, --junit, -v', async () => {
      const tty = await onTerminal(['apply', '-i', 'inventory/lab.yml', '--yes', '-v']);
      collect('terminal apply', tty.output);
      expect(tty.code, masked(tty.output)).toBe(0);
      expect(tty.output).toMatch(/lb-02/);
      const plain = await run('plain apply', 'inventory/lab.yml', []);
      expect(plain.code, masked(plain.stderr)).toBe(0);
      expect(JSON.parse(plain.json).totals.failed).toBe(0);
      expect(plain.junit).toContain('<testsuites');
    });

    it('--check --diff of a secret rotation: the current secrets are in every removed line, and hidden', async () => {
      // New values as plain inventory strings: the diffs show the hosts' current lines, which hold the secrets.
      const variant = inventoryVariant('leak-rotate', (doc) =>
        doc.setIn(['vars'], { vip: '10.77.0.100', mysql_app_password: 'rotated-app-password-0001', haproxy_stats_password: 'rotated-stats-password-01' }));
      try {
        const r = await run('check --diff (rotation)', variant.file, ['--check', '--diff']);
        expect(r.code, masked(r.stderr)).toBe(0);
        expect([r.stdout, r.stderr, r.json, r.junit].flatMap(leaks)).toEqual([]);
        // Each secret-bearing file is reported as changed, and shows no line of itself: a file step marked
        // `secret` (an old value may be a secret the vault no longer knows).
        for (const f of ['/etc/counter/env', '/etc/haproxy/haproxy.cfg']) {
          expect(r.stdout).toContain(`--- ${f}\n+++ ${f}\n(content not shown: this file holds secrets)`);
        }
        expect(r.stdout).not.toMatch(/^-.*DB_PASSWORD=/m);
        expect(r.stdout).not.toMatch(/^-\s*stats auth/m);
        const tty = await onTerminal(['apply', '-i', variant.file, '--check', '--diff']);
        collect('terminal check --diff (rotation)', tty.output);
      } finally {
        variant.remove();
      }
    });

    it('a real apply changing lines beside the secrets (diff context), and back', async () => {
      const variant = inventoryVariant('leak-context', (doc) => {
        doc.setIn(['groups', 'app', 'vars'], { app_db_pool_size: 11 });
        doc.setIn(['groups', 'lb', 'vars'], { haproxy_stats_user: 'admin2' });
      });
      try {
        const r = await run('apply --diff (context)', variant.file, ['--diff']);
        expect(r.code, masked(r.stderr)).toBe(0);
        expect([r.stdout, r.stderr, r.json, r.junit].flatMap(leaks)).toEqual([]);
        // Files that hold secrets are shown as changed, never line by line (FileContentOptions.secret).
        expect(r.stdout).toMatch(/changed: app-01 \| app \| template \/etc\/counter\/env/);
        expect(r.stdout).toMatch(/changed: lb-01 \| haproxy \| template \/etc\/haproxy\/haproxy\.cfg/);
        expect(r.stdout).not.toContain('DB_POOL_SIZE');
        expect(r.stdout).not.toContain('stats auth');
      } finally {
        variant.remove();
      }
      const back = await run('apply --diff (back)', 'inventory/lab.yml', ['--diff']);
      expect(back.code, masked(back.stderr)).toBe(0);
    });

    it('a failing step whose command, step name and error hold a secret', async () => {
      // nginx_document_root flows into a directory step (its name and its mkdir command): under /proc it fails.
      const variant = inventoryVariant('leak-failing', (doc) =>
        doc.setIn(['groups', 'web', 'hosts', 'web-01', 'vars'], { nginx_document_root: `/proc/${secrets.mysql_app_password}` }));
      try {
        const r = await run('failing step', variant.file, ['--role', 'nginx', '--limit', 'web-01']);
        expect(r.code).toBe(2);
        // Leaks first, by name only: a failed assertion below must not print the secret itself.
        expect([r.stdout, r.stderr, r.json, r.junit].flatMap(leaks)).toEqual([]);
        const failed = JSON.parse(r.json).steps.filter((s: { status: string }) => s.status === 'failed');
        expect(failed).toHaveLength(1);
        expect(failed[0].step).toBe('directory /proc/***');
        expect(failed[0].error).toMatch(/^command failed \(exit 1\): set -e\n\[ -d \/proc\/\*\*\* \] \|\| mkdir -p -- \/proc\/\*\*\*\n/);
        expect(r.stderr).toMatch(/^failed: web-01 \| nginx \| directory \/proc\/\*\*\*: command failed/m);
        const tty = await onTerminal(['apply', '-i', variant.file, '--yes', '--role', 'nginx', '--limit', 'web-01']);
        collect('terminal failing step', tty.output);
        expect(tty.code).toBe(2);
      } finally {
        variant.remove();
      }
      const back = await run('failing step (back)', 'inventory/lab.yml', ['--role', 'nginx', '--limit', 'web-01']);
      expect(back.code, masked(back.stderr)).toBe(0);
    });

    it('a variable check whose message would quote a secret', async () => {
      const variant = inventoryVariant('leak-preflight', (doc) =>
        doc.setIn(['groups', 'lb', 'vars'], { haproxy_timeout_client: secrets.haproxy_stats_password }));
      try {
        const r = await run('pre-flight error', variant.file, ['--check']);
        expect(r.code).toBe(1);
        expect(leaks(r.stderr)).toEqual([]);
        expect(r.stderr).toMatch(/haproxy_timeout_client '\*\*\*' is not an HAProxy time/);
      } finally {
        variant.remove();
      }
    });

    it('no channel holds any secret', () => {
      expect(channels.size).toBe(31);
      const found = [...channels].map(([label, text]) => ({ label, leaks: leaks(text) })).filter((c) => c.leaks.length);
      expect(found).toEqual([]);
    });
  });

  describe('on the hosts', () => {
    const root = (name: string) => SshConnection.open(
      { name, address: LAB_ADDRESSES[name]!, privateAddress: LAB_ADDRESSES[name]!, port: 22, user: 'root', become: false, groups: [], vars: {}, privateKey: labKey },
      { knownHostsFile: labKnownHosts, acceptNewHostKeys: false },
    );

    it('files holding secrets: the app env file 0640 root:app (the app reads it, cannot change it), haproxy.cfg 0640 (and keepalived.conf, for a VRRPv2 password)', async () => {
      expect((await onHost('app-01', 'stat -c "%a %U:%G" /etc/counter/env /etc/counter')).stdout).toBe('640 root:counter\n750 root:counter\n');
      for (const lb of ['lb-01', 'lb-02']) {
        expect((await onHost(lb, 'stat -c "%a %U:%G" /etc/haproxy/haproxy.cfg /etc/keepalived/keepalived.conf')).stdout, lb)
          .toBe('640 root:haproxy\n640 root:root\n');
      }
    });

    it('no file anywhere in /etc, /opt, /root, /home, /var/www, /usr/local that holds a secret is readable by others', async () => {
      for (const name of STACK) {
        const conn = await root(name);
        try {
          // The values go in on stdin, never on a command line.
          const r = await conn.exec(
            'grep -rlF -f - /etc /opt /root /home /var/www /usr/local 2>/dev/null | while read -r f; do stat -c "%a %U:%G %n" "$f"; done; true',
            { stdin: Object.values(secrets).join('\n') + '\n' },
          );
          const files = r.stdout.trim().split('\n').filter(Boolean);
          for (const line of files) {
            const mode = parseInt(line.split(' ')[0]!, 8);
            expect(mode & 0o004, `${name}: ${line}`).toBe(0);
          }
        } finally {
          await conn.close();
        }
      }
    });

    it('the secrets file at rest is age-encrypted and holds no secret', () => {
      const text = readFileSync(path.join(projectRoot, 'inventory/lab.secrets.age'), 'utf8');
      expect(text.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')).toBe(true);
      expect(leaks(text)).toEqual([]);
    });

    it('MySQL listens only on the db host\'s private address', async () => {
      const listeners = (await onHost('db-01', "ss -ltnH | awk '{print $4}'")).stdout.trim().split('\n');
      expect(listeners.filter((l) => /:3306$/.test(l))).toEqual(['10.77.0.41:3306']);
      expect(listeners.filter((l) => !/:22$/.test(l))).toEqual(['10.77.0.41:3306']);
    });

    it('the HAProxy stats page is not on the VIP, and wants the password on the private address', async () => {
      expect((await get(`http://${VIP}:8404/`)).status).toBe(0);
      const onVip = await get(`http://${VIP}/;csv`);
      expect(onVip.body).not.toMatch(/pxname|svname/);
      const auth = (pw: string) => ({ Authorization: `Basic ${Buffer.from(`admin:${pw}`).toString('base64')}` });
      for (const lb of ['lb-01', 'lb-02']) {
        expect((await get(`http://${LAB_ADDRESSES[lb]}:8404/`)).status).toBe(401);
        expect((await get(`http://${LAB_ADDRESSES[lb]}:8404/`, auth('wrong-password'))).status).toBe(401);
        expect((await get(`http://${LAB_ADDRESSES[lb]}:8404/`, auth(secrets.haproxy_stats_password!))).status).toBe(200);
      }
    });

    it('a changed host key is refused by the CLI, with or without --accept-new-host-keys: exit 4, HOST KEY CHANGED', async () => {
      // web-01's address with db-01's key: what a man in the middle (or a reinstalled host) looks like.
      const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-kh-'));
      const other = readFileSync(labKnownHosts, 'utf8').split('\n').find((l) => l.startsWith(`${LAB_ADDRESSES['db-01']} `) && l.includes('ssh-ed25519'))!;
      expect(other).toBeDefined();
      const changed = path.join(dir, 'known_hosts');
      writeFileSync(changed, other.replace(LAB_ADDRESSES['db-01']!, LAB_ADDRESSES['web-01']!) + '\n');
      const variant = inventoryVariant('leak-hostkey', (doc) => doc.setIn(['connection', 'known_hosts'], changed));
      try {
        for (const extra of [[], ['--accept-new-host-keys']]) {
          const r = await provision(['facts', '-i', variant.file, '--limit', 'web-01', ...extra]);
          expect(r.code, r.stderr).toBe(4);
          const out = JSON.parse(r.stdout) as Record<string, { unreachable?: string }>;
          expect(out['web-01']!.unreachable).toMatch(/HOST KEY CHANGED for 10\.77\.0\.21: it now presents ssh-ed25519 SHA256:\S+, which does not match /);
        }
        const a = await provision(['apply', '-i', variant.file, '--yes', '--limit', 'web-01']);
        expect(a.code).toBe(4);
        expect(a.stderr).toMatch(/unreachable: web-01: HOST KEY CHANGED/);
        // The pinned file was not rewritten.
        expect(readFileSync(changed, 'utf8')).toBe(other.replace(LAB_ADDRESSES['db-01']!, LAB_ADDRESSES['web-01']!) + '\n');
      } finally {
        variant.remove();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
