// The command line's part of a run: -e variables (typed by the roles' declarations), -u/--private-key/-b
// over the inventory, --limit @FILE, --start-at-role; and the retry file a failed run leaves.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import nginxRole from '../../roles/nginx/index.ts';
import type { Role } from '../../src/core/role.ts';
import { expandLimit, extraVars, overriddenHost, startAtRole } from '../../src/cli/run-overrides.ts';
import type { Play } from '../../src/core/playbook.ts';
import { localHost } from '../support/local-role.ts';
import { provision } from './cli-harness.ts';

const nginx = nginxRole as unknown as Role;
const dir = () => mkdtempSync(path.join(tmpdir(), 'scaleup-overrides-'));

describe('-e / --extra-vars', () => {
  it('KEY=VALUE is typed by the declaring role: a port is a number, text stays text, a later one wins', () => {
    expect(extraVars(['nginx_port=8080', 'nginx_server_name=8080', 'nginx_gzip=false', 'other=3', 'other=x y'], [nginx])).toEqual({
      nginx_port: 8080, nginx_server_name: '8080', nginx_gzip: false, other: 'x y',
    });
  });

  it('@FILE.yml is a map of variables; bad input names the flag or the file\'s line', () => {
    const d = dir();
    writeFileSync(path.join(d, 'extra.yml'), 'nginx_port: 8081\nnginx_worker_processes: auto\n');
    expect(extraVars(['@extra.yml', 'nginx_port=8082'], [nginx], d)).toEqual({ nginx_port: 8082, nginx_worker_processes: 'auto' });
    expect(() => extraVars(['=1'], [nginx])).toThrow(/'=1' is not KEY=VALUE or @FILE/);
    writeFileSync(path.join(d, 'list.yml'), '- a\n');
    expect(() => extraVars(['@list.yml'], [nginx], d)).toThrow(/list\.yml.*expected a map of variables/);
  });
});

describe('connection overrides', () => {
  it('-u, --private-key and -b replace the inventory\'s; become means nothing for root', () => {
    const host = { ...localHost, user: 'deploy', become: false, vars: { a: 1 } };
    expect(overriddenHost(host, { b: 2 }, { user: 'admin', privateKey: 'k', become: true }, '/p')).toMatchObject({
      user: 'admin', privateKey: '/p/k', become: true, vars: { a: 1, b: 2 },
    });
    expect(overriddenHost(host, {}, { user: 'root', become: true }).become).toBe(false);
    expect(overriddenHost(host, {}, {})).toMatchObject({ user: 'deploy', become: false });
  });
});

describe('--limit @FILE and --start-at-role', () => {
  it('a retry file\'s hosts stand in for @FILE', () => {
    const d = dir();
    writeFileSync(path.join(d, 'site.retry'), 'web-01\n\napp-02\n');
    expect(expandLimit(['@site.retry', 'db'], d)).toEqual(['web-01', 'app-02', 'db']);
    expect(() => expandLimit(['@missing.retry'], d)).toThrow(/cannot read .*missing\.retry/);
  });

  it('resumes at the first play that runs the role, skipping the roles before it', () => {
    const play = (name: string, roles: string[]) => ({ name, hosts: name, roles, location: { file: 'p' } }) as Play;
    const plays = [play('db', ['mysql']), play('lb', ['haproxy', 'keepalived']), play('web', ['nginx'])];
    expect(startAtRole(plays, 'keepalived').map((p) => [p.name, p.roles])).toEqual([['lb', ['keepalived']], ['web', ['nginx']]]);
    expect(() => startAtRole(plays, 'app')).toThrow(/role 'app' is not in the playbook; its roles are: mysql, haproxy, keepalived, nginx/);
  });
});

describe('a run with an unreachable host', () => {
  it('writes the retry file, prints how to use it, and --limit @FILE runs just that host; -e shows in --json', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'scaleup.yml'), 'inventory: hosts.yml\nplaybook: site.yml\nssh_persist: 0\nconnect_timeout: 1\n');
    // Port 9 on loopback refuses at once: unreachable without waiting.
    writeFileSync(path.join(d, 'hosts.yml'), 'connection: { private_key: id_none }\ngroups:\n  web:\n    hosts:\n      web-01: { address: 127.0.0.1, port: 9 }\n      web-02: { address: 127.0.0.2, port: 9 }\n');
    writeFileSync(path.join(d, 'id_none'), '', { mode: 0o600 });
    writeFileSync(path.join(d, 'site.yml'), '- hosts: web\n  roles: [motd]\n');
    mkdirSync(path.join(d, 'roles', 'motd'), { recursive: true });
    writeFileSync(path.join(d, 'roles', 'motd', 'index.ts'), "import { defineRole, file, vars, z } from 'scaleup';\n" +
      "export default defineRole({ name: 'motd', description: 'x', variables: z.object({ motd_lines: vars.count(1, 'lines') }),\n" +
      "  steps: (v) => [file.content({ dest: '/tmp/motd', content: 'x'.repeat(v.motd_lines) })] });\n");
    const first = await provision(['apply', '--yes', '--limit', 'web-01', '-e', 'motd_lines=3', '--json', 'out.json'], { cwd: d });
    expect(first.code).toBe(4);
    expect(first.stdout).toMatch(/retry the failed hosts: provision apply --limit @\.scaleup\/site\.retry/);
    expect(readFileSync(path.join(d, '.scaleup', 'site.retry'), 'utf8')).toBe('web-01\n');
    expect(JSON.parse(readFileSync(path.join(d, 'out.json'), 'utf8')).extraVars).toEqual({ motd_lines: 3 });
    const again = await provision(['apply', '--yes', '--limit', '@.scaleup/site.retry', '--json', 'again.json'], { cwd: d });
    expect(Object.keys(JSON.parse(readFileSync(path.join(d, 'again.json'), 'utf8')).hosts)).toEqual(['web-01']);
    // --list-hosts / --list-tags: what the run covers, with no secret opened and no host contacted.
    writeFileSync(path.join(d, 'hosts.yml'), `secrets: absent.secrets.age\n${readFileSync(path.join(d, 'hosts.yml'), 'utf8')}`);
    const listed = await provision(['apply', '--list-hosts', '--list-tags', '--limit', '@.scaleup/site.retry'], { cwd: d });
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toBe('play #1 (web): web\n  hosts (1):\n    web-01\n  tags: motd\n');
    expect(listed.code).toBe(0);
    // An unknown tag is an error naming the known ones, before anything connects (it used to run nothing, exit 0).
    for (const flag of ['--tags', '--skip-tags']) {
      const tagged = await provision(['apply', '--yes', flag, 'mtod'], { cwd: d });
      expect(tagged.code).toBe(1);
      expect(tagged.stderr).toMatch(/unknown tag 'mtod' \(did you mean motd\?\); tags are: motd/);
    }
  }, 60_000);
});
