// The lab itself, driven only through the CLI and the OpenSSH client (not the engine): hosts are isolated
// from each other, reachable as root and deploy, install from the local repo, reset cleanly, and
// `lab down` leaves nothing behind. Runs against the lab the global setup started.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { LabStatus } from '../../src/lab/status.ts';
import { LAB_SUITE_HOSTS, PROJECT_ROOT, labLeftovers, provision } from './global-setup.ts';

const KEY = join(PROJECT_ROOT, '.lab/id_ed25519');
const KNOWN_HOSTS = join(PROJECT_ROOT, '.lab/known_hosts');

function status(): { code: number | null; json: LabStatus } {
  const res = provision(['lab', 'status', '--json']);
  return { code: res.status, json: JSON.parse(res.stdout) as LabStatus };
}

const addresses = new Map(status().json.hosts.map((h) => [h.name, h.address]));
const addr = (name: string) => addresses.get(name) ?? `unknown host ${name}`;

/** Runs a shell command on a lab host with the OpenSSH client, verifying the host key strictly. */
function ssh(host: string, command: string, user = 'root') {
  const res = spawnSync(
    'ssh',
    [
      '-F', '/dev/null',
      '-i', KEY,
      '-o', `UserKnownHostsFile=${KNOWN_HOSTS}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=5',
      `${user}@${addr(host)}`,
      command,
    ],
    { encoding: 'utf8', timeout: 240_000 },
  );
  return { code: res.status, stdout: res.stdout.trim(), stderr: res.stderr.trim() };
}

function sshOk(host: string, command: string, user = 'root'): string {
  const res = ssh(host, command, user);
  expect(res.code, `${user}@${host}: ${command}\n${res.stderr}`).toBe(0);
  return res.stdout;
}

/** Whether a PID runs (a zombie waiting for this machine's PID 1 to reap it does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

describe('lab', () => {
  // This suite resets hosts and restarts the lab: leave the stack converged for the suites after it.
  afterAll(() => {
    const r = provision(['apply', '-i', 'inventory/lab.yml', '--yes']);
    if (r.status !== 0) throw new Error(`re-converging the stack after the lab suite failed:\n${r.stdout}\n${r.stderr}`);
  }, 300_000);

  test('status --json lists the suite\'s eight hosts, up, with the key, known_hosts and inventory', () => {
    const { code, json } = status();
    expect(code).toBe(0);
    expect(json.hosts.map((h) => [h.name, h.address, h.up])).toEqual([
      ['lb-01', '10.77.0.11', true],
      ['lb-02', '10.77.0.12', true],
      ['web-01', '10.77.0.21', true],
      ['web-02', '10.77.0.22', true],
      ['app-01', '10.77.0.31', true],
      ['app-02', '10.77.0.32', true],
      ['db-01', '10.77.0.41', true],
      ['db-02', '10.77.0.42', true],
    ]);
    expect(json.vip).toBe('10.77.0.100');
    expect(json.sshKey).toBe(KEY);
    expect(json.knownHosts).toBe(KNOWN_HOSTS);
    // Not the default five: the lab writes an inventory of exactly these hosts.
    expect(json.inventory).toBe(join(PROJECT_ROOT, '.lab/inventory.yml'));
    const known = readFileSync(KNOWN_HOSTS, 'utf8');
    for (const h of json.hosts) expect(known).toMatch(new RegExp(`^${h.address.replaceAll('.', '\\.')} ssh-ed25519 AAAA`, 'm'));
  });

  test('root and deploy log in with the lab key; deploy has passwordless sudo', () => {
    expect(sshOk('app-01', 'id -un')).toBe('root');
    expect(sshOk('app-01', 'id -un', 'deploy')).toBe('deploy');
    expect(sshOk('app-01', 'sudo -n true && sudo -n id -un', 'deploy')).toBe('root');
  });

  test('each host has its own name and no default route', () => {
    for (const [name, address] of addresses) {
      const out = sshOk(name, 'hostname; ip -4 route show; echo --; ip -6 route show');
      const [hostname, ...routes] = out.split('\n').map((l) => l.trim());
      expect(hostname).toBe(name);
      expect(routes.filter((r) => r.startsWith('default'))).toEqual([]);
      expect(routes).toContain(`10.77.0.0/24 dev eth0 proto kernel scope link src ${address}`);
    }
  });

  test('a process killed on one host keeps running on another', () => {
    const start = 'nohup sleep 4711 >/dev/null 2>&1 </dev/null & echo $!';
    const pidA = sshOk('lb-01', start);
    const pidB = sshOk('lb-02', start);
    try {
      // Each host sees only its own process tree.
      expect(sshOk('lb-01', 'ps -eo args | grep -c "^sleep 4711$" || true')).toBe('1');
      sshOk('lb-01', `kill ${pidA}; while kill -0 ${pidA} 2>/dev/null; do sleep 0.1; done`);
      expect(sshOk('lb-01', 'ps -eo args | grep -c "^sleep 4711$" || true')).toBe('0');
      expect(ssh('lb-02', `kill -0 ${pidB}`).code).toBe(0);
      expect(sshOk('lb-02', `ps -o args= -p ${pidB}`)).toBe('sleep 4711');
    } finally {
      ssh('lb-02', `kill ${pidB}`);
      ssh('lb-01', `kill ${pidA} 2>/dev/null || true`);
    }
  });

  test('apt installs a package from the local repository (no network)', () => {
    // Other suites share the lab; start from a pristine db-01.
    expect(provision(['lab', 'reset', 'db-01']).status).toBe(0);
    expect(sshOk('db-01', 'cat /etc/apt/sources.list.d/*; ls /etc/apt/sources.list 2>/dev/null || true')).toBe(
      'deb [trusted=yes] file:/srv/labrepo ./',
    );
    expect(ssh('db-01', 'command -v nft').code).not.toBe(0);
    sshOk('db-01', 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables');
    expect(sshOk('db-01', 'nft --version')).toMatch(/^nftables v1\./);
    // The install went to db-01's own upper layer; the base rootfs every host shares is untouched.
    const { lowerDir } = JSON.parse(readFileSync('/run/scaleup-lab/state.json', 'utf8')) as { lowerDir: string };
    expect(existsSync(join(lowerDir, 'usr/sbin/nft'))).toBe(false);
  });

  test('reset gives a host a pristine rootfs with the same address and host key', () => {
    sshOk('web-01', 'echo dirty > /root/marker && ip addr add 10.77.0.100/24 dev eth0');
    // (Other suites may leave the stack's keepalived holding the VIP on an lb: look at web-01 itself.)
    expect(sshOk('web-01', "ip -4 -o addr show dev eth0 | grep -c ' 10.77.0.100/'")).toBe('1');
    const res = provision(['lab', 'reset', 'web-01']);
    expect(res.status, res.stderr).toBe(0);
    // StrictHostKeyChecking=yes against the unchanged known_hosts: the host key survived the reset.
    expect(sshOk('web-01', 'test -e /root/marker && echo dirty || echo clean')).toBe('clean');
    expect(sshOk('web-01', 'ip -4 -o addr show dev eth0 | wc -l')).toBe('1');
    const after = status();
    expect(after.code).toBe(0);
    expect(after.json.vipHolder).not.toBe('web-01');
    expect(after.json.hosts.find((h) => h.name === 'web-01')).toMatchObject({ address: '10.77.0.21', up: true });
  });

  test('down leaves no namespace, mount or process behind, twice over; up brings the lab back', () => {
    const state = JSON.parse(readFileSync('/run/scaleup-lab/state.json', 'utf8')) as {
      hosts: { process: { stopTarget: { pid: number } } }[];
    };
    const pids = state.hosts.map((h) => h.process.stopTarget.pid);
    const init = status().json.hosts[0]!.init;
    expect(labLeftovers()).not.toEqual([]);

    const down = provision(['lab', 'down']);
    expect(down.status, down.stderr).toBe(0);
    expect(labLeftovers()).toEqual([]);
    for (const pid of pids) expect(running(pid), `pid ${pid}`).toBe(false);
    expect(status().code).not.toBe(0);
    expect(provision(['lab', 'down']).status).toBe(0);
    expect(labLeftovers()).toEqual([]);

    const up = provision(['lab', 'up', '--init', init, '--hosts', LAB_SUITE_HOSTS]);
    expect(up.status, up.stderr).toBe(0);
    expect(status().code).toBe(0);
    expect(sshOk('lb-01', 'hostname')).toBe('lb-01');
  });
});
