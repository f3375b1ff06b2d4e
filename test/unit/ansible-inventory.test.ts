import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandToSend } from '../../src/core/connection/command-line.ts';
import { InventoryError, InventoryErrors } from '../../src/core/errors.ts';
import { expandHostRange } from '../../src/core/host-range.ts';
import { iniValue } from '../../src/core/ini-inventory.ts';
import { hostField, readInventory, withSecrets } from '../../src/core/inventory.ts';
import { Secret } from '../../src/core/secret.ts';
import { errorOf } from './thrown-errors.ts';

const fixture = path.resolve('test/fixtures/ansible-ini');
const badIni = path.resolve('test/fixtures/bad-ini');

/** Writes `files` (relative path → text) into a fresh folder and returns it. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-ansible-inv-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('host ranges', () => {
  it('expands numbers (keeping a zero-padded width), letters, strides and several ranges', () => {
    expect(expandHostRange('web[01:03]')).toEqual(['web01', 'web02', 'web03']);
    expect(expandHostRange('web[8:10].example.com')).toEqual(['web8.example.com', 'web9.example.com', 'web10.example.com']);
    expect(expandHostRange('db-[a:c]')).toEqual(['db-a', 'db-b', 'db-c']);
    expect(expandHostRange('web[01:07:3]')).toEqual(['web01', 'web04', 'web07']);
    expect(expandHostRange('r[1:2]-[a:b]')).toEqual(['r1-a', 'r1-b', 'r2-a', 'r2-b']);
    expect(expandHostRange('plain-host')).toEqual(['plain-host']);
  });

  it('a huge range is an error at its line, not a list built in memory', () => {
    const dir = project({ hosts: '[web]\nweb[0:99999999] ansible_host=10.0.0.1\n' });
    expect(errorOf(() => readInventory(path.join(dir, 'hosts'))).message).toMatch(/hosts:2:4: .*the range gives more than 10000 hosts/);
  });

  it('ranges that each stay under the limit may not add up to more than 10000 hosts in one inventory (the lines after are not read)', () => {
    const lines = Array.from({ length: 3 }, (_, i) => `h${i}-[0000:9999]`);
    const dir = project({ hosts: `[web]\n${lines.join('\n')}\n` });
    const err = errorOf(() => readInventory(path.join(dir, 'hosts')));
    expect(err).toBeInstanceOf(InventoryError);
    expect(err.message).toMatch(/hosts:3:1: .*the inventory defines more than 10000 hosts \(host ranges included\)/);
  }, 60_000);
});

describe('INI values, read as Ansible reads them', () => {
  it('gives numbers, booleans, null, quoted strings, lists and maps; anything else stays a string', () => {
    expect(iniValue('8080')).toBe(8080);
    expect(iniValue('1.5')).toBe(1.5);
    expect(iniValue('True')).toBe(true);
    expect(iniValue('None')).toBe(null);
    expect(iniValue('true')).toBe('true'); // Python's literal is True; Ansible keeps `true` a string
    expect(iniValue('0755')).toBe('0755');
    expect(iniValue('"8080"')).toBe('8080');
    expect(iniValue("['a', 'b']")).toEqual(['a', 'b']);
    expect(iniValue("{'k': 1}")).toEqual({ k: 1 });
    expect(iniValue('two words')).toBe('two words');
  });
});

describe('an Ansible INI inventory with group_vars/ and host_vars/ (test/fixtures/ansible-ini/hosts)', () => {
  const inv = readInventory(path.join(fixture, 'hosts'));
  const host = (name: string) => inv.hosts.get(name)!;

  it('is read as INI without an extension, with its groups, children and ranges', () => {
    expect(inv.format).toBe('ansible');
    expect([...inv.hosts.keys()]).toEqual(['lb-01', 'lb-02', 'web01.example.com', 'web02.example.com', 'web03.example.com', 'app-01']);
    expect(inv.groups.get('backend')).toEqual(['web01.example.com', 'web02.example.com', 'web03.example.com', 'app-01']);
    expect(host('web02.example.com').vars).toMatchObject({ note: 'two words', weight: 3 });
  });

  it("applies Ansible's precedence: inventory all < group_vars/all < inventory groups < group_vars/<group> < inventory host < host_vars", () => {
    expect(host('lb-02').vars.tier).toBe('gv-all'); // group_vars/all over [all:vars]
    expect(host('app-01').vars.tier).toBe('gv-backend'); // group_vars/backend over [backend:vars]
    expect(host('web02.example.com').vars.tier).toBe('host-inline'); // the host line over every group_vars file
    expect(host('web01.example.com').vars.tier).toBe('hv-web01'); // host_vars over the host line
    // Every group_vars file is above every group var of the inventory: backend.yaml's 8081 beats [web:vars] 80.
    expect(host('web02.example.com').vars.listen).toBe(8081);
    expect(host('lb-01').vars.ntp_server).toBe('ntp.example.com');
  });

  it('tells INI from YAML by name and content: *.ini, a [section] first, or a file YAML does not read as a map', () => {
    const dir = project({
      'inventory.yml': '[web]\nweb-01 ansible_host=10.0.0.1\n',
      'hosts': 'web-01 ansible_host=10.0.0.1\n',
      'yaml-hosts': 'all:\n  hosts:\n    web-01: { ansible_host: 10.0.0.1 }\n',
    });
    expect(readInventory(path.join(dir, 'inventory.yml')).groups.get('web')).toEqual(['web-01']);
    expect(readInventory(path.join(dir, 'hosts')).hosts.get('web-01')!.address).toBe('10.0.0.1');
    expect(readInventory(path.join(dir, 'yaml-hosts')).hosts.get('web-01')!.address).toBe('10.0.0.1');
  });

  it('reads a group_vars folder in sorted order, the later file winning', () => {
    const dir = project({
      'hosts.ini': '[web]\nweb-01 ansible_host=10.0.0.1\n',
      'group_vars/web/10-first.yml': 'a: 1\nb: 1\n',
      'group_vars/web/20-second.yaml': 'b: 2\n',
      'group_vars/web.yml': 'c: file\n',
    });
    expect(readInventory(path.join(dir, 'hosts.ini')).hosts.get('web-01')!.vars).toEqual({ a: 1, b: 2, c: 'file' });
  });

  it('takes connection settings from host_vars and ansible_* from any file, out of the variables', () => {
    expect(host('lb-01')).toMatchObject({ address: '10.77.0.11', port: 2201, user: 'admin', become: false });
    expect(host('lb-02')).toMatchObject({ address: '10.77.0.12', port: 22, user: 'deploy', become: true });
    expect(host('app-01')).toMatchObject({ become: true, becomeUser: 'appsvc' });
    expect(host('web03.example.com').proxyJump).toBe('jump@10.77.0.11:22');
    for (const h of inv.hosts.values()) expect(Object.keys(h.vars).filter((k) => k.startsWith('ansible_'))).toEqual([]);
  });

  it('locates every value in the file that set it: INI line, group_vars or host_vars file', () => {
    const at = (field: string) => inv.locate!(field);
    expect(at(hostField('lb-01', 'port'))).toEqual({ file: 'test/fixtures/ansible-ini/host_vars/lb-01.yml', line: 2, column: 15, field: 'ansible_port' });
    expect(at(hostField('lb-01', 'vars', 'ntp_server'))).toEqual({ file: 'test/fixtures/ansible-ini/group_vars/all.yml', line: 2, column: 13, field: 'ntp_server' });
    expect(at(hostField('web02.example.com', 'vars', 'tier'))).toEqual({ file: 'test/fixtures/ansible-ini/hosts', line: 7, column: 29, field: 'web.hosts["web02.example.com"].tier' });
    expect(at(hostField('web02.example.com', 'vars', 'listen'))).toMatchObject({ file: 'test/fixtures/ansible-ini/group_vars/backend.yaml', line: 3 });
    expect(at(hostField('web03.example.com'))).toMatchObject({ file: 'test/fixtures/ansible-ini/hosts', line: 7, column: 1 });
    expect(at(hostField('app-01', 'becomeUser'))).toMatchObject({ line: 31, field: 'app.vars.ansible_become_user' });
    expect(at('groups.web')).toMatchObject({ line: 6, column: 2 });
  });

  it('names, in warnings, a group_vars file for no group and every ignored ansible_* variable or ssh option with its place', () => {
    expect(inv.warnings).toEqual([
      'test/fixtures/ansible-ini/group_vars/nosuch.yml: the inventory has no group nosuch; these variables reach no host',
      'scaleup ignores these Ansible variables, which have no effect here: ' +
        'ansible_ssh_common_args option -o StrictHostKeyChecking=no (test/fixtures/ansible-ini/hosts:27:1), ' +
        'ansible_python_interpreter (test/fixtures/ansible-ini/hosts:10:32)',
    ]);
  });
});

describe('bad INI inventories: each gives its exact message at file:line:column', () => {
  const cases = readdirSync(badIni).filter((f) => f.endsWith('.ini')).sort();
  it.each(cases)('%s', (file) => {
    const expected = readFileSync(path.join(badIni, file.replace(/\.ini$/, '.expected')), 'utf8').trimEnd();
    const err = errorOf(() => readInventory(path.join(badIni, file)));
    expect(err instanceof InventoryError || err instanceof InventoryErrors).toBe(true);
    expect(err.message).toBe(expected);
    expect(err.message).toMatch(new RegExp(`^test/fixtures/bad-ini/${file.replace('.', '\\.')}:\\d+:\\d+: `));
  });
});

describe('errors in group_vars/ and host_vars/ files name that file', () => {
  it('a bad ansible_port in host_vars, a YAML error in group_vars', () => {
    const dir = project({
      'inventory.yml': 'all:\n  hosts:\n    web-01: { ansible_host: 10.0.0.1 }\n',
      'host_vars/web-01.yml': '# the port\nansible_port: 70000\n',
      'group_vars/all.yml': 'ok: 1\nbroken: [1, 2\n',
    });
    const err = errorOf(() => readInventory(path.join(dir, 'inventory.yml')));
    const lines = err.message.split('\n');
    expect(lines.some((l) => /^\/.*\/group_vars\/all\.yml:\d+:\d+: YAML syntax error/.test(l))).toBe(true);
    const dir2 = project({
      'inventory.yml': 'all:\n  hosts:\n    web-01: { ansible_host: 10.0.0.1 }\n',
      'host_vars/web-01.yml': '# the port\nansible_port: 70000\n',
    });
    expect(errorOf(() => readInventory(path.join(dir2, 'inventory.yml'))).message)
      .toBe(`${path.join(dir2, 'host_vars/web-01.yml')}:2:15: ansible_port: port 70000 is out of range (1 to 65535)`);
  });

  it('a scaleup-format inventory takes variables from group_vars/, and refuses ansible_* there', () => {
    const native = 'groups:\n  web:\n    hosts:\n      web-01: { address: 10.0.0.1 }\n';
    const dir = project({ 'inventory.yml': native, 'group_vars/web.yml': 'listen: 80\n', 'host_vars/web-01.yml': 'listen: 81\n' });
    expect(readInventory(path.join(dir, 'inventory.yml')).hosts.get('web-01')!.vars.listen).toBe(81);
    const bad = project({ 'inventory.yml': native, 'group_vars/web.yml': 'ansible_user: deploy\n' });
    expect(errorOf(() => readInventory(path.join(bad, 'inventory.yml'))).message)
      .toMatch(/group_vars\/web\.yml:1:1: ansible_user: ansible_user has no effect with a scaleup-format inventory/);
  });
});

describe('symbolic links in group_vars/ and host_vars/', () => {
  const ini = '[web]\nweb-01 ansible_host=10.0.0.1\n[app]\napp-01 ansible_host=10.0.0.2\n';

  it('a link to a file outside the inventory\'s folder is an error at the link, and the file is not read', () => {
    const outside = project({ 'credentials': 'aws_secret_access_key = not-for-the-inventory\n' });
    const dir = project({ hosts: ini });
    mkdirSync(path.join(dir, 'group_vars'));
    symlinkSync(path.join(outside, 'credentials'), path.join(dir, 'group_vars/all.yml'));
    const message = errorOf(() => readInventory(path.join(dir, 'hosts'))).message;
    expect(message).toMatch(/group_vars\/all\.yml: a symbolic link to \/.*\/credentials, outside the inventory's folder/);
    expect(message).not.toContain('not-for-the-inventory');
  });

  it('a folder link back up the tree is an error, not a walk that repeats until the path is too long', () => {
    const dir = project({ hosts: ini, 'group_vars/web/main.yml': 'listen: 80\n' });
    symlinkSync('..', path.join(dir, 'group_vars/web/loop'));
    expect(errorOf(() => readInventory(path.join(dir, 'hosts'))).message).toMatch(/group_vars\/web\/loop: a symbolic link to the folder .*group_vars, which holds the link \(a loop\)/);
  });

  it('links that stay inside the folder are followed, two names may share one folder', () => {
    const dir = project({ hosts: ini, 'shared/backend/main.yml': 'listen: 80\n' });
    mkdirSync(path.join(dir, 'group_vars'));
    symlinkSync('../shared/backend', path.join(dir, 'group_vars/web'));
    symlinkSync(path.join(dir, 'shared/backend'), path.join(dir, 'group_vars/app'));
    const inv = readInventory(path.join(dir, 'hosts'));
    expect(inv.hosts.get('web-01')!.vars.listen).toBe(80);
    expect(inv.hosts.get('app-01')!.vars.listen).toBe(80);
  });
});

describe('ssh arguments, become and the become password', () => {
  const inventoryWith = (vars: string) => {
    const dir = project({ hosts: `[web]\nweb-01 ansible_host=10.0.0.1 ansible_user=deploy\n\n[web:vars]\n${vars}\n` });
    return readInventory(path.join(dir, 'hosts'));
  };

  it('takes the jump host from -J, -o ProxyJump and ssh -W ProxyCommand, in common or extra args', () => {
    expect(inventoryWith('ansible_ssh_common_args=-J admin@10.0.0.9:2222').hosts.get('web-01')!.proxyJump).toBe('admin@10.0.0.9:2222');
    expect(inventoryWith('ansible_ssh_extra_args=-oProxyJump=10.0.0.9').hosts.get('web-01')!.proxyJump).toBe('10.0.0.9');
    const viaCommand = inventoryWith(`ansible_ssh_common_args='-o ProxyCommand="ssh -W %h:%p -q -p 2200 jump@bastion.example.com"'`);
    expect(viaCommand.hosts.get('web-01')!.proxyJump).toBe('jump@bastion.example.com:2200');
    expect(viaCommand.warnings).toBeUndefined();
  });

  it('refuses every other ProxyCommand at its line (it would run a local command, or connect straight past the proxy)', () => {
    for (const command of ['nc -X connect -x proxy:3128 %h %p', 'ssh -W %h:%p -o ProxyCommand=touch\\ /tmp/x jump', 'sh -c \\"ssh -W %h:%p jump\\"']) {
      const message = errorOf(() => inventoryWith(`ansible_ssh_common_args='-o ProxyCommand="${command}"'`)).message;
      expect(message).toMatch(/hosts:5:25: .*ansible_ssh_common_args: -o ProxyCommand is not supported .*use -o ProxyJump=/);
    }
    expect(inventoryWith(`ansible_ssh_common_args='-o ProxyCommand=none'`).hosts.get('web-01')!.proxyJump).toBeUndefined();
  });

  it('sends become through sudo -u for a become_user, and not at all when already that user', () => {
    const inv = inventoryWith('ansible_become=true\nansible_become_user=app');
    const h = inv.hosts.get('web-01')!;
    expect(commandToSend(h, 'id -un').line).toBe("sudo -n -H -u app -- sh -c 'id -un'");
    expect(commandToSend({ ...h, becomeUser: undefined }, 'id -un').line).toBe("sudo -n -H -- sh -c 'id -un'");
    expect(commandToSend({ ...h, user: 'app' }, 'id -un').line).toBe("exec sh -c 'id -un'");
  });

  it('ansible_become_password from the secrets file is the become password (and stays a Secret)', () => {
    const inv = withSecrets(inventoryWith('ansible_become=true'), { ansible_become_password: 'pw' });
    const h = inv.hosts.get('web-01')!;
    expect(h.vars.become_password).toBeInstanceOf(Secret);
    expect(commandToSend(h, 'true').sudo?.password).toBe('pw');
    expect(inv.locate!(hostField('web-01', 'vars', 'become_password'))).toMatchObject({ field: 'ansible_become_password' });
  });
});
