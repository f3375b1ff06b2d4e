// The engine against a real lab host over real SSH: connect, host-key pinning and refusal,
// become via sudo, every step kind applied then re-applied with nothing left to change, check
// mode, and validation that keeps the live file.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRole } from '../../src/core/apply-role.ts';
import { SshConnection } from '../../src/core/connection/ssh.ts';
import { ConnectError } from '../../src/core/errors.ts';
import { gatherFacts } from '../../src/core/facts/gather.ts';
import type { Facts } from '../../src/core/facts/facts.ts';
import type { Host } from '../../src/core/model.ts';
import { Redactor, Secret } from '../../src/core/secret.ts';
import { command, file, pkg, service, sysctl, user } from '../../src/core/steps/index.ts';
import type { Handler, Step } from '../../src/core/steps/step.ts';
import { labKey, labKnownHosts } from './lab-paths.ts';

const host = (over: Partial<Host> = {}): Host => ({
  name: 'app-01', address: '10.77.0.31', privateAddress: '10.77.0.31', port: 22, user: 'deploy', become: true, groups: ['app'], vars: {},
  privateKey: labKey, ...over,
});

const open = (h: Host, knownHostsFile = labKnownHosts, acceptNewHostKeys = false) =>
  SshConnection.open(h, { knownHostsFile, acceptNewHostKeys, connectAttempts: 1 });

