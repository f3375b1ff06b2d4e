import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { stringify } from 'yaml';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { InventoryError, InventoryErrors, ScaleupError } from '../../src/core/errors.ts';
import { NativeInventory, NAME_RE } from '../../src/core/inventory-schema.ts';
import { ProjectConfigSchema } from '../../src/core/project-config.ts';
import { hostField, loadInventory, locateField, readInventory, withSecrets } from '../../src/core/inventory.ts';
import type { Inventory } from '../../src/core/model.ts';
import { Secret } from '../../src/core/secret.ts';
import { formatField, parseField } from '../../src/core/yaml-source.ts';
import { asyncErrorOf, errorOf } from './thrown-errors.ts';
import { budget } from './budgets.ts';

const fixtures = path.resolve('test/fixtures');
const bad = path.join(fixtures, 'bad-inventories');
const good = (name: string) => path.join(fixtures, 'inventories', name);

describe('bad inventories: each gives its exact message', () => {
  const cases = readdirSync(bad).filter((f) => f.endsWith('.yml')).sort();

  it('has a .expected file for every fixture (and the corpus covers the required kinds)', () => {
    for (const f of cases) expect(readdirSync(bad)).toContain(f.replace(/\.yml$/, '.expected'));
    for (const kind of [
      'wrong-type', 'unknown-key', 'yaml-syntax', 'duplicate-key', 'duplicate-host', 'duplicate-address',
      'bad-address', 'bad-port', 'host-name-subshell', 'host-name-backticks', 'host-name-newline', 'non-utf8', 'empty',
    ]) {
      expect(cases.some((c) => c.startsWith(kind)), kind).toBe(true);
    }
  });

  it.each(cases)('%s', (file) => {
    const expected = readFileSync(path.join(bad, file.replace(/\.yml$/, '.expected')), 'utf8').trimEnd();
    const err = errorOf(() => readInventory(path.join(bad, file)));
    expect(err instanceof InventoryError || err instanceof InventoryErrors).toBe(true);
    expect(err.message).toBe(expected);
    // One line per problem, every line names the file; no stack trace, no raw control characters.
    for (const line of err.message.split('\n')) {
      expect(line.startsWith(`test/fixtures/bad-inventories/${file}`)).toBe(true);
      expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
      expect(line).not.toMatch(/^\s+at /);
    }
  });

  it('refuses a file over 1 MiB before parsing it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-inv-'));
    const file = path.join(dir, 'huge.yml');
    writeFileSync(file, `groups:\n  web:\n    vars:\n${'      # padding padding padding padding padding padding padding padding\n'.repeat(17_000)}`);
    const err = errorOf(() => readInventory(file));
    expect(err.message).toBe(`${file}: inventory is 1.2 MiB; the limit is 1 MiB (is this the right file?)`);
  });

  it('names a missing file', () => {
    const err = errorOf(() => readInventory(good('nope.yml')));
    expect(err.message).toBe('test/fixtures/inventories/nope.yml: cannot read inventory: no such file');
  });

  it('reports every problem it finds, sorted by line', () => {
    const err = errorOf(() => readInventory(path.join(bad, 'unknown-key-top.yml')));
    expect(err).toBeInstanceOf(InventoryErrors);
    const errors = (err as InventoryErrors).errors;
    expect(errors.map((e) => e.location.line)).toEqual([1, 3, 4]);
    expect(errors.map((e) => e.location.field)).toEqual(['groups', 'connection.passwd', 'grups']);
  });

  it('carries file, line, column and field on the error', () => {
    const err = errorOf(() => readInventory(path.join(bad, 'bad-port.yml'))) as InventoryError;
    expect(err.location).toEqual({
      file: 'test/fixtures/bad-inventories/bad-port.yml',
      line: 6,
      column: 44,
      field: 'groups.web.hosts.web-01.port',
    });
    expect(err.reason).toBe('port 70000 is out of range (1 to 65535)');
  });
});

const HOSTILE_NAME_RUNS = 300;

