import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FACTS_SCRIPT, interfaceOf, parseFacts } from '../../src/core/facts/gather.ts';
import { budget } from './budgets.ts';

const recorded = `os_id=debian
os_version=12
os_codename=bookworm
init=systemd
pm=apt
arch=x86_64
hostname=web-01
if=lo 127.0.0.1/8
if=eth0 10.77.0.21/24
if=eth0 10.77.0.100/24
`;

describe('facts', () => {
  it('parses recorded output of a lab host', () => {
    const facts = parseFacts(recorded);
    expect(facts).toEqual({
      osId: 'debian', osVersion: '12', osCodename: 'bookworm', initSystem: 'systemd', packageManager: 'apt',
      architecture: 'x86_64', hostname: 'web-01', interfaces: { eth0: ['10.77.0.21/24', '10.77.0.100/24'] },
    });
    expect(interfaceOf(facts, '10.77.0.21')).toBe('eth0');
    expect(interfaceOf(facts, '10.9.9.9')).toBeUndefined();
  });

  it('defaults what is missing', () => {
    expect(parseFacts('garbage\n')).toMatchObject({ osId: 'unknown', initSystem: 'sysv', packageManager: 'unknown', interfaces: {} });
  });

  it('runs on this machine and yields a Debian answer', () => {
    const facts = parseFacts(execFileSync('sh', ['-c', FACTS_SCRIPT], { encoding: 'utf8' }));
    expect(facts.osId).toBe('debian');
    expect(facts.packageManager).toBe('apt');
  }, budget({ processes: 1 }));
});
