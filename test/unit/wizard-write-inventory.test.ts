// The YAML the wizard writes (accepted by the engine's own loader), the atomic writer, and the edits
// made to an existing inventory.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readInventory } from '../../src/core/inventory.ts';
import { addHostToInventoryText, parseVarInput, setVarInInventoryText, topLevelVars } from '../../src/cli/wizard/edit-inventory.ts';
import { inventoryDocument, writeFileAtomic, writeInventoryFile } from '../../src/cli/wizard/write-inventory.ts';
import { siteAnswers } from './wizard-answers.ts';

// lb-01, lb-02, web-01, app-01, db-01 on 10.0.0.0/24; deploy with sudo on port 22; VIP 10.0.0.100,
// app port 3000, database app; known_hosts and site.secrets.age beside the inventory.
const answers = siteAnswers({ privateKey: '~/.ssh/id_ed25519' });

const tmp = () => mkdtempSync(path.join(tmpdir(), 'scaleup-write-'));

describe('inventoryDocument', () => {
  it('writes the native format, hosts one per line, with comments for a newcomer', () => {
    const text = inventoryDocument(answers);
    expect(text).toMatch(/^# scaleup inventory, written by the `provision` wizard/);
    expect(text).toContain([
      'connection:',
      '  user: deploy',
      '  become: true',
      '  port: 22',
      '  private_key: ~/.ssh/id_ed25519',
      '  known_hosts: known_hosts',
    ].join('\n'));
    expect(text).toContain('secrets: site.secrets.age');
    expect(text).toContain('  vip: 10.0.0.100');
    expect(text).toContain('  mysql_app_database: app');
    expect(text).toContain(['  lb:', '    hosts:', '      lb-01: { address: 10.0.0.11 }', '      lb-02: { address: 10.0.0.12 }'].join('\n'));
    expect(text).not.toMatch(/password:/);
    expect(inventoryDocument(answers)).toBe(text); // pure
  });

  it('is accepted by the engine and means what was answered', () => {
    const dir = tmp();
    const file = path.join(dir, 'site.yml');
    writeInventoryFile(file, inventoryDocument(answers));
    const inv = readInventory(file);
    expect([...inv.groups.keys()]).toEqual(['lb', 'web', 'app', 'db']);
    expect(inv.hosts.get('db-01')).toMatchObject({ address: '10.0.0.41', user: 'deploy', become: true, port: 22 });
    expect(inv.hosts.get('lb-02')!.vars).toEqual({ vip: '10.0.0.100', app_port: 3000, mysql_app_database: 'app' });
    expect(inv.secretsFile).toBe(path.join(dir, 'site.secrets.age'));
    expect(inv.knownHosts).toBe(path.join(dir, 'known_hosts'));
  });

  it('omits the key for the ssh-agent, and become for root', () => {
    const text = inventoryDocument({ ...answers, privateKey: undefined, user: 'root', become: true });
    expect(text).not.toMatch(/^\s*private_key:/m);
    expect(text).toContain('become: false');
  });
});

describe('writing files', () => {
  it('replaces a file whole and leaves no temp file', () => {
    const dir = tmp();
    const file = path.join(dir, 'a.yml');
    writeFileAtomic(file, 'one\n');
    writeFileAtomic(file, 'two\n');
    expect(readFileSync(file, 'utf8')).toBe('two\n');
    expect(readdirSync(dir)).toEqual(['a.yml']);
  });

  it('keeps the old file when the check fails (as when Ctrl-C or an error interrupts)', () => {
    const dir = tmp();
    const file = path.join(dir, 'a.yml');
    writeFileSync(file, 'old\n');
    expect(() => writeFileAtomic(file, 'new\n', () => {
      throw new Error('interrupted');
    })).toThrow('interrupted');
    expect(readFileSync(file, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['a.yml']);
  });

  it('never writes an inventory the engine would refuse', () => {
    const dir = tmp();
    const file = path.join(dir, 'site.yml');
    const bad = inventoryDocument(answers).replace('address: 10.0.0.12', 'address: 10.0.0.11');
    expect(() => writeInventoryFile(file, bad)).toThrow(/site\.yml was not written[\s\S]*duplicate address/);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('editing an inventory', () => {
  const original = `# my notes stay
connection: { user: deploy }
vars:
  vip: 10.0.0.100 # the VIP
groups:
  web:
    hosts:
      web-01: { address: 10.0.0.21 }
`;

  it('adds a host to a tier, keeping comments and layout', () => {
    const text = addHostToInventoryText(original, 'web', 'web-02', '10.0.0.22');
    expect(text).toContain('# my notes stay');
    expect(text).toContain('vip: 10.0.0.100 # the VIP');
    expect(text).toContain('      web-01: { address: 10.0.0.21 }\n      web-02: { address: 10.0.0.22 }\n');
  });

  it('adds a host to a tier that does not exist yet', () => {
    const text = addHostToInventoryText(original, 'app', 'app-01', '10.0.0.31');
    expect(text).toContain('  app:\n    hosts:\n      app-01: { address: 10.0.0.31 }\n');
  });

  it('sets a variable, typed as YAML would read it', () => {
    let text = setVarInInventoryText(original, 'app_port', parseVarInput('3001'));
    text = setVarInInventoryText(text, 'vip', parseVarInput('10.0.0.101'));
    expect(text).toContain('vip: 10.0.0.101 # the VIP');
    expect(topLevelVars(text)).toEqual({ vip: '10.0.0.101', app_port: 3001 });
    expect(parseVarInput('true')).toBe(true);
    expect(parseVarInput('10s')).toBe('10s');
  });

  it('refuses an inventory that is not in the scaleup format', () => {
    expect(() => addHostToInventoryText('all:\n  hosts: {}\n', 'web', 'web-02', '10.0.0.22')).toThrow(/scaleup-format/);
  });
});

describe('rewriting an inventory the person made private', () => {
  it('keeps its mode (it may hold a plain-text become_password)', async () => {
    // Fails on the old write, which always left the file 0644.
    const { mkdtempSync, writeFileSync, chmodSync, statSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { writeFileAtomic } = await import('../../src/cli/wizard/write-inventory.ts');
    const dir = mkdtempSync(join(tmpdir(), 'scaleup-inv-mode-'));
    const file = join(dir, 'inv.yml');
    writeFileSync(file, 'a: 1\n');
    chmodSync(file, 0o600);
    writeFileAtomic(file, 'a: 2\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    rmSync(dir, { recursive: true });
  });
});
