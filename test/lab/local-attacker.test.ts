// An unprivileged local user on a converged host attacks what scaleup does there: the ops sudo rule,
// the staged files of a write (racing them with inotify, as a real attacker would), and a sudo password
// sent where sudo never asked for it. Each test failed on the code before its fix (see docs/security.md).
// Leaves the baseline applied on web-01 and the stack as inventory/lab.yml describes it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRole } from '../../src/core/apply-role.ts';
import { SshConnection } from '../../src/core/connection/ssh.ts';
import type { Facts } from '../../src/core/facts/facts.ts';
import type { Host } from '../../src/core/model.ts';
import { quote } from '../../src/core/quote.ts';
import { Redactor } from '../../src/core/secret.ts';
import { file } from '../../src/core/steps/index.ts';
import { labKey, labKnownHosts } from './lab-paths.ts';
import { apply, inventoryVariant, LAB_ADDRESSES, onHost, waitFor } from './support.ts';

const WEB = 'web-01';
const PUB = readFileSync(`${labKey}.pub`, 'utf8').trim();
const RACER = readFileSync(path.join(import.meta.dirname, 'racer.py'));

/** Runs `racer.py` on `host` as `user` in the background; `finish()` stops it and returns its log lines. */
async function race(host: string, user: string, args: string[]): Promise<{ finish(): Promise<string[]> }> {
  const base = `/tmp/scaleup-racer-${process.pid}-${Date.now()}`;
  const [out, ready, stop] = [`${base}.log`, `${base}.ready`, `${base}.stop`];
  await onHost(host, `printf '%s' ${RACER.toString('base64')} | base64 -d > ${base}.py && chmod 0644 ${base}.py && ` +
    `runuser -u ${user} -- setsid python3 ${base}.py ${[args[0]!, out, ready, stop, '240', ...args.slice(1)].map(quote).join(' ')} ` +
    '</dev/null >/dev/null 2>&1 &');
  await waitFor(`the racer on ${host}`, async () => (await onHost(host, `test -e ${ready} && echo yes`)).stdout.includes('yes'));
  return {
    async finish() {
      const log = (await onHost(host, `touch ${stop}; sleep 0.5; cat ${out} 2>/dev/null; rm -f ${base}.*`)).stdout;
      return log.split('\n').filter(Boolean);
    },
  };
}

/** Applies the baseline to web-01 with these extra variables; returns the run. */
async function baseline(name: string, vars: Record<string, unknown>) {
  const variant = inventoryVariant(name, (doc) => {
    for (const [k, v] of Object.entries({ baseline_ops_authorized_keys: [PUB], ...vars })) doc.setIn(['vars', k], v);
  });
  try {
    return await apply(['-p', 'playbooks/baseline.yml', '--limit', WEB], variant.file);
  } finally {
    variant.remove();
  }
}

