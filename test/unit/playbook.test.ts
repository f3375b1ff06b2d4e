import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InventoryError, InventoryErrors, ScaleupError } from '../../src/core/errors.ts';
import { selectHosts } from '../../src/core/host-pattern.ts';
import { readInventory } from '../../src/core/inventory.ts';
import { loadPlaybook } from '../../src/core/playbook.ts';

const inventory = readInventory('test/fixtures/inventories/native.yml');
const roles = ['haproxy', 'keepalived', 'nginx', 'app', 'mysql'];
const pb = (name: string) => path.join('test/fixtures/playbooks', name);

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err instanceof InventoryError || err instanceof InventoryErrors).toBe(true);
    return (err as ScaleupError).message;
  }
  throw new Error('expected an error');
}

describe('loadPlaybook', () => {
  it('reads plays in order with their options', () => {
    const { file, plays } = loadPlaybook(pb('site.yml'), inventory, roles);
    expect(file).toBe(path.resolve(pb('site.yml')));
    expect(plays.map((p) => [p.name, p.hosts, p.roles])).toEqual([
      ['Database', 'db', ['mysql']],
      ['Application', 'app', ['app']],
      ['web,!web-02.example.com', 'web,!web-02.example.com', ['nginx']],
      ['Load balancers', 'lb', ['haproxy', 'keepalived']],
      ['Half at a time', 'web', ['nginx']],
    ]);
    expect(plays[3]).toMatchObject({ serial: 1, maxFailPercentage: 0 });
    expect(plays[4]!.serial).toBe('50%');
    expect(plays[0]!.serial).toBeUndefined();
    expect(plays[3]!.location).toEqual({ file: 'test/fixtures/playbooks/site.yml', line: 9, column: 3, field: '[3]' });
    expect(selectHosts(inventory, plays[2]!.hosts).map((h) => h.name)).toEqual(['web-01']);
  });

  it.each([
    [
      'bad-unknown-role.yml',
      'test/fixtures/playbooks/bad-unknown-role.yml:3:20: [0].roles[1]: unknown role "keepalive" (did you mean keepalived?); roles are: haproxy, keepalived, nginx, app, mysql',
    ],
    [
      'bad-unknown-group.yml',
      'test/fixtures/playbooks/bad-unknown-group.yml:2:10: [0].hosts: unknown host or group "webservers"; hosts: lb-01, lb-02, web-01, web-02.example.com, app-01, db-01; groups: lb, web, app, db, spare',
    ],
    [
      'bad-shape.yml',
      [
        'test/fixtures/playbooks/bad-shape.yml:1:3: [0].roles: is required',
        'test/fixtures/playbooks/bad-shape.yml:3:3: [0].role: unknown key (did you mean "roles"?)',
        'test/fixtures/playbooks/bad-shape.yml:4:11: [0].serial: expected a host count (1 or more) or a percentage from 1% to 100%',
        'test/fixtures/playbooks/bad-shape.yml:6:10: [1].hosts: expected a host pattern (string or list), got an integer',
        'test/fixtures/playbooks/bad-shape.yml:7:10: [1].roles: expected a list of role names, got a string',
        'test/fixtures/playbooks/bad-shape.yml:8:24: [1].max_fail_percentage: must be from 0 to 100',
      ].join('\n'),
    ],
    ['bad-not-a-list.yml', 'test/fixtures/playbooks/bad-not-a-list.yml:1:1: expected a list of plays, got a map'],
    ['bad-duplicate-role.yml', 'test/fixtures/playbooks/bad-duplicate-role.yml:2:18: [0].roles[1]: role nginx is listed twice in this play'],
    ['bad-empty-roles.yml', 'test/fixtures/playbooks/bad-empty-roles.yml:2:10: [0].roles: a play needs at least one role'],
    [
      'bad-yaml.yml',
      'test/fixtures/playbooks/bad-yaml.yml:3:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
  ])('%s', (file, expected) => {
    expect(messageOf(() => loadPlaybook(pb(file), inventory, roles))).toBe(expected);
  });

  it('a play on an empty group is valid (it selects no host)', () => {
    const dir = path.resolve('test/fixtures/playbooks');
    const plays = loadPlaybook(path.join(dir, 'site.yml'), inventory, roles).plays;
    expect(plays.length).toBe(5);
    expect(selectHosts(inventory, 'spare')).toEqual([]);
  });

  it('names a missing playbook', () => {
    expect(messageOf(() => loadPlaybook(pb('nope.yml'), inventory, roles))).toBe(
      'test/fixtures/playbooks/nope.yml: cannot read playbook: no such file',
    );
  });
});
