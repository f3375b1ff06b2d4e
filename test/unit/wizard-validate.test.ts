// The checks behind every wizard answer and the defaults it suggests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextHostName } from '../../src/cli/wizard/tiers.ts';
import {
  databaseProblem,
  hostAddressProblem,
  hostNameProblem,
  isEncryptedKey,
  keyPathForInventory,
  newInventoryFileProblem,
  portProblem,
  privateKeyProblem,
  suggestAddress,
  suggestInventoryFile,
  suggestVip,
  userProblem,
  vipProblem,
} from '../../src/cli/wizard/validate.ts';
import { budget } from './budgets.ts';

const lb = [{ name: 'lb-01', address: '10.0.0.11' }, { name: 'lb-02', address: '10.0.0.12' }];
const all = [...lb, { name: 'web-01', address: '10.0.0.21' }];

describe('host answers', () => {
  it('rejects bad IPs with the reason', () => {
    expect(hostAddressProblem('10.0.0.256', 'web', [])).toMatch(/not a valid IPv4 address: four numbers from 0 to 255/);
    expect(hostAddressProblem('10.0.0', 'web', [])).toMatch(/not a valid IPv4 address/);
    expect(hostAddressProblem('web 01', 'web', [])).toMatch(/not an IP address or a DNS name/);
    expect(hostAddressProblem('', 'web', [])).toMatch(/enter the host's address/);
    expect(hostAddressProblem('10.0.0.21', 'web', [])).toBeUndefined();
    expect(hostAddressProblem('web-01.example.com', 'web', [])).toBeUndefined();
    expect(hostAddressProblem('fd00::21', 'db', [])).toBeUndefined();
  });

  it('rejects a duplicate address, naming the host that has it', () => {
    expect(hostAddressProblem('10.0.0.11', 'web', lb)).toBe('10.0.0.11 is already the address of lb-01; every host needs its own');
    expect(hostAddressProblem('DB.example.com', 'db', [{ name: 'db-01', address: 'db.example.com' }])).toMatch(/already the address of db-01/);
  });

  it('keeps the load balancers on one IPv4 /24', () => {
    expect(hostAddressProblem('lb.example.com', 'lb', [])).toMatch(/load balancers need an IPv4 address/);
    expect(hostAddressProblem('10.0.1.12', 'lb', lb.slice(0, 1), lb.slice(0, 1))).toMatch(/not in 10\.0\.0\.0\/24 with lb-01 \(10\.0\.0\.11\)/);
    expect(hostAddressProblem('10.0.0.255', 'lb', [])).toMatch(/broadcast/);
    expect(hostAddressProblem('10.0.0.12', 'lb', lb.slice(0, 1), lb.slice(0, 1))).toBeUndefined();
  });

  it('checks host names', () => {
    expect(hostNameProblem('web-01', ['web-01'])).toMatch(/already the name/);
    expect(hostNameProblem('web 01', [])).toMatch(/letters, digits/);
    expect(hostNameProblem('all', [])).toMatch(/reserved/);
    expect(hostNameProblem('web', [])).toMatch(/name of a group/);
    expect(hostNameProblem('web-02', ['web-01'])).toBeUndefined();
  });
});

describe('the VIP', () => {
  it('must be inside the /24 of the load balancers, and free', () => {
    expect(vipProblem('10.0.1.100', lb, all)).toBe('10.0.1.100 is outside 10.0.0.0/24, the network of the load balancers (lb-01 10.0.0.11, lb-02 10.0.0.12)');
    expect(vipProblem('10.0.0.21', lb, all)).toMatch(/web-01's address/);
    expect(vipProblem('10.0.0.300', lb, all)).toMatch(/not a valid IPv4 address/);
    expect(vipProblem('10.0.0.0', lb, all)).toMatch(/network or broadcast/);
    expect(vipProblem('10.0.0.100', lb, all)).toBeUndefined();
  });

  it('is suggested at .100 of the load balancers’ network, skipping taken addresses', () => {
    expect(suggestVip(['10.0.0.11'], [])).toBe('10.0.0.100');
    expect(suggestVip(['10.0.0.11'], ['10.0.0.100'])).toBe('10.0.0.101');
    expect(suggestVip(['lb.example.com'], [])).toBeUndefined();
  });
});

describe('other answers', () => {
  it('ports, users, database names', () => {
    expect(portProblem('22')).toBeUndefined();
    expect(portProblem('65536')).toBe('port 65536 is out of range (1 to 65535)');
    expect(portProblem('0')).toMatch(/out of range/);
    expect(portProblem('ssh')).toMatch(/not a port: a whole number/);
    expect(portProblem('')).toMatch(/an empty answer is not a port/);
    expect(userProblem('deploy')).toBeUndefined();
    expect(userProblem('de ploy')).toMatch(/user name/);
    expect(databaseProblem('app')).toBeUndefined();
    expect(databaseProblem('my-app')).toMatch(/database name/);
    expect(databaseProblem('1app')).toMatch(/not starting with a digit/);
  });

  it('a new inventory file must not exist, nor its secrets file', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'scaleup-validate-'));
    expect(newInventoryFileProblem('inventory/site.yml', cwd)).toBeUndefined();
    expect(newInventoryFileProblem('inventory/site.txt', cwd)).toMatch(/end the name with \.yml/);
    expect(suggestInventoryFile(cwd)).toBe(path.join('inventory', 'site.yml'));
    writeFileSync(path.join(cwd, 'site.secrets.age'), 'x');
    expect(newInventoryFileProblem('site.yml', cwd)).toMatch(/site\.secrets\.age already exists beside it/);
    writeFileSync(path.join(cwd, 'prod.yml'), 'x');
    expect(newInventoryFileProblem('prod.yml', cwd)).toMatch(/prod\.yml already exists/);
  });

  it('a private key must be a private key the engine can use without a passphrase', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-keys-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'plain')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret words', '-f', path.join(dir, 'locked')]);
    expect(privateKeyProblem('plain', dir)).toBeUndefined();
    expect(privateKeyProblem('plain.pub', dir)).toMatch(/public key/);
    expect(privateKeyProblem('missing', dir)).toMatch(/no such file/);
    expect(privateKeyProblem('locked', dir)).toMatch(/protected by a passphrase; load it into ssh-agent/);
    expect(isEncryptedKey(readFileSync(path.join(dir, 'plain'), 'utf8'))).toBe(false);
  }, budget({ processes: 2 }));
});

