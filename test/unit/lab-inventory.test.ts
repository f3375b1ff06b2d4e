import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_HOSTS, labHost, parseHostList } from '../../src/lab/addresses.ts';
import { inventoryDoc, isDefaultHostSet } from '../../src/lab/inventory.ts';
import { renderKnownHosts } from '../../src/lab/keys.ts';
import { machineId, renderEtcHosts } from '../../src/lab/seed.ts';

const ROOT = join(import.meta.dirname, '../..');

describe('lab inventory and host files', () => {
  test('the committed inventory/lab.yml has the five default hosts of the address scheme and the lab key', () => {
    // Other keys (secrets, more vars) may be added by others; these must match what `lab up` provides.
    const committed = parse(readFileSync(join(ROOT, 'inventory/lab.yml'), 'utf8'));
    const hosts = DEFAULT_HOSTS.map(labHost);
    const expected = inventoryDoc(hosts, '../.lab/id_ed25519', '../.lab/known_hosts');
    expect(committed.connection).toEqual(expected.connection);
    expect(committed.vars.vip).toBe(expected.vars.vip);
    expect(committed.groups).toEqual(expected.groups);
    expect(isDefaultHostSet(hosts)).toBe(true);
  });

  test('a larger lab groups its hosts in lb, web, app, db order', () => {
    const doc = inventoryDoc(parseHostList('db-01,web-01..web-03,lb-01'), 'id_ed25519', 'known_hosts');
    expect(Object.keys(doc.groups)).toEqual(['lb', 'web', 'db']);
    expect(doc.groups.web!.hosts).toEqual({
      'web-01': { address: '10.77.0.21' },
      'web-02': { address: '10.77.0.22' },
      'web-03': { address: '10.77.0.23' },
    });
    expect(isDefaultHostSet(parseHostList('lb-01,lb-02,web-01,app-01'))).toBe(false);
  });

  test('known_hosts has one address line per host', () => {
    expect(
      renderKnownHosts([
        { address: '10.77.0.11', publicKey: 'ssh-ed25519 AAAAC3a' },
        { address: '10.77.0.12', publicKey: 'ssh-ed25519 AAAAC3b' },
      ]),
    ).toBe('10.77.0.11 ssh-ed25519 AAAAC3a\n10.77.0.12 ssh-ed25519 AAAAC3b\n');
  });

  test('/etc/hosts names the host itself, the control machine and every lab host', () => {
    const hosts = parseHostList('lb-01,web-01');
    const text = renderEtcHosts(hosts[1]!, hosts);
    expect(text).toContain('127.0.1.1\tweb-01\n');
    expect(text).toContain('10.77.0.1\tcontrol\n');
    expect(text).toContain('10.77.0.11\tlb-01\n');
    expect(text).toContain('10.77.0.21\tweb-01\n');
  });

  test('machine-id is 32 hex digits, stable per host, different between hosts', () => {
    expect(machineId('web-01')).toMatch(/^[0-9a-f]{32}$/);
    expect(machineId('web-01')).toBe(machineId('web-01'));
    expect(machineId('web-01')).not.toBe(machineId('web-02'));
  });
});