describe('SSH transport', () => {
  it('runs commands as deploy through sudo -n, and as root directly', async () => {
    const asDeploy = await open(host());
    expect((await asDeploy.exec('id -un')).stdout.trim()).toBe('root');
    await asDeploy.close();
    const noBecome = await open(host({ become: false }));
    expect((await noBecome.exec('id -un')).stdout.trim()).toBe('deploy');
    await noBecome.close();
    const root = await open(host({ user: 'root', become: false }));
    expect((await root.exec('id -u')).stdout.trim()).toBe('0');
    await root.close();
  });

  it('becomes root with a sudo password from the vault, never on a command line', async () => {
    const root = await open(host({ user: 'root', become: false }));
    const pub = readFileSync(`${labKey}.pub`, 'utf8').trim();
    await root.exec(`id ops >/dev/null 2>&1 || useradd -m -s /bin/sh ops; echo 'ops:Sudo-Pass-42' | chpasswd; ` +
      `echo 'ops ALL=(ALL) ALL' > /etc/sudoers.d/ops; chmod 0440 /etc/sudoers.d/ops; ` +
      `mkdir -p ~ops/.ssh; echo ${JSON.stringify(pub)} > ~ops/.ssh/authorized_keys; chown -R ops: ~ops/.ssh`);
    try {
      const withPassword = await open(host({ user: 'ops', vars: { become_password: new Secret('Sudo-Pass-42') } }));
      expect((await withPassword.exec('id -un')).stdout.trim()).toBe('root');
      expect((await withPassword.exec('cat', { stdin: 'content after the password\n' })).stdout).toBe('content after the password\n');
      expect((await withPassword.exec("ps -eo args | grep -c 'Sudo-Pass-4[2]' || true")).stdout.trim()).toBe('0');
      await withPassword.close();
      const without = await open(host({ user: 'ops' }));
      expect((await without.exec('id -un')).stderr).toMatch(/password is required/);
      await without.close();
      const wrong = await open(host({ user: 'ops', vars: { become_password: new Secret('not-the-password') } }));
      const refused = await wrong.exec('id -un', { stdin: 'never read\n' });
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/incorrect password|no password was provided/);
      expect(refused.stderr).not.toContain('scaleup-sudo');
      await wrong.close();
    } finally {
      await root.exec('rm -f /etc/sudoers.d/ops; userdel -r ops 2>/dev/null; true');
      await root.close();
    }
  });

  it('sends a become_password only when sudo asks: with a NOPASSWD rule it never reaches a command or a file', async () => {
    // Fails on the old transport, which put the password first on every command's stdin.
    const conn = await open(host({ vars: { become_password: new Secret('Not-Asked-For-7') } }));
    try {
      expect((await conn.exec('cat', { stdin: 'only this\n' })).stdout).toBe('only this\n');
      expect((await conn.exec('cat; echo done >&2')).stderr).toBe('done\n');
      const dest = `/tmp/scaleup-become-${process.pid}`;
      const outcome = await applyRole({
        role: 'become', steps: [file.content({ dest, content: 'first line\n' })], handlers: {}, conn, redactor: new Redactor(), check: false,
        emit: () => {}, ctx: { host: host(), facts: {} as Facts, vars: {}, hostsIn: () => [], diff: false },
      });
      expect(outcome.results.map((r) => r.status)).toEqual(['changed']);
      expect((await conn.exec(`cat ${dest}; rm -f ${dest}`)).stdout).toBe('first line\n');
    } finally {
      await conn.close();
    }
  });

  it('gets the output and exit status of every short command, many at once on one connection', async () => {
    // A command that ends at once can send its output, exit status and close in the same packets as
    // the channel's confirmation: nothing of it may be lost (240 commands, 4 channels at a time: sshd
    // allows 10 sessions per connection).
    const conn = await open(host({ become: false }));
    try {
      for (let round = 0; round < 60; round++) {
        const results = await Promise.all(Array.from({ length: 4 }, (_, i) => conn.exec(`echo ${round}-${i}; exit ${i}`)));
        expect(results.map((r) => [r.stdout, r.exitCode])).toEqual(Array.from({ length: 4 }, (_, i) => [`${round}-${i}\n`, i]));
      }
    } finally {
      await conn.close();
    }
  });

  it('passes hostile arguments and binary stdin through unchanged', async () => {
    const conn = await open(host());
    const hostile = `$(touch /tmp/canary) \`touch /tmp/canary\` '"; touch /tmp/canary #\n`;
    const { quote } = await import('../../src/core/quote.ts');
    expect((await conn.exec(`printf '%s' ${quote(hostile)}`)).stdout).toBe(hostile);
    const blob = Buffer.from([0, 1, 2, 255, 10, 13, 0]);
    expect((await conn.exec('od -An -tx1 | tr -d " \\n"', { stdin: blob })).stdout).toBe('000102ff0a0d00');
    expect((await conn.exec('test -e /tmp/canary && echo present || echo absent')).stdout.trim()).toBe('absent');
    await conn.close();
  });

  it('refuses an unknown host key with its fingerprint, pins it with accept-new, refuses a changed key', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-kh-'));
    const empty = path.join(dir, 'known_hosts');
    writeFileSync(empty, '');
    await expect(open(host(), empty)).rejects.toThrow(/unknown host key ssh-ed25519 SHA256:\S+ for 10\.77\.0\.31/);
    const pinned = await open(host(), empty, true);
    await pinned.close();
    expect(readFileSync(empty, 'utf8')).toMatch(/^\|1\|\S+ ssh-ed25519 /);
    (await open(host(), empty)).close();

    // The same file with another host's key under this address: a changed key, always refused.
    const other = readFileSync(labKnownHosts, 'utf8').split('\n').find((l) => l.startsWith('10.77.0.41 ') && l.includes('ssh-ed25519'))!;
    const changed = path.join(dir, 'changed');
    writeFileSync(changed, other.replace('10.77.0.41', '10.77.0.31') + '\n');
    const err = await open(host(), changed, true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect(String((err as Error).message)).toMatch(/HOST KEY CHANGED/);
  });

  it('lets one run at a time hold a host, and frees the lock when the holder goes away', async () => {
    const first = await open(host());
    await first.lock('first run');
    const second = await open(host());
    await expect(second.lock('second run')).rejects.toThrow(/another run holds the host's run lock \(first run\)/);
    await first.close();
    // sshd closes the holder's stdin when the connection drops; the lock is free right after.
    await new Promise((r) => setTimeout(r, 300));
    const third = await open(host());
    await expect(third.lock('third run')).resolves.toBeUndefined();
    await third.close();
    await second.close();
  });

  it('reports a host with nothing listening as unreachable, without waiting out the connect timeout', async () => {
    // On the control node's loopback: every lab host is behind the stack's firewall, which drops
    // (rather than refuses) a port it does not open. A refused connection fails at once; the connect
    // timeout is made long so that only a refusal can end the attempt before it.
    await expect(SshConnection.open(host({ address: '127.0.0.1', port: 2 }), {
      knownHostsFile: labKnownHosts, acceptNewHostKeys: false, connectAttempts: 2, connectTimeoutMs: 600_000,
    })).rejects.toThrow(/cannot connect to 127\.0\.0\.1:2: .*ECONNREFUSED/);
  });
});

