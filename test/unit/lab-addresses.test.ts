import { describe, expect, test } from 'vitest';
import {
  BRIDGE_ADDRESS,
  DEFAULT_HOSTS,
  VIP,
  isLabNetns,
  isLabVeth,
  labHost,
  macAddress,
  netnsName,
  parseHostList,
  vethName,
} from '../../src/lab/addresses.ts';

describe('lab address scheme', () => {
  test('the five default hosts have the documented addresses', () => {
    expect(DEFAULT_HOSTS.map((n) => [n, labHost(n).address])).toEqual([
      ['lb-01', '10.77.0.11'],
      ['lb-02', '10.77.0.12'],
      ['web-01', '10.77.0.21'],
      ['app-01', '10.77.0.31'],
      ['db-01', '10.77.0.41'],
    ]);
    expect(BRIDGE_ADDRESS).toBe('10.77.0.1');
    expect(VIP).toBe('10.77.0.100');
  });

  test('hosts 02..09 follow on; 10 and up move to .101+', () => {
    expect(labHost('web-02').address).toBe('10.77.0.22');
    expect(labHost('app-09').address).toBe('10.77.0.39');
    expect(labHost('web-10').address).toBe('10.77.0.110');
    expect(labHost('web-59').address).toBe('10.77.0.159');
    expect(labHost('app-10').address).toBe('10.77.0.160');
    expect(labHost('app-59').address).toBe('10.77.0.209');
    expect(labHost('lb-19').address).toBe('10.77.0.219');
    expect(labHost('db-19').address).toBe('10.77.0.229');
  });

  test('every valid name has its own address; none is the bridge, the VIP or outside .2–.254', () => {
    const names = [
      ...Array.from({ length: 19 }, (_, i) => `lb-${String(i + 1).padStart(2, '0')}`),
      ...Array.from({ length: 59 }, (_, i) => `web-${String(i + 1).padStart(2, '0')}`),
      ...Array.from({ length: 59 }, (_, i) => `app-${String(i + 1).padStart(2, '0')}`),
      ...Array.from({ length: 19 }, (_, i) => `db-${String(i + 1).padStart(2, '0')}`),
    ];
    const octets = names.map((n) => labHost(n).octet);
    expect(new Set(octets).size).toBe(names.length);
    for (const o of octets) {
      expect(o).toBeGreaterThanOrEqual(2);
      expect(o).toBeLessThanOrEqual(254);
      expect(o).not.toBe(100);
    }
  });

  test('rejects names outside the scheme with a message listing the valid ones', () => {
    for (const bad of ['web-00', 'web-60', 'lb-20', 'db-1', 'cache-01', 'web01', '']) {
      expect(() => labHost(bad)).toThrow(/not a lab host name.*web-01\.\.web-59/);
    }
  });

  test('--hosts takes names and ranges, keeps order, drops duplicates', () => {
    expect(parseHostList('lb-01, web-01..web-03,db-01,web-02').map((h) => h.name)).toEqual([
      'lb-01',
      'web-01',
      'web-02',
      'web-03',
      'db-01',
    ]);
    expect(parseHostList('web-01..web-50')).toHaveLength(50);
    expect(() => parseHostList('web-03..web-01')).toThrow(/bad host range/);
    expect(() => parseHostList('web-01..app-02')).toThrow(/bad host range/);
    expect(() => parseHostList(' , ')).toThrow(/names no host/);
  });

  test('namespace and veth names are derived, recognisable and short enough for Linux', () => {
    const h = labHost('web-59');
    expect(netnsName(h)).toBe('lab-web-59');
    expect(vethName(h)).toBe('slab159');
    expect(vethName(h).length).toBeLessThanOrEqual(15);
    expect(macAddress(h)).toBe('02:0a:4d:00:00:9f');
    expect(macAddress(labHost('lb-01'))).toBe('02:0a:4d:00:00:0b');
    expect(isLabNetns('lab-web-59')).toBe(true);
    expect(isLabNetns('lab-mine')).toBe(false);
    expect(isLabVeth('slab11')).toBe(true);
    expect(isLabVeth('eth0')).toBe(false);
  });
});
