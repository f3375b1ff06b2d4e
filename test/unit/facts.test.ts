import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandToSend } from '../../src/core/connection/command-line.ts';
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

  it('reads the SSH session from the lock\'s command line, where sudo would have reset the environment', () => {
    const session = '10.77.0.1 51234 10.77.0.41 22';
    const host = { name: 'h', address: 'h', port: 22, user: 'deploy', become: true, groups: [], vars: {} } as never;
    const { line } = commandToSend(host, FACTS_SCRIPT, undefined, true, { sessionArg: true });
    expect(line).toMatch(/^sudo -n -H -- sh -c '.*' scaleup "\$SSH_CONNECTION"$/s);
    // The login shell expands it; the script gets it as $1 (sudo, here `env -u`, drops it from the environment).
    const asSudoWould = line.replace('sudo -n -H --', 'env -u SSH_CONNECTION');
    const out = execFileSync('sh', ['-c', asSudoWould], { env: { PATH: process.env.PATH!, SSH_CONNECTION: session }, encoding: 'utf8' });
    expect(parseFacts(out).sshConnection).toBe(session);
    expect(parseFacts(execFileSync('sh', ['-c', FACTS_SCRIPT], { env: { PATH: process.env.PATH! }, encoding: 'utf8' })).sshConnection).toBe('');
  }, budget({ processes: 3 }));
});
