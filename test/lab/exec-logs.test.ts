// `provision exec` and `provision logs` on the lab: a command on a group with each host's output behind
// its name and the exit code of the worst host, escaped host output, become, a role's journal from two
// hosts in time order, and `logs -f` stopped by Ctrl-C leaving no reader on the hosts.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot as projectRoot } from '../../src/package-root.ts';
import { labInventory } from './lab-paths.ts';
import { inventoryVariant, onHost, provision, waitFor } from './support.ts';

const I = ['-i', labInventory];

/** A journal entry on `host` that `journalctl -u haproxy` shows (as systemd's own notes about a unit are). */
async function haproxyNote(host: string, text: string): Promise<void> {
  const r = await onHost(host, `printf 'MESSAGE=%s\\nSYSLOG_IDENTIFIER=labtest\\nOBJECT_SYSTEMD_UNIT=haproxy.service\\n' '${text}' | logger --journald`);
  expect(r.exitCode, r.stderr).toBe(0);
}

async function journalReaders(host: string): Promise<string> {
  return (await onHost(host, 'pgrep -a -x journalctl || true')).stdout.trim();
}

describe('provision exec', () => {
  it('runs on every host of a group, prefixes each line, and exits 2 when the command fails on one host', async () => {
    const r = await provision(['exec', 'lb', ...I, '--', 'echo "hello from $(hostname)"; echo warn >&2; [ "$(hostname)" != lb-02 ]']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain('lb-01 | hello from lb-01\n');
    expect(r.stdout).toContain('lb-02 | hello from lb-02\n');
    expect(r.stdout).toContain('lb-01 ! warn\n');
    expect(r.stdout).toContain('lb-02 ! failed: exit code 1\n');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('1 ok, 1 failed, 0 unreachable');
  });

  it('exits 0 when the command succeeds everywhere; --group prints a block per host', async () => {
    const r = await provision(['exec', 'lb,web', ...I, '--group', '--', 'hostname']);
    expect(r.code, r.stderr).toBe(0);
    for (const h of ['lb-01', 'lb-02', 'web-01']) expect(r.stdout).toMatch(new RegExp(`==> ${h}: ok \\([\\d.]+ s\\)\\n${h}\\n`));
    expect(r.stdout).toContain('3 ok, 0 failed, 0 unreachable');
  });

  it('--json - gives each host exit code, stdout, stderr and duration', async () => {
    const r = await provision(['exec', 'lb', ...I, '--json', '-', '--', 'echo out; echo err >&2; exit $([ "$(hostname)" = lb-01 ] && echo 0 || echo 3)']);
    expect(r.code).toBe(2);
    const json = JSON.parse(r.stdout) as { command: string; hosts: Record<string, { status: string; exitCode: number; stdout: string; stderr: string; durationMs: number }>; totals: Record<string, number> };
    expect(json.hosts['lb-01']).toMatchObject({ status: 'ok', exitCode: 0, stdout: 'out\n', stderr: 'err\n' });
    expect(json.hosts['lb-02']).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(json.hosts['lb-01']!.durationMs).toBeGreaterThanOrEqual(0);
    expect(json.totals).toEqual({ ok: 1, failed: 1, unreachable: 0 });
    // The human lines went to stderr, leaving stdout to the JSON.
    expect(r.stderr).toContain('lb-01 | out');
  });

  it('a host that prints escape sequences cannot reach the terminal with them', async () => {
    const r = await provision(['exec', 'web-01', ...I, '--', "printf '\\033]0;owned\\007\\033[2Jcleared\\n'"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\u001b|\u0007/);
    expect(r.stdout).toContain('web-01 | \\x1b]0;owned\\x07\\x1b[2Jcleared');
  });

  describe('become', () => {
    const variant = inventoryVariant('exec-no-become', (doc) => doc.setIn(['connection', 'become'], false));
    afterAll(() => variant.remove());

    it('as the inventory says, or with -b', async () => {
      const asInventory = await provision(['exec', 'web-01', ...I, '--', 'id -un']);
      expect(asInventory.stdout).toContain('web-01 | root\n');
      const plain = await provision(['exec', 'web-01', '-i', variant.file, '--', 'id -un']);
      expect(plain.stdout).toContain('web-01 | deploy\n');
      const b = await provision(['exec', 'web-01', '-i', variant.file, '-b', '--', 'id -un']);
      expect(b.stdout).toContain('web-01 | root\n');
    });
  });
});

describe('provision logs', () => {
  // The follow case with kept connections leaves them to the keeper: close them, as other suites do.
  afterAll(async () => {
    await provision(['connections', '--close']);
  });

  it("a role's service on two hosts: real journal lines, in time order, behind each host's name", async () => {
    const tag = `exec-logs-${Date.now()}`;
    // One after the other, so that the journal times order them: lb-01, lb-02, lb-01.
    await haproxyNote('lb-01', `${tag} first`);
    await haproxyNote('lb-02', `${tag} second`);
    await haproxyNote('lb-01', `${tag} third`);
    const r = await provision(['logs', 'lb', 'haproxy', ...I, '-n', '10']);
    expect(r.code, r.stderr).toBe(0);
    const ours = r.stdout.split('\n').filter((l) => l.includes(tag));
    expect(ours).toHaveLength(3);
    expect(ours[0]).toMatch(new RegExp(`^lb-01 \\| \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}[+-]\\d{4} labtest\\[\\d+\\]: ${tag} first$`));
    expect(ours[1]).toMatch(new RegExp(`^lb-02 \\| .* labtest\\[\\d+\\]: ${tag} second$`));
    expect(ours[2]).toMatch(new RegExp(`^lb-01 \\| .* labtest\\[\\d+\\]: ${tag} third$`));
  });

  it('without a unit: the services the roles on those hosts declare (haproxy and keepalived on lb); a hostile entry is escaped', async () => {
    const tag = `exec-logs-roles-${Date.now()}`;
    await haproxyNote('lb-02', tag);
    await haproxyNote('lb-02', `${tag} \u001b]0;owned\u0007\u001b[2J`);
    const r = await provision(['logs', 'lb-02', ...I, '-n', '500']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^lb-02 \\| .* labtest\\[\\d+\\]: ${tag}$`, 'm'));
    // keepalived's journal too: the lb hosts run both roles.
    expect(r.stdout).toMatch(/^lb-02 \| .* Keepalived/m);
    expect(r.stdout).toContain(`${tag} \\x1b]0;owned\\x07\\x1b[2J`);
    expect(r.stdout).not.toMatch(/\u001b|\u0007/);
  });

  it('a unit no host has is a clear error, exit 2', async () => {
    const r = await provision(['logs', 'web-01', 'no-such-service', ...I]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('web-01 ! no unit no-such-service on this host');
  });

  for (const persist of ['0', '60']) {
    it(`-f follows until Ctrl-C, then exits 0 and leaves no journalctl on the hosts (ssh-persist ${persist})`, async () => {
      const tag = `exec-logs-follow-${persist}-${Date.now()}`;
      const child = spawn(process.execPath, [path.join(projectRoot, 'bin/provision.js'), 'logs', 'lb', 'haproxy', ...I, '-f', '-n', '0', '--ssh-persist', persist], {
        cwd: projectRoot, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      try {
        // Lines written before the readers start are not followed: write until both hosts' lines arrive.
        let n = 0;
        await waitFor(`followed lines from both hosts (stderr: ${stderr})`, async () => {
          n++;
          await haproxyNote('lb-01', `${tag} ${n}`);
          await haproxyNote('lb-02', `${tag} ${n}`);
          await new Promise((r) => setTimeout(r, 500));
          return stdout.includes(`lb-01 | `) && stdout.includes(`${tag}`) && /lb-02 \| .*exec-logs-follow/.test(stdout);
        }, 60_000);
        expect(await journalReaders('lb-01')).not.toBe('');
      } finally {
        child.kill('SIGINT');
      }
      expect(await exited, stderr).toBe(0);
      for (const h of ['lb-01', 'lb-02']) {
        await waitFor(`no journalctl left on ${h}`, async () => (await journalReaders(h)) === '', 20_000, 250);
      }
    });
  }
});