describe('hostile host names (property)', () => {
  it('any name is either a safe name or an InventoryError on one printable line', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-inv-'));
    const file = path.join(dir, 'inv.yml');
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.constantFrom('a$(reboot)', 'a`id`', "a'b", 'a\nb', 'a;b', 'a b', '-rf', 'a|b', 'a&&b', 'ü')),
        (name) => {
          writeFileSync(file, stringify({ groups: { web: { hosts: { [name]: { address: '10.0.0.1' } } } } }));
          try {
            const inv = readInventory(file);
            const [host] = inv.hosts.keys();
            expect(host).toMatch(NAME_RE);
            expect(host).toBe(name);
          } catch (err) {
            expect(err).toBeInstanceOf(ScaleupError);
            expect((err as Error).message).not.toMatch(/[\u0000-\u001f\u007f]/);
          }
        },
      ),
      { numRuns: HOSTILE_NAME_RUNS },
    );
  }, budget({ cases: HOSTILE_NAME_RUNS }));
});

describe('native format', () => {
  const inv = readInventory(good('native.yml'));
  const dir = path.dirname(good('native.yml'));

  it('applies connection defaults and per-host overrides', () => {
    expect(inv.format).toBe('native');
    expect(inv.hosts.get('lb-01')).toMatchObject({
      address: '10.77.0.11', port: 22, user: 'deploy', become: true, groups: ['lb'],
      privateKey: path.resolve(dir, '../.lab/id_ed25519'),
    });
    expect(inv.hosts.get('web-01')).toMatchObject({ user: 'admin', port: 2222, become: true });
    expect(inv.hosts.get('web-02.example.com')).toMatchObject({ address: 'web-02.example.com', become: false });
    // become is meaningless for root
    expect(inv.hosts.get('app-01')).toMatchObject({ user: 'root', become: false });
    expect(inv.hosts.get('db-01')!.privateKey).toBe(path.join(os.homedir(), '.ssh/db_key'));
  });

  it('a host\'s private address (what other tiers reach) defaults to the address SSH connects to', () => {
    expect(inv.hosts.get('lb-01')).toMatchObject({ address: '10.77.0.11', privateAddress: '10.77.0.11' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-private-'));
    const file = path.join(dir, 'nat.yml');
    writeFileSync(file, 'groups:\n  web:\n    hosts:\n      web-01: { address: web-01.bastion.example, private_address: 10.0.0.21 }\n      web-02: { address: 10.0.0.22, private_address: "not an address" }\n');
    expect(() => readInventory(file)).toThrow(/nat\.yml:5:54: groups\.web\.hosts\.web-02\.private_address: .*not an IPv4\/IPv6 address or a DNS name/);
    writeFileSync(file, 'groups:\n  web:\n    hosts:\n      web-01: { address: web-01.bastion.example, private_address: 10.0.0.21 }\n');
    expect(readInventory(file).hosts.get('web-01')).toMatchObject({ address: 'web-01.bastion.example', privateAddress: '10.0.0.21' });
  });

  it('resolves files relative to the inventory and defaults known_hosts beside it', () => {
    expect(inv.file).toBe(good('native.yml'));
    expect(inv.knownHosts).toBe(path.join(dir, 'known_hosts'));
    expect(inv.secretsFile).toBeUndefined();
    const lab = readInventory('inventory/lab.yml');
    expect(lab.knownHosts).toBe(path.resolve('.lab/known_hosts'));
  });

  it('keeps groups and hosts in file order; empty groups are allowed', () => {
    expect([...inv.hosts.keys()]).toEqual(['lb-01', 'lb-02', 'web-01', 'web-02.example.com', 'app-01', 'db-01']);
    expect([...inv.groups]).toEqual([
      ['lb', ['lb-01', 'lb-02']],
      ['web', ['web-01', 'web-02.example.com']],
      ['app', ['app-01']],
      ['db', ['db-01']],
      ['spare', []],
    ]);
  });

  it('merges vars: host > group > all', () => {
    expect(inv.hosts.get('lb-01')!.vars).toEqual({
      vip: '10.77.0.100', app_port: 3000, keepalived_priority: 150, keepalived_virtual_router_id: 51,
    });
    expect(inv.hosts.get('lb-02')!.vars.keepalived_priority).toBe(120);
    expect(inv.hosts.get('web-01')!.vars.keepalived_priority).toBe(100);
    expect(inv.hosts.get('db-01')!.vars.mysql_database).toBe('app');
  });
});

describe('Ansible format', () => {
  const inv = readInventory(good('ansible.yml'));

  it('reads hosts, ansible_* connection vars and nested children', () => {
    expect(inv.format).toBe('ansible');
    expect(inv.hosts.get('lb-02')).toMatchObject({ address: '10.77.0.12', port: 2222, user: 'deploy', become: true });
    expect(inv.hosts.get('web-01')).toMatchObject({ user: 'root', become: false });
    expect(inv.hosts.get('db-01')).toMatchObject({ become: false }); // `no` is false in YAML 1.1
    expect(inv.hosts.get('bastion.example.com')).toMatchObject({ address: 'bastion.example.com', groups: [] });
    expect(inv.groups.get('backend')).toEqual(['web-01', 'app-01']);
    expect(inv.hosts.get('web-01')!.groups).toEqual(['backend', 'web', 'monitored']);
  });

  it('takes connection vars out of the host vars', () => {
    for (const h of inv.hosts.values()) expect(Object.keys(h.vars).filter((k) => k.startsWith('ansible_'))).toEqual([]);
  });

  it('merges a host listed under two groups; child group vars beat the parent', () => {
    expect(inv.hosts.get('web-01')!.vars).toEqual({ vip: '10.77.0.100', tier: 'web', monitoring: true });
    expect(inv.hosts.get('app-01')!.vars.tier).toBe('backend');
    expect(inv.hosts.get('lb-01')!.vars).toMatchObject({ tier: 'lb', keepalived_priority: 150 });
  });

  it('gives the same Inventory as the equivalent native file', () => {
    const a = readInventory(good('equivalent-ansible.yml'));
    const n = readInventory(good('equivalent-native.yml'));
    expect([...a.hosts.values()]).toEqual([...n.hosts.values()]);
    expect([...a.groups]).toEqual([...n.groups]);
  });

  it('keeps YAML 1.1 dates as strings', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-inv-'));
    writeFileSync(path.join(dir, 'a.yml'), 'all:\n  vars: { since: 2024-01-31 }\n  hosts:\n    web-01: { ansible_host: 10.0.0.1 }\n');
    expect(readInventory(path.join(dir, 'a.yml')).hosts.get('web-01')!.vars.since).toBe('2024-01-31');
  });

  it('accepts groups at the top level without all:, and string ports', () => {
    const t = readInventory(good('ansible-toplevel-groups.yml'));
    expect([...t.groups.keys()]).toEqual(['web', 'db']);
    expect(t.hosts.get('db-01.example.com')!.port).toBe(2222);
  });
});

describe('locate()', () => {
  const native = readInventory(good('native.yml'));
  const ansible = readInventory(good('ansible.yml'));
  const nf = 'test/fixtures/inventories/native.yml';
  const af = 'test/fixtures/inventories/ansible.yml';

  it('finds where a host is defined', () => {
    expect(native.locate!('hosts.lb-01')).toEqual({ file: nf, line: 15, column: 7, field: 'groups.lb.hosts.lb-01' });
    expect(ansible.locate!('hosts.lb-01')).toEqual({ file: af, line: 17, column: 9, field: 'all.children.lb.hosts.lb-01' });
  });

  it('finds the definition that wins for a host var', () => {
    expect(native.locate!('hosts.lb-01.vars.keepalived_priority')).toMatchObject({ line: 15, field: 'groups.lb.hosts.lb-01.vars.keepalived_priority' });
    expect(native.locate!('hosts.lb-02.vars.keepalived_priority')).toMatchObject({ line: 13, field: 'groups.lb.vars.keepalived_priority' });
    expect(native.locate!('hosts.web-01.vars.keepalived_priority')).toMatchObject({ line: 10, field: 'vars.keepalived_priority' });
    expect(ansible.locate!('hosts.web-01.vars.tier')).toMatchObject({ line: 28, field: 'all.children.backend.children.web.vars.tier' });
  });

  it('finds connection settings, whether set on the host or as a default', () => {
    expect(native.locate!('hosts.web-01.port')).toMatchObject({ line: 19, field: 'groups.web.hosts.web-01.port' });
    expect(native.locate!('hosts.lb-02.port')).toMatchObject({ line: 5, field: 'connection.port' });
    expect(ansible.locate!('hosts.lb-02.port')).toMatchObject({ line: 20, field: 'all.children.lb.hosts.lb-02.ansible_port' });
  });

  it('accepts quoted segments for names with dots, and plain file paths', () => {
    const f = hostField('web-02.example.com', 'address');
    expect(f).toBe('hosts["web-02.example.com"].address');
    expect(native.locate!(f)).toMatchObject({ line: 20, column: 38 });
    expect(native.locate!('groups.db.hosts.db-01.private_key')).toMatchObject({ line: 30, column: 22 });
    expect(native.locate!('groups.lb')).toMatchObject({ line: 13, column: 5 });
    expect(ansible.locate!('groups.lb')).toMatchObject({ line: 12, field: 'all.children.lb' });
    expect(native.locate!('vars.vip')).toMatchObject({ line: 8, column: 8 });
  });

  it('never throws: unknown fields give the file (and the host when known)', () => {
    expect(native.locate!('hosts.nope')).toEqual({ file: nf, field: 'hosts.nope' });
    expect(native.locate!('hosts.lb-01.vars.nope')).toEqual({ file: nf, line: 15, column: 7, field: 'hosts.lb-01.vars.nope' });
    expect(native.locate!('not a field..')).toEqual({ file: nf, field: 'not a field..' });
    const handBuilt: Inventory = { file: '/x/inv.yml', hosts: new Map(), groups: new Map(), knownHosts: '/x/known_hosts' };
    expect(locateField(handBuilt, 'hosts.a')).toEqual({ file: '/x/inv.yml', field: 'hosts.a' });
  });

  it('round-trips the field syntax', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.nat()), { maxLength: 6 }), (p) => {
        expect(parseField(formatField(p))).toEqual(p);
      }),
    );
  });
});

