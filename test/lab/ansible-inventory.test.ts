// An Ansible project moved as it is: an INI inventory with group_vars/ and host_vars/ beside it, on the
// real lab. A group_vars variable reaches a host's files, host_vars connection settings take effect, a
// ProxyJump in ansible_ssh_common_args really goes through the jump host (also through the connection
// keeper), and ansible_become_user runs commands as that user.
// Leaves the lab as it found it: the become user it creates is removed.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../../src/core/connection/ssh.ts';
import { readInventory } from '../../src/core/inventory.ts';
import type { Host } from '../../src/core/model.ts';
import { labKey, labKnownHosts } from './lab-paths.ts';
import { LAB_ADDRESSES, onHost, provision } from './support.ts';

const BECOME_USER = 'scaleupbecome';
const CONTACT = 'ops-from-group-vars@example.com';
let dir: string;
let inventory: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'scaleup-ansible-lab-'));
  inventory = path.join(dir, 'hosts');
  // The same pinned host keys as the lab's: the target's and the jump host's are both verified there.
  copyFileSync(labKnownHosts, path.join(dir, 'known_hosts'));
  writeFileSync(inventory, [
    '# The lab, as an Ansible project would describe it',
    '[lb]',
    `lb-01 ansible_host=${LAB_ADDRESSES['lb-01']}`,
    '',
    '[web]',
    `web-01 ansible_host=${LAB_ADDRESSES['web-01']}`,
    '',
    '[app]',
    `app-01 ansible_host=${LAB_ADDRESSES['app-01']}`,
    '',
    '[db]',
    `db-01 ansible_host=${LAB_ADDRESSES['db-01']}`,
    '',
    '[all:vars]',
    'ansible_user=deploy',
    'ansible_become=true',
    `ansible_ssh_private_key_file=${labKey}`,
    '',
    '[web:vars]',
    `ansible_ssh_common_args='-o ProxyJump=deploy@${LAB_ADDRESSES['lb-01']}'`,
    '',
  ].join('\n'));
  mkdirSync(path.join(dir, 'group_vars'));
  mkdirSync(path.join(dir, 'host_vars'));
  writeFileSync(path.join(dir, 'group_vars', 'web.yml'), `baseline_motd_contact: ${CONTACT}\n`);
  writeFileSync(path.join(dir, 'host_vars', 'app-01.yml'), `ansible_become_user: ${BECOME_USER}\n`);
  // A port nothing listens on: the connection must fail there, or host_vars had no effect.
  writeFileSync(path.join(dir, 'host_vars', 'db-01.yml'), 'ansible_port: 2222\n');
  writeFileSync(path.join(dir, 'host_vars', 'lb-01.yml'), 'ansible_user: root\n');
  await onHost('app-01', `id ${BECOME_USER} >/dev/null 2>&1 || useradd --create-home --shell /bin/sh ${BECOME_USER}`);
}, 120_000);

afterAll(async () => {
  await onHost('app-01', `userdel --remove ${BECOME_USER} 2>/dev/null; true`);
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

async function connect(name: string): Promise<SshConnection> {
  const host: Host = readInventory(inventory).hosts.get(name)!;
  return SshConnection.open(host, { knownHostsFile: path.join(dir, 'known_hosts'), acceptNewHostKeys: false, connectAttempts: 1 });
}

async function runOn(name: string, command: string, become?: boolean): Promise<string> {
  const conn = await connect(name);
  try {
    const r = await conn.exec(command, become === undefined ? {} : { become });
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout.trim();
  } finally {
    await conn.close();
  }
}

describe('an Ansible INI inventory with group_vars/ and host_vars/ on the lab', () => {
  it('provision inventory --host shows where each value comes from: the group_vars file, the INI line', async () => {
    const r = await provision(['inventory', '-i', inventory, '--host', 'web-01']);
    expect(r.code, r.stderr).toBe(0);
    const shown = JSON.parse(r.stdout) as { proxy_jump: string; vars: Record<string, { value: unknown; from: string }>; connection_from: Record<string, string> };
    expect(shown.proxy_jump).toBe(`deploy@${LAB_ADDRESSES['lb-01']}`);
    expect(shown.vars.baseline_motd_contact).toEqual({ value: CONTACT, from: `${path.join(dir, 'group_vars', 'web.yml')}:1:24 (baseline_motd_contact)` });
    expect(shown.connection_from.proxy_jump).toBe(`${inventory}:20:25 (web.vars.ansible_ssh_common_args)`);
  });

  it('a group_vars variable reaches the host: the login banner apply --check --diff would write names the contact', async () => {
    const r = await provision(['apply', '-i', inventory, '-p', 'playbooks/baseline.yml', '--limit', 'web-01', '--check', '--diff', '--ssh-persist', '0']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(CONTACT);
  }, 300_000);

  it('ansible_user from host_vars takes effect (root on lb-01 where [all:vars] says deploy)', async () => {
    expect(await runOn('lb-01', 'id -un', false)).toBe('root');
    expect(await runOn('web-01', 'id -un', false)).toBe('deploy');
  });

  it('ansible_port from host_vars takes effect: db-01 is tried on port 2222, where nothing listens', async () => {
    const r = await provision(['facts', '-i', inventory, '--limit', 'db-01', '--ssh-persist', '0']);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain(`${LAB_ADDRESSES['db-01']}:2222`);
  }, 120_000);

  it('ProxyJump: web-01 sees its SSH client at lb-01, not at the control machine', async () => {
    const [client] = (await runOn('web-01', 'echo "$SSH_CONNECTION"', false)).split(' ');
    expect(client).toBe(LAB_ADDRESSES['lb-01']);
    const [direct] = (await runOn('lb-01', 'echo "$SSH_CONNECTION"', false)).split(' ');
    expect(direct).not.toBe(LAB_ADDRESSES['lb-01']);
  });

  it('ProxyJump through the connection keeper: the kept connection to web-01 comes from lb-01', async () => {
    const r = await provision(['facts', '-i', inventory, '--limit', 'web-01', '--ssh-persist', '30']);
    expect(r.code, r.stderr).toBe(0);
    // The keeper holds the connection open after the run: web-01's sshd has a client at lb-01.
    const peers = await onHost('web-01', "ss -tnH state established '( sport = :22 )'");
    expect(peers.stdout).toContain(`${LAB_ADDRESSES['lb-01']}:`);
  }, 120_000);

  it('-vvv names the inventory\'s jump host in the connection line, direct and kept', async () => {
    const jump = `via deploy@${LAB_ADDRESSES['lb-01']}`;
    for (const persist of ['0', '30']) {
      const r = await provision(['apply', '-i', inventory, '-p', 'playbooks/baseline.yml', '--limit', 'web-01', '--check', '-vvv', '--ssh-persist', persist]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`connect: web-01 \\| .*${jump.replace(/\./g, '\\.')}`));
    }
  }, 300_000);

  it('ansible_become_user runs commands as that user through sudo -u', async () => {
    expect(await runOn('app-01', 'id -un')).toBe(BECOME_USER);
    expect(await runOn('app-01', 'id -un', false)).toBe('deploy');
  });
});
