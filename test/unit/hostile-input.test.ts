// Hostile input (issue 7): names and values carrying shell metacharacters, quotes, newlines, `$(…)` and
// backticks. Each is refused with a clear InventoryError (file:line:column, the field, no stack trace)
// before any connection, or quoted so that a real shell receives exactly what was written — and the
// canary those strings try to create never appears. Fixtures: test/fixtures/hostile/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import app from '../../roles/app/index.ts';
import haproxy from '../../roles/haproxy/index.ts';
import { loadProject } from '../../src/cli/project.ts';
import { InventoryError, InventoryErrors, type ScaleupError } from '../../src/core/errors.ts';
import { readInventory } from '../../src/core/inventory.ts';
import { loadPlaybook } from '../../src/core/playbook.ts';
import { listRoles } from './builtin-roles.ts';
import { resolveSettings } from '../../src/cli/settings.ts';
import { command, file, sysctl } from '../../src/core/steps/index.ts';
import { runLocal, statuses } from '../support/local-role.ts';
import { labInventory, roleOn, written } from './roles-fixtures.ts';
import { asyncErrorOf, errorOf } from './thrown-errors.ts';
import { budget } from './budgets.ts';

const dir = 'test/fixtures/hostile';
const CANARY = '/tmp/scaleup-canary';
/** What every hostile string in this file tries to do. */
const RUN_CANARY = `$(touch ${CANARY})`;
const TICK_CANARY = `\`touch ${CANARY}\``;

/** A clear error: every line names the file (and a line when it has one), no stack, no raw control character. */
function expectClear(err: ScaleupError, file: string): void {
  expect(err instanceof InventoryError || err instanceof InventoryErrors).toBe(true);
  for (const line of err.message.split('\n')) {
    expect(line.startsWith(file)).toBe(true);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(line).not.toMatch(/^\s+at /);
  }
}

beforeAll(() => rmSync(CANARY, { force: true }));
afterAll(() => {
  // Nothing below may ever have run a hostile string.
  expect(existsSync(CANARY)).toBe(false);
});

describe('hostile names and values in inventories and playbooks are refused before any connection', () => {
  const expected: Record<string, RegExp> = {
    'inventory-address-backticks.yml': /:4:26: groups\.web\.hosts\.web-01\.address: "`touch \/tmp\/scaleup-canary`" is not an IPv4\/IPv6 address or a DNS name$/,
    'inventory-address-newline.yml': /:4:26: groups\.web\.hosts\.web-01\.address: "10\.77\.0\.21\\ntouch \/tmp\/scaleup-canary" is not an IPv4/,
    'inventory-ansible-group-subshell.yml': /:3:5: all\.children\["web\$\(touch \/tmp\/scaleup-canary\)"\]: invalid group name/,
    'inventory-group-backticks.yml': /:2:3: groups\["`touch \/tmp\/scaleup-canary`"\]: invalid group name/,
    'inventory-group-newline.yml': /:2:3: groups\["web\\ntouch \/tmp\/scaleup-canary"\]: invalid group name/,
    'inventory-group-quote.yml': /:2:3: groups\["web'; touch \/tmp\/scaleup-canary; echo '"\]: invalid group name/,
    'inventory-group-subshell.yml': /:2:3: groups\["web\$\(touch \/tmp\/scaleup-canary\)"\]: invalid group name/,
    'inventory-host-dollar-brace.yml': /:4:7: groups\.web\.hosts\["web-\$\{IFS\}touch\$\{IFS\}\/tmp\/scaleup-canary"\]: invalid host name/,
    'inventory-known-hosts-newline.yml': /:2:16: connection\.known_hosts: a file path may not contain control characters$/,
    'inventory-port-shell.yml': /:4:44: groups\.web\.hosts\.web-01\.port: expected a port number from 1 to 65535, got a string$/,
    'inventory-user-subshell.yml': /:2:9: connection\.user: invalid user name/,
    'inventory-var-name-subshell.yml': /:4:7: groups\.web\.vars\["x\$\(touch \/tmp\/scaleup-canary\)"\]: invalid variable name/,
  };
  const inventories = readdirSync(dir).filter((f) => f.startsWith('inventory-')).sort();

  it('covers every inventory fixture', () => {
    expect(inventories).toEqual(Object.keys(expected).sort());
  });

  it.each(inventories)('%s', (name) => {
    const err = errorOf(() => readInventory(path.join(dir, name)));
    expectClear(err, `${dir}/${name}:`);
    expect(err.message).toMatch(expected[name]!);
  });

  const playbooks: Record<string, RegExp> = {
    'playbook-hosts-backticks.yml': /:2:10: \[0\]\.hosts: unknown host or group "`touch \/tmp\/scaleup-canary`"/,
    'playbook-hosts-subshell.yml': /:2:10: \[0\]\.hosts: unknown host or group "web;\$\(touch \/tmp\/scaleup-canary\)"/,
    'playbook-role-subshell.yml': /:3:11: \[0\]\.roles\[0\]: unknown role "nginx\$\(touch \/tmp\/scaleup-canary\)"/,
    'playbook-serial-shell.yml': /:3:11: \[0\]\.serial: expected a host count/,
  };

  it.each(Object.keys(playbooks))('%s', (name) => {
    const inventory = readInventory(path.join(dir, 'stack.yml'));
    const err = errorOf(() => loadPlaybook(path.join(dir, name), inventory, listRoles()));
    expectClear(err, `${dir}/${name}:`);
    expect(err.message).toMatch(playbooks[name]!);
  });

  it('a --limit pattern with shell syntax is an unknown host, not a command', async () => {
    const err = await asyncErrorOf(loadProject({
      settings: resolveSettings({ inventory: path.join(dir, 'stack.yml'), playbook: 'playbooks/site.yml' }), acceptNewHostKeys: false, limit: [`web-01;${RUN_CANARY}`],
    }));
    expect(err.message).toMatch(/unknown host or group "web-01;\$\(touch \/tmp\/scaleup-canary\)"/);
  });
});