describe('secrets', () => {
  it('sit below every inventory var and stay redacted', () => {
    const inv = withSecrets(readInventory(good('native.yml')), { db_password: 's3cr3t-value', app_port: 'secret-port' });
    const h = inv.hosts.get('db-01')!;
    expect(h.vars.db_password).toBeInstanceOf(Secret);
    expect((h.vars.db_password as Secret).reveal()).toBe('s3cr3t-value');
    expect(h.vars.app_port).toBe(3000); // the all-level var wins over the secret
    expect(Object.keys(inv.secrets!)).toEqual(['db_password', 'app_port']);
    const shown = JSON.stringify([...inv.hosts.values()]) + inspect(inv, { depth: 10 });
    expect(shown).not.toContain('s3cr3t-value');
    expect(shown).not.toContain('secret-port');
  });

  it('locate() points a secret var at the secrets file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-inv-'));
    writeFileSync(path.join(dir, 'prod.yml'), 'secrets: prod.secrets.age\ngroups:\n  db:\n    hosts:\n      db-01: { address: 10.0.0.4 }\n');
    const inv = await loadInventory(path.join(dir, 'prod.yml'), { secrets: { mysql_app_password: 'pw-pw-pw-pw' } });
    expect(inv.locate!('hosts.db-01.vars.mysql_app_password')).toEqual({
      file: path.join(dir, 'prod.secrets.age'),
      field: 'mysql_app_password',
    });
  });

  it('a missing secrets file is an error naming it and how to create it', async () => {
    const err = await asyncErrorOf(loadInventory(good('secrets-missing.yml')));
    expect(err.message).toBe(
      'test/fixtures/inventories/missing.secrets.age: secrets file not found (create it with `provision vault init`)',
    );
    // ... unless the command does not need secrets
    await expect(loadInventory(good('secrets-missing.yml'), { skipSecrets: true })).resolves.toBeDefined();
  });
});

describe('docs/inventory.schema.json', () => {
  it('is generated from the zod schema and up to date (npx tsx scripts/gen-schema.ts)', () => {
    const onDisk = JSON.parse(readFileSync('docs/inventory.schema.json', 'utf8'));
    expect(onDisk).toEqual(z.toJSONSchema(NativeInventory, { io: 'input', target: 'draft-2020-12' }));
  });

  it('docs/scaleup.schema.json is generated from the project config schema and up to date', () => {
    const onDisk = JSON.parse(readFileSync('docs/scaleup.schema.json', 'utf8'));
    expect(onDisk).toEqual(z.toJSONSchema(ProjectConfigSchema, { io: 'input', target: 'draft-2020-12' }));
  });

  it('every good native fixture and inventory/*.yml passes the zod schema', () => {
    for (const f of ['inventory/lab.yml', 'inventory/example.yml', good('native.yml'), good('equivalent-native.yml')]) {
      expect(() => readInventory(f), f).not.toThrow();
    }
  });
});
