// `provision inventory`: the hosts as a run sees them, each variable with where it comes from.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { provision } from './cli-harness.ts';

describe('provision inventory', () => {
  const d = mkdtempSync(path.join(tmpdir(), 'scaleup-inventory-cmd-'));
  writeFileSync(path.join(d, 'hosts.yml'), [
    'vars:', '  nginx_port: 8080', '  mysql_app_password: plain-Text-99', 'groups:', '  web:', '    vars:', '      nginx_gzip: false', '    hosts:',
    '      web-01: { address: 10.0.0.21, private_address: 10.1.0.21, vars: { nginx_server_name: www.example.org } }', '',
  ].join('\n'));
  writeFileSync(path.join(d, 'site.yml'), '- hosts: web\n  roles: [nginx]\n');
  writeFileSync(path.join(d, 'scaleup.yml'), 'inventory: hosts.yml\nplaybook: site.yml\n');

  it('--host: each variable with its origin — the inventory line, or the default of a role the host runs', async () => {
    const r = await provision(['inventory', '--host', 'web-01'], { cwd: d });
    expect(r.code).toBe(0);
    const host = JSON.parse(r.stdout);
    expect(host).toMatchObject({ address: '10.0.0.21', private_address: '10.1.0.21', groups: ['web'] });
    expect(host.vars.nginx_port).toEqual({ value: 8080, from: 'hosts.yml:2:15 (vars.nginx_port)' });
    expect(host.vars.nginx_gzip).toEqual({ value: false, from: 'hosts.yml:7:19 (groups.web.vars.nginx_gzip)' });
    // Declared secret by the app and mysql roles: masked although it is plain text here.
    expect(host.vars.mysql_app_password).toEqual({ value: '***', from: 'hosts.yml:3:23 (vars.mysql_app_password)' });
    expect(r.stdout).not.toContain('plain-Text-99');
    expect(host.vars.nginx_server_name.from).toMatch(/^hosts\.yml:9:\d+ \(groups\.web\.hosts\.web-01\.vars\.nginx_server_name\)$/);
    expect(host.vars.nginx_worker_connections).toEqual({ value: 1024, from: 'role nginx default' });
  }, 60_000);

  it('-e: above every other source, typed by the role, its origin the command line; a secret masked', async () => {
    const r = await provision(['inventory', '--host', 'web-01', '-e', 'nginx_port=8081', '-e', 'mysql_app_password=from-The-flag-7'], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    const host = JSON.parse(r.stdout);
    expect(host.vars.nginx_port).toEqual({ value: 8081, from: '(command line) --extra-vars nginx_port' });
    expect(host.vars.mysql_app_password).toEqual({ value: '***', from: '(command line) --extra-vars mysql_app_password' });
    expect(r.stdout).not.toContain('from-The-flag-7');
  }, 60_000);

  it('--graph draws the groups; an unknown host is an error naming the hosts', async () => {
    expect((await provision(['inventory', '--graph'], { cwd: d })).stdout).toBe('@all:\n  |--@web:\n  |  |--web-01\n');
    const bad = await provision(['inventory', '--host', 'web-02'], { cwd: d });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no host 'web-02'; hosts are: web-01/);
  }, 60_000);
});