describe('hostile variable values', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'scaleup-hostile-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** stack.yml with `vars` set at the top (all hosts), written beside the other temp files. */
  function stackWith(name: string, vars: Record<string, unknown>): string {
    const doc = parseDocument(readFileSync(path.join(dir, 'stack.yml'), 'utf8'));
    for (const [k, v] of Object.entries(vars)) doc.setIn(['vars', k], v);
    const out = path.join(tmp, `${name}.yml`);
    writeFileSync(out, doc.toString());
    return out;
  }

  const project = (inventory: string) => loadProject({ settings: resolveSettings({ inventory, playbook: 'playbooks/site.yml' }), acceptNewHostKeys: false });

  it('a line break in a variable printed into a config line is refused, naming the variable and its line', async () => {
    const file = path.join(dir, 'vars-newline.yml');
    const err = await asyncErrorOf(project(file));
    expectClear(err, file);
    expect(err.message).toBe(`${file}:10:24: groups.lb.vars.haproxy_balance: role haproxy variable 'haproxy_balance' ` +
      'may not contain a line break or other control character (it is written into a config file line)');
  });

  // Variables that reach a path, a command, an identifier or a directive: refused by their role.
  const refused: [string, unknown, RegExp][] = [
    ['app_name', `counter${RUN_CANARY}`, /app_name '.*' must match/],
    ['app_user', `counter${TICK_CANARY}`, /app_user '.*' must match/],
    ['nginx_document_root', `/var/www/${RUN_CANARY}`, /nginx_document_root '.*' must be an absolute path without spaces or quotes/],
    ['nginx_server_name', `example.org; include /etc/shadow`, /nginx_server_name '.*' may not contain ; \{ \} quotes \$ # or \\/],
    ['nginx_static_expires', `7d ${RUN_CANARY}`, /nginx_static_expires '.*' may not contain/],
    ['haproxy_stats_user', `admin'${RUN_CANARY}`, /haproxy_stats_user '.*' must be letters, digits, \. _ or -/],
    ['haproxy_timeout_client', `30s ${TICK_CANARY}`, /haproxy_timeout_client '.*' is not an HAProxy time/],
    ['mysql_app_user', `app'@'%' ${RUN_CANARY}`, /mysql_app_user '.*' must be 1–32 letters, digits or _/],
    ['mysql_app_database', `scaleup\`; DROP DATABASE mysql; --`, /mysql_app_database '.*' must be 1–64 letters, digits or _/],
    ['keepalived_interface', `eth0 } ${RUN_CANARY}`, /keepalived_interface '.*' is not an interface name/],
    ['vip', `10.77.0.100${RUN_CANARY}`, /variable 'vip' must be an IPv4 address/],
    ['haproxy_maxconn', `4096 ${RUN_CANARY}`, /role haproxy variable 'haproxy_maxconn' expected a number, got a string/],
    ['mysql_character_set', `utf8mb4\n[mysqld]\ninit-file=/tmp/evil.sql`, /role mysql variable 'mysql_character_set' may not contain a line break/],
    ['app_node_env', `production\nNODE_OPTIONS=--require=/tmp/evil.js`, /role app variable 'app_node_env' may not contain a line break/],
  ];

  it.each(refused)('%s = %j is refused before any connection', async (key, value, message) => {
    const file = stackWith(`refused-${key}`, { [key]: value });
    const err = await asyncErrorOf(project(file));
    expectClear(err, file);
    expect(err.message).toMatch(message);
  });

  it('values that only reach file contents load, and are written so that a shell reads them back exactly', async () => {
    const inventory = labInventory({
      all: { mysql_app_password: `pa$$'w"o\`rd ${RUN_CANARY} \\ end`, haproxy_stats_password: `st'ats ${TICK_CANARY} ;# "x"` },
    });
    // app env file: sourced by sh on sysv hosts (the respawn wrapper), read by systemd elsewhere.
    const env = (await written(roleOn(app, inventory, 'app-01'), '/etc/counter/env')).content;
    const envFile = path.join(tmp, 'env');
    writeFileSync(envFile, env);
    const read = execFileSync('sh', ['-c', 'set -a; . "$1"; set +a; printf %s "$DB_PASSWORD"', 'sh', envFile], { encoding: 'utf8', cwd: tmp });
    expect(read).toBe(`pa$$'w"o\`rd ${RUN_CANARY} \\ end`);
    // haproxy.cfg: one single-quoted word, HAProxy's quoting (the same rules as sh for '…' and '\'').
    const cfg = (await written(roleOn(haproxy, inventory, 'lb-01'), '/etc/haproxy/haproxy.cfg')).content;
    const word = /^ {4}stats auth (.*)$/m.exec(cfg)![1]!;
    expect(execFileSync('sh', ['-c', `printf %s ${word}`], { encoding: 'utf8' })).toBe(`admin:st'ats ${TICK_CANARY} ;# "x"`);
  }, budget({ processes: 2 }));
});