describe('suggestions', () => {
  it('addresses follow the previous host, then blocks of ten per tier', () => {
    expect(suggestAddress(0, '10.0.0.11', '10.0.0.11', ['10.0.0.11'])).toBe('10.0.0.12');
    expect(suggestAddress(1, undefined, '10.0.0.11', ['10.0.0.11', '10.0.0.12'])).toBe('10.0.0.21');
    expect(suggestAddress(3, undefined, '10.77.0.11', [])).toBe('10.77.0.41');
    expect(suggestAddress(1, undefined, '10.0.0.11', ['10.0.0.21'])).toBe('10.0.0.22');
    expect(suggestAddress(1, undefined, undefined, [])).toBeUndefined();
    expect(suggestAddress(0, '10.0.0.254', undefined, [])).toBeUndefined();
  });

  it('host names continue the tier’s sequence', () => {
    expect(nextHostName('web', ['web-01'])).toBe('web-02');
    expect(nextHostName('web', ['web-01', 'web-09'])).toBe('web-10');
    expect(nextHostName('web', [])).toBe('web-01');
    expect(nextHostName('db', ['db1'])).toBe('db2');
  });

  it('key paths are written relative to the inventory, or under ~', () => {
    expect(keyPathForInventory('/home/ops/.ssh/id_ed25519', '/srv/site/inventory', '/home/ops')).toBe('~/.ssh/id_ed25519');
    expect(keyPathForInventory('/srv/site/.lab/id_ed25519', '/srv/site/inventory', '/home/ops')).toBe('../.lab/id_ed25519');
    expect(keyPathForInventory('/opt/keys/deep/id', '/srv/site/inventory/prod', '/home/ops')).toBe('/opt/keys/deep/id');
  });
});