describe('steps on a real host', () => {
  let conn: SshConnection;
  let facts: Facts;
  const base = '/tmp/scaleup-engine-test';

  beforeAll(async () => {
    conn = await open(host());
    facts = await gatherFacts(conn);
    await conn.exec(`rm -rf ${base}; userdel scaleuptest 2>/dev/null; groupdel scaleuptest 2>/dev/null; true`);
  });
  afterAll(async () => {
    await conn.exec(`rm -rf ${base}`);
    await conn.close();
  });

  const run = (steps: Step[], options: { check?: boolean; handlers?: Record<string, Handler> } = {}) =>
    applyRole({
      role: 'engine-test', steps, handlers: options.handlers ?? {}, conn, redactor: new Redactor(), check: options.check ?? false,
      emit: () => {}, ctx: { host: host(), facts, vars: {}, hostsIn: () => [], diff: false },
    });

  it('gathers facts of a Debian 12 host', () => {
    expect(facts).toMatchObject({ osId: 'debian', osVersion: '12', packageManager: 'apt', hostname: 'app-01' });
    expect(Object.values(facts.interfaces).flat()).toContain('10.77.0.31/24');
  });

  it('converges every step kind, then finds nothing to change in one round trip', async () => {
    const steps: Step[] = [
      pkg.installed(['nftables']),
      user.group({ name: 'scaleuptest', system: true }),
      user.present({ name: 'scaleuptest', system: true, group: 'scaleuptest' }),
      file.directory({ path: base, owner: 'scaleuptest', group: 'scaleuptest', mode: '0750' }),
      file.content({ dest: `${base}/app.env`, content: 'A=1\n', owner: 'scaleuptest', mode: '0600' }),
      file.directory({ path: `${base}/releases/v1` }),
      file.symlink({ path: `${base}/current`, target: `${base}/releases/v1` }),
      command.run({ name: 'seed defaults', command: `printf 'A=1\\nB=1\\n' > ${base}/defaults`, creates: `${base}/defaults` }),
      file.lineinfile({ path: `${base}/defaults`, line: 'B=2', regexp: '^B=' }),
      sysctl.value('net.ipv4.ip_nonlocal_bind', 1, { file: `${base}/99-test.conf` }),
      command.run({ name: 'marker', command: `touch ${base}/marker`, creates: `${base}/marker` }),
      service.running('rsyslog', { enabled: true }),
    ];
    // rsyslog is not in the base image: install it first so the service step has something to manage.
    steps.unshift(pkg.installed(['rsyslog']));
    const first = await run(steps);
    expect(first.results.filter((r) => r.status === 'failed')).toEqual([]);
    expect((await conn.exec(`stat -c '%U %a' ${base}/app.env; cat ${base}/app.env ${base}/defaults; readlink ${base}/current; cat /proc/sys/net/ipv4/ip_nonlocal_bind`)).stdout)
      .toBe(`scaleuptest 600\nA=1\nA=1\nB=2\n${base}/releases/v1\n1\n`);

    const before = conn.roundTrips;
    const second = await run(steps);
    expect(second.results.filter((r) => r.status !== "ok")).toEqual([]);
    expect(conn.roundTrips - before).toBe(1);
  });

  it('check mode reports changes and leaves the host as it was', async () => {
    const outcome = await run([file.content({ dest: `${base}/check-only`, content: 'x' })], { check: true });
    expect(outcome.results[0]!.status).toBe('changed');
    expect((await conn.exec(`test -e ${base}/check-only && echo yes || echo no`)).stdout.trim()).toBe('no');
  });

  it('a file that fails validation never replaces the live one, and no temp file is left', async () => {
    await run([file.directory({ path: base }), file.content({ dest: `${base}/v.conf`, content: 'good\n' })]);
    const outcome = await run([file.content({ dest: `${base}/v.conf`, content: 'bad\n', validate: 'grep -q good %s' })]);
    expect(outcome.results[0]).toMatchObject({ status: 'failed' });
    expect(outcome.results[0]!.error).toMatch(/validation failed/);
    expect((await conn.exec(`cat ${base}/v.conf; ls -A ${base} | grep -c scaleup- || true`)).stdout).toBe('good\n0\n');
  });
});