describe('steps given hostile paths and values, on a real shell', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'scaleup-hostile-steps-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  // A name cannot hold a `/`: these canaries are relative, so they would appear in the shell's
  // working directory (the test's) — checked below, with the absolute one.
  const REL = 'scaleup-canary-rel';
  const nasty = `a b'c"d$(touch ${REL})\`touch ${REL}\`;e|f&g>h*?~!#{x}\\n`;
  afterAll(() => expect(existsSync(path.resolve(REL))).toBe(false));

  it('file, directory, symlink, lineinfile, command and sysctl steps create exactly the names given', async () => {
    const d = path.join(tmp, `dir ${nasty}`);
    const f = path.join(d, `file ${nasty}`);
    const link = path.join(tmp, `link ${nasty}`);
    const conf = path.join(tmp, `conf ${nasty}`);
    const marker = path.join(tmp, `marker ${nasty}`);
    const steps = [
      file.directory({ path: d, mode: '0750' }),
      file.content({ dest: f, content: `${nasty}\n`, mode: '0600' }),
      file.symlink({ path: link, target: f }),
      file.lineinfile({ path: conf, line: `key = ${nasty} ${RUN_CANARY}`, regexp: '^key = ' }),
      command.run({ name: 'marker', command: `printf %s ${shQuote(nasty)} > ${shQuote(marker)}`, creates: marker }),
    ];
    const first = await runLocal(steps);
    expect(first.results.filter((r) => r.status === 'failed')).toEqual([]);
    expect(readFileSync(f, 'utf8')).toBe(`${nasty}\n`);
    expect(readlinkSync(link)).toBe(f);
    expect(readFileSync(conf, 'utf8')).toBe(`key = ${nasty} ${RUN_CANARY}\n`);
    expect(readFileSync(marker, 'utf8')).toBe(nasty);
    // And converged: the probes read the same hostile names back.
    expect(statuses(await runLocal(steps))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(existsSync(CANARY)).toBe(false);
  }, budget({ processes: 11 }));

  it('a file whose directory is missing fails with a message naming it, running nothing', async () => {
    const dest = path.join(tmp, `missing ${RUN_CANARY} ${TICK_CANARY}`, 'f');
    const outcome = await runLocal([file.content({ dest, content: 'x' })]);
    expect(outcome.results[0]).toMatchObject({ status: 'failed' });
    expect(outcome.results[0]!.error).toContain(`directory ${path.dirname(dest)} does not exist`);
    expect(existsSync(CANARY)).toBe(false);
  }, budget({ processes: 2 }));

  it('a sysctl value with shell syntax is written as text and refused by sysctl, running nothing', async () => {
    const conf = path.join(tmp, `sysctl ${nasty}.conf`);
    const outcome = await runLocal([sysctl.value('scaleup.no_such_key', `1 ${RUN_CANARY}`, { file: conf })]);
    expect(outcome.results[0]!.status).toBe('failed');
    expect(readFileSync(conf, 'utf8')).toBe(`scaleup.no_such_key = 1 ${RUN_CANARY}\n`);
    expect(existsSync(CANARY)).toBe(false);
  }, budget({ processes: 3 }));
});

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