describe('an unprivileged local user on a converged host', () => {
  let shadow = '';
  beforeAll(async () => {
    const first = await baseline('attacker-baseline', {});
    expect(first.code, first.stderr).toBe(0);
    shadow = (await onHost(WEB, 'stat -c "%U:%G %a" /etc/shadow; sha256sum < /etc/shadow')).stdout;
  });

  afterAll(async () => {
    // Whatever a racer managed, the host is left sane for the other suites.
    await onHost(WEB, 'chown root:shadow /etc/shadow; chmod 0640 /etc/shadow; rm -f /root/scaleup-pwned; ' +
      '[ -L /home/ops/.ssh/authorized_keys ] && rm -f /home/ops/.ssh/authorized_keys; true');
  });

  it('the ops sudo rule gives no root: `service ../../home/ops/evil status` runs nothing; logs are read through groups', async () => {
    // Fails on the old rule `/usr/sbin/service * status`: `*` matched `../../home/ops/evil`.
    await onHost(WEB, "printf '#!/bin/sh\\ntouch /root/scaleup-pwned\\n' > /home/ops/evil; chown ops: /home/ops/evil; chmod 0755 /home/ops/evil");
    const attempt = await onHost(WEB, 'runuser -u ops -- sudo -n /usr/sbin/service ../../home/ops/evil status; echo "exit=$?"');
    expect(attempt.stdout).not.toContain('exit=0');
    expect((await onHost(WEB, 'ls /root/scaleup-pwned 2>&1; true')).stdout).toContain('No such file');
    expect((await onHost(WEB, 'runuser -u ops -- sudo -n /usr/bin/journalctl --no-pager --vacuum-time=1s; echo "exit=$?"')).stdout).not.toContain('exit=0');
    expect((await onHost(WEB, 'sudo -l -U ops')).stdout).toMatch(/not allowed to run sudo/);
    // What the rule was for, without it: the journal and the stack's logs.
    expect((await onHost(WEB, 'runuser -u ops -- id -Gn')).stdout.split(/\s+/)).toEqual(expect.arrayContaining(['adm', 'systemd-journal']));
    expect((await onHost(WEB, 'runuser -u ops -- journalctl -q -n 1 --no-pager >/dev/null; echo "exit=$?"')).stdout).toContain('exit=0');
    expect((await onHost(WEB, 'runuser -u ops -- ls /var/log/scaleup >/dev/null; echo "exit=$?"')).stdout).toContain('exit=0');
  });

  it('a link renamed over the staged authorized_keys (in ~ops/.ssh, the attacker\'s own directory) never hands ops a root file', async () => {
    // Fails on the old write, which chowned the staged file by name: /etc/shadow became ops's.
    const racer = await race(WEB, 'ops', ['swap', '/home/ops/.ssh', '.authorized_keys.scaleup-', '/etc/shadow']);
    const run = await baseline('attacker-keys', { baseline_ops_authorized_keys: [PUB, `${PUB.split(' ').slice(0, 2).join(' ')} second`] });
    const log = await racer.finish();
    expect(log.filter((l) => l.startsWith('swapped')).length, log.join('\n')).toBeGreaterThan(0);
    expect(run.result.hosts[WEB]!.unreachable).toBe(false);
    expect((await onHost(WEB, 'stat -c "%U:%G %a" /etc/shadow; sha256sum < /etc/shadow')).stdout).toBe(shadow);
    expect((await onHost(WEB, 'find / -xdev -user ops -name shadow 2>/dev/null; true')).stdout).toBe('');
    // Two safe outcomes, by who wins the race: the write sees its staged file renamed away and stops,
    // or it renames the attacker's own link into the attacker's own directory. Never a root file given away.
    const written = run.result.steps.find((s) => s.host === WEB && s.step === 'file /home/ops/.ssh/authorized_keys')!;
    if (written.status === 'failed') expect(written.error).toContain('is not a new empty file: refusing to write');
    const isLink = (await onHost(WEB, '[ -L /home/ops/.ssh/authorized_keys ] && echo link; true')).stdout.includes('link');
    const next = await baseline('attacker-keys-again', {});
    const step = next.result.steps.find((s) => s.host === WEB && s.step === 'file /home/ops/.ssh/authorized_keys')!;
    if (isLink) {
      // The link the attacker left as authorized_keys is refused by the next run, not written through.
      expect(step.status).toBe('failed');
      expect(step.error).toContain('is a symbolic link (to /etc/shadow): refusing to write through it');
      await onHost(WEB, 'rm -f /home/ops/.ssh/authorized_keys');
    } else {
      expect(step.status).not.toBe('failed');
    }
    expect((await onHost(WEB, 'stat -c "%U:%G %a" /etc/shadow; sha256sum < /etc/shadow')).stdout).toBe(shadow);
    expect((await baseline('attacker-keys-repaired', {})).code).toBe(0);
  });

  it('a file holding secrets is never readable by another user while it is staged, however long its upload takes', async () => {
    // Fails on the old write (umask 022: the staged file was 0644 until its chmod, after the upload).
    const dir = '/etc/scaleup-staging-test';
    await onHost('lb-02', `rm -rf ${dir}; mkdir -m 0755 ${dir}`);
    const racer = await race('lb-02', 'nobody', ['read', dir, '.secret.conf.scaleup-']);
    const host: Host = { name: 'lb-02', address: LAB_ADDRESSES['lb-02']!, privateAddress: LAB_ADDRESSES['lb-02']!, port: 22, user: 'deploy', become: true, groups: [], vars: {}, privateKey: labKey };
    const conn = await SshConnection.open(host, { knownHostsFile: labKnownHosts, acceptNewHostKeys: false });
    try {
      // Large enough that its upload takes a while: the old window was the whole upload.
      const content = `password = ${'s3cret-'.repeat(600_000)}\n`;
      const outcome = await applyRole({
        role: 'staging', steps: [file.content({ dest: `${dir}/secret.conf`, content, mode: '0640', secret: true })], handlers: {}, conn,
        redactor: new Redactor(), check: false, emit: () => {}, ctx: { host, facts: {} as Facts, vars: {}, hostsIn: () => [], diff: false },
      });
      expect(outcome.results.map((r) => r.status)).toEqual(['changed']);
    } finally {
      await conn.close();
    }
    const log = await racer.finish();
    expect(log.length, 'the racer saw the staged file').toBeGreaterThan(0);
    expect(log.filter((l) => l !== 'denied'), log.join('\n')).toEqual([]);
    expect((await onHost('lb-02', `stat -c '%U:%G %a' ${dir}/secret.conf; rm -rf ${dir}`)).stdout).toBe('root:root 640\n');
  });

  it('a sudo password is sent only when sudo asks: with a NOPASSWD rule it never lands in a file (CLI, kept connection)', async () => {
    // Fails on the old transport, which put the password first on every command's stdin: /etc/motd began with it.
    const run = await baseline('attacker-become', { become_password: 'Never-Asked-For-9', baseline_motd_contact: 'ops@example.com' });
    expect(run.code, run.stderr).toBe(0);
    const motd = (await onHost(WEB, 'cat /etc/motd')).stdout;
    expect(motd).toBe('\n  web-01 (web): managed by scaleup, local edits are overwritten.\n  Contact: ops@example.com\n\n');
    expect((await onHost(WEB, 'grep -rl Never-Asked-For-9 /etc /home /root /tmp /var/lib 2>/dev/null; true')).stdout).toBe('');
    expect((await baseline('attacker-become-back', {})).code).toBe(0);
  });
});
