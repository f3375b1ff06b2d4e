import { describe, expect, it } from 'vitest';
import { InventoryError } from '../../src/core/errors.ts';
import { resolvePattern, selectHosts } from '../../src/core/host-pattern.ts';
import { readInventory } from '../../src/core/inventory.ts';

const inv = readInventory('test/fixtures/inventories/native.yml');
const ansible = readInventory('test/fixtures/inventories/ansible.yml');
const names = (pattern: string | string[], i = inv) => selectHosts(i, pattern).map((h) => h.name);

describe('selectHosts', () => {
  it('selects a host, a group, all', () => {
    expect(names('web-01')).toEqual(['web-01']);
    expect(names('lb')).toEqual(['lb-01', 'lb-02']);
    expect(names('all')).toEqual(['lb-01', 'lb-02', 'web-01', 'web-02.example.com', 'app-01', 'db-01']);
    expect(names('*')).toEqual(names('all'));
    expect(names('spare')).toEqual([]);
  });

  it('keeps inventory order whatever the order of the pattern', () => {
    expect(names('db,web-01,lb-02')).toEqual(['lb-02', 'web-01', 'db-01']);
    expect(names('db:lb')).toEqual(['lb-01', 'lb-02', 'db-01']);
  });

  it('excludes with ! and intersects with &, after the unions (as Ansible does)', () => {
    expect(names('web,!web-01')).toEqual(['web-02.example.com']);
    expect(names('!web-01,web')).toEqual(['web-02.example.com']);
    expect(names('!lb')).toEqual(['web-01', 'web-02.example.com', 'app-01', 'db-01']);
    expect(names('backend,&monitored', ansible)).toEqual(['web-01']);
    expect(names('all,&lb,!lb-02', ansible)).toEqual(['lb-01']);
  });

  it('matches globs over host and group names', () => {
    expect(names('web-*')).toEqual(['web-01', 'web-02.example.com']);
    expect(names('l?')).toEqual(['lb-01', 'lb-02']);
  });

  it('joins several patterns (repeated --limit) as one list', () => {
    expect(names(['web', '!web-02.example.com', 'db'])).toEqual(['web-01', 'db-01']);
    expect(names([' lb-01 , ', 'db'])).toEqual(['lb-01', 'db-01']);
  });

  it('refuses unknown names, listing the valid ones', () => {
    const err = (() => {
      try {
        names('web,webservers,!nope');
      } catch (e) {
        return e as InventoryError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(InventoryError);
    expect(err.location).toEqual({ file: '(command line)', field: '--limit' });
    expect(err.message).toBe(
      '(command line): --limit: unknown host or group "webservers", "nope"; ' +
        'hosts: lb-01, lb-02, web-01, web-02.example.com, app-01, db-01; groups: lb, web, app, db, spare',
    );
    expect(() => names('zz-*')).toThrow(/unknown host or group "zz-\*"/);
  });

  it('refuses an empty pattern', () => {
    expect(() => names('')).toThrow('(command line): --limit: empty host pattern');
    expect(() => names(' , ')).toThrow('empty host pattern');
  });

  it('resolvePattern reports unknown names without throwing', () => {
    expect(resolvePattern(inv, 'lb,nope')).toMatchObject({ unknown: ['nope'] });
    expect(resolvePattern(inv, 'lb,nope').hosts.map((h) => h.name)).toEqual(['lb-01', 'lb-02']);
  });
});
