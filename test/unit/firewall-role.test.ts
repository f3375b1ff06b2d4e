// The firewall role's pure logic: the rules each host gets from the inventory's groups (the tier
// matrix), the nftables file they render to, the merged source lists, the checks before connecting,
// and the SSH guard — the probe that finds this run's own SSH session on a real shell, and the
// decision that refuses rules which would close SSH to it. Plus: site.yml runs the firewall first.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import firewall from '../../roles/firewall/index.ts';
import { parseSshSession, SSH_SESSION_PROBE, sshGuard, sshLockout, type SshSession } from '../../roles/firewall/ssh-guard.ts';
import { covers, mergeSources, parseSource } from '../../roles/firewall/sources.ts';
import { firewallDefaults, firewallRules, validateFirewall, type FirewallVars } from '../../roles/firewall/vars.ts';
import { StepError } from '../../src/core/errors.ts';
import type { Inventory, Vars } from '../../src/core/model.ts';
import { loadPlaybook } from '../../src/core/playbook.ts';
import { probeBatch } from '../../src/core/probe-batch.ts';
import { listRoles, rolesDir, templatesOf } from './builtin-roles.ts';
import { hostsInGroup } from '../../src/core/host-groups.ts';
import { renderTemplate } from '../../src/core/template.ts';
import { labFacts, labInventory, roleOn } from './roles-fixtures.ts';

const ROOT = path.join(import.meta.dirname, '../..');
const CONTROL = '10.77.0.1';

function varsOf(inv: Inventory, name: string): FirewallVars {
  return { ...firewallDefaults, ...inv.hosts.get(name)!.vars } as FirewallVars;
}

function rulesOf(inv: Inventory, name: string) {
  return firewallRules(varsOf(inv, name), inv.hosts.get(name)!, hostsInGroup(inv));
}

/** The file the template step writes (rendered as the engine renders it: the rules are the step's extra locals). */
function rendered(inv: Inventory, name: string): string {
  return renderTemplate(path.join(templatesOf('firewall'), 'nftables.conf.ejs'), { host: inv.hosts.get(name)!, rules: rulesOf(inv, name) });
}

/** The accept rules of a rendered file, one per line, without the fixed preamble. */
function acceptLines(text: string): string[] {
  const body = text.split('meta l4proto { icmp, ipv6-icmp } accept\n')[1]!;
  return body.split('\n').map((l) => l.trim()).filter((l) => l && l !== '}');
}

/** Which sources `host` accepts on `port` (tcp) or VRRP: null = anyone, [] = closed, undefined = no rule at all. */
function sourcesFor(inv: Inventory, host: string, match: number | 'vrrp'): string[] | null | undefined {
  const rule = rulesOf(inv, host).find((r) => (match === 'vrrp' ? r.proto === 'vrrp' : r.proto === 'tcp' && r.port === match));
  return rule?.sources;
}

describe('the rules of each tier, from the inventory', () => {
  const lab = labInventory();
  const scaled = labInventory({ scaled: true });

  it('db-01: SSH from anyone, MySQL from the app hosts only; the rendered file', () => {
    expect(rendered(lab, 'db-01')).toBe(`#!/usr/sbin/nft -f
# managed by scaleup — local edits are overwritten
#
# Host firewall of db-01: incoming traffic is dropped unless a rule below accepts it. Each
# tier accepts its service port only from the tier in front of it; the addresses come from the
# inventory's groups. Only the table \`inet scaleup\` is replaced (atomically: the three statements
# below are one transaction); other tables are left alone. Outgoing traffic is not filtered: replies
# to it come back as established.

table inet scaleup
delete table inet scaleup

table inet scaleup {
    chain input {
        type filter hook input priority filter; policy drop;

        ct state established,related accept
        ct state invalid drop
        iif lo accept
        # ping, path MTU discovery, IPv6 neighbour discovery
        meta l4proto { icmp, ipv6-icmp } accept

        tcp dport 22 accept comment "ssh"
        ip saddr { 10.77.0.31 } tcp dport 3306 accept comment "mysql from the app hosts"
    }
}
`);
    expect(acceptLines(rendered(scaled, 'db-01'))).toEqual([
      'tcp dport 22 accept comment "ssh"',
      'ip saddr { 10.77.0.31, 10.77.0.32 } tcp dport 3306 accept comment "mysql from the app hosts"',
    ]);
  });

  it('app, web: their port from the tier in front only', () => {
    expect(acceptLines(rendered(scaled, 'app-02'))).toEqual([
      'tcp dport 22 accept comment "ssh"',
      'ip saddr { 10.77.0.21, 10.77.0.22 } tcp dport 3000 accept comment "app from the web hosts"',
      'ip saddr { 10.77.0.21, 10.77.0.22 } tcp dport 3001 accept comment "app surge port from the web hosts"',
    ]);
    expect(acceptLines(rendered(scaled, 'web-01'))).toEqual([
      'tcp dport 22 accept comment "ssh"',
      'ip saddr { 10.77.0.11, 10.77.0.12 } tcp dport 80 accept comment "nginx from the load balancers"',
    ]);
  });

  it('lb: the frontend from anyone, VRRP from the other lb only, the stats page closed without admin sources', () => {
    expect(acceptLines(rendered(lab, 'lb-01'))).toEqual([
      'tcp dport 22 accept comment "ssh"',
      'tcp dport 80 accept comment "http on the VIP from anyone"',
      '# haproxy stats from firewall_admin_sources: closed (firewall_admin_sources is empty)',
      'ip saddr { 10.77.0.12 } ip protocol vrrp accept comment "vrrp from the other load balancers"',
    ]);
    expect(sourcesFor(lab, 'lb-02', 'vrrp')).toEqual(['10.77.0.11']);
  });

  it('no tier-skipping flow: each port names the hosts of the tier in front, never another tier', () => {
    const addressesOf = (group: string) => hostsInGroup(scaled)(group).map((h) => h.address);
    const front: Record<string, { port: number; from: string }> = {
      db: { port: 3306, from: 'app' }, app: { port: 3000, from: 'web' }, web: { port: 80, from: 'lb' },
    };
    for (const [group, { port, from }] of Object.entries(front)) {
      for (const h of hostsInGroup(scaled)(group)) expect(sourcesFor(scaled, h.name, port), `${h.name}:${port}`).toEqual(addressesOf(from));
    }
    // A host accepts no other tier's port: web → db 3306, lb → app 3000, app → lb stats…
    for (const h of scaled.hosts.values()) {
      const ports = rulesOf(scaled, h.name).filter((r) => r.proto === 'tcp' && r.sources !== null && r.sources.length).map((r) => r.port);
      // App hosts also take their surge port (3001) from the web hosts: a deploy's second instance.
      const own = Object.entries(front).filter(([g]) => h.groups.includes(g)).flatMap(([g, f]) => (g === 'app' ? [f.port, 3001] : [f.port]));
      expect(ports, h.name).toEqual(own);
    }
    for (const lb of ['lb-01', 'lb-02']) expect(sourcesFor(scaled, lb, 8404), lb).toEqual([]);
  });

  it('firewall_admin_sources open the stats page and every tier port to them, merged with the tier', () => {
    const inv = labInventory({ all: { firewall_admin_sources: [CONTROL, '192.168.7.9/24'] } });
    expect(sourcesFor(inv, 'lb-01', 8404)).toEqual([CONTROL, '192.168.7.0/24']);
    expect(sourcesFor(inv, 'db-01', 3306)).toEqual(['10.77.0.31', CONTROL, '192.168.7.0/24']);
    expect(sourcesFor(inv, 'web-01', 80)).toEqual(['10.77.0.11', '10.77.0.12', CONTROL, '192.168.7.0/24']);
    // An admin network holding the app host: one entry, not an overlapping pair.
    const wide = labInventory({ all: { firewall_admin_sources: ['10.77.0.0/24'] } });
    expect(sourcesFor(wide, 'db-01', 3306)).toEqual(['10.77.0.0/24']);
  });

  it('firewall_ssh_sources restrict SSH; the port follows firewall_ssh_port', () => {
    const inv = labInventory({ all: { firewall_ssh_sources: ['10.77.0.1', '10.1.0.0/16'], firewall_ssh_port: 2222 } });
    expect(acceptLines(rendered(inv, 'app-01'))[0]).toBe('ip saddr { 10.77.0.1, 10.1.0.0/16 } tcp dport 2222 accept comment "ssh from firewall_ssh_sources"');
    expect(sourcesFor(inv, 'app-01', 22)).toBeUndefined();
  });

  it('a host of no tier gets SSH only; an empty front tier leaves the port closed, with the reason', () => {
    const inv = labInventory();
    inv.hosts.set('mon-01', { name: 'mon-01', address: '10.77.0.90', privateAddress: '10.77.0.90', port: 22, user: 'root', become: false, groups: ['mon'], vars: {} });
    inv.groups.set('mon', ['mon-01']);
    expect(acceptLines(rendered(inv, 'mon-01'))).toEqual(['tcp dport 22 accept comment "ssh"']);
    inv.groups.set('app', []);
    expect(acceptLines(rendered(inv, 'db-01'))).toContain("# mysql from the app hosts: closed (no host in group 'app')");
  });

  it('group names come from the variables (lb_group…), not from the lab', () => {
    const inv = labInventory({ all: { db_group: 'database', app_group: 'backend' } });
    inv.groups.set('database', ['db-01']);
    inv.groups.set('backend', ['app-01']);
    inv.groups.delete('db');
    inv.groups.delete('app');
    expect(sourcesFor(inv, 'db-01', 3306)).toEqual(['10.77.0.31']);
  });

  // nft itself, when this machine has it (it needs the rights to talk to netfilter, even with -c).
  const nftWorks = spawnSync('nft', ['-c', '-f', '-'], { input: 'table inet scaleup_probe { }\n' }).status === 0;
  it.skipIf(!nftWorks)('every rendered file passes `nft -c -f` (the validate command the template step runs)', () => {
    const admin = labInventory({ scaled: true, all: { firewall_admin_sources: [CONTROL, '10.77.0.0/30'], firewall_ssh_sources: ['10.77.0.0/24'] } });
    for (const inv of [labInventory(), admin]) {
      for (const name of inv.hosts.keys()) {
        const r = spawnSync('nft', ['-c', '-f', '-'], { input: rendered(inv, name), encoding: 'utf8' });
        expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      }
    }
  });
});

describe('sources', () => {
  it('parse addresses and networks; host bits are cleared, /32 is an address', () => {
    expect(parseSource('10.77.0.1')).toEqual({ base: 0x0a4d0001, prefix: 32 });
    expect(mergeSources(['10.77.0.9/24', '10.0.0.1/32', '0.0.0.0/0'])).toEqual(['0.0.0.0/0']);
    expect(mergeSources(['10.77.0.9/24', '10.0.0.1/32'])).toEqual(['10.77.0.0/24', '10.0.0.1']);
    for (const bad of ['10.77.0.1/33', '10.77.0', '10.77.0.256', 'evil; rm -rf /', '::1', '10.77.0.1/', '']) expect(parseSource(bad), bad).toBeNull();
  });

  it('merge: duplicates and covered entries go, first-seen order stays', () => {
    expect(mergeSources(['10.77.0.12', '10.77.0.11', '10.77.0.12'])).toEqual(['10.77.0.12', '10.77.0.11']);
    expect(mergeSources(['10.77.0.31', '10.77.0.0/24', '10.78.0.1'])).toEqual(['10.77.0.0/24', '10.78.0.1']);
  });

  it('covers', () => {
    expect(covers(['10.77.0.0/24'], CONTROL)).toBe(true);
    expect(covers(['10.77.0.2', '10.78.0.0/16'], CONTROL)).toBe(false);
    expect(covers(['0.0.0.0/0'], '203.0.113.9')).toBe(true);
    expect(covers(['0.0.0.0/0'], '2001:db8::1')).toBe(false);
  });
});

describe('checks before connecting', () => {
  const db = (vars: Vars) => {
    const inv = labInventory({ all: vars });
    return validateFirewall(inv, [inv.hosts.get('db-01')!]);
  };

  it('the lab passes; sources must be IPv4 addresses or networks; the SSH port a port', () => {
    expect(db({})).toEqual([]);
    expect(db({ firewall_ssh_sources: ['10.77.0.1/33'], firewall_admin_sources: ['10.0.0.0/8'], firewall_ssh_port: 0 })).toEqual([
      "db-01: firewall_ssh_sources: '10.77.0.1/33' is not an IPv4 address or network",
      'db-01: firewall_ssh_port 0 must be a TCP port (1–65535)',
    ]);
  });

  it('every variable is in the README table', () => {
    const readme = readFileSync(path.join(rolesDir, 'firewall', 'README.md'), 'utf8');
    for (const key of Object.keys(firewallDefaults)) expect(readme).toContain(`| \`${key}\` |`);
  });
});

describe('the SSH guard', () => {
  const lab = labInventory();
  const facts = labFacts(lab.hosts.get('db-01')!);
  const session = (client: string, serverPort = 22): SshSession => ({ client, serverPort });
  const vars = (over: Partial<FirewallVars> = {}): FirewallVars => ({ ...firewallDefaults, ...over });

  it('is the role\'s first step, before the package and the rules; on sysv no nftables.service', () => {
    expect(roleOn(firewall, lab, 'db-01').steps.map((s) => s.name)).toEqual([
      'ssh stays open to this run', 'package nftables', 'template /etc/nftables.conf', 'service nftables running', 'load firewall rules',
    ]);
    expect(roleOn(firewall, lab, 'db-01', { initSystem: 'sysv' }).steps.map((s) => s.name)).toEqual([
      'ssh stays open to this run', 'package nftables', 'template /etc/nftables.conf', 'load firewall rules',
    ]);
  });

  it('reads sshd\'s SSH_CONNECTION: client address and the local port', () => {
    expect(parseSshSession('ssh_connection=10.77.0.1 51234 10.77.0.41 22\n')).toEqual(session(CONTROL));
    expect(parseSshSession('ssh_connection=::ffff:10.77.0.1 51234 ::ffff:10.77.0.41 2222\n')).toEqual(session(CONTROL, 2222));
    expect(parseSshSession('ssh_connection=2001:db8::5 51234 2001:db8::41 22\n')).toEqual(session('2001:db8::5'));
    expect(parseSshSession('ssh_connection=\n')).toBeUndefined();
    expect(parseSshSession('')).toBeUndefined();
    expect(parseSshSession('ssh_connection=10.77.0.1 51234 10.77.0.41 ssh\n')).toBeUndefined();
    // Host output is not trusted: no address, no session.
    expect(parseSshSession('ssh_connection=\u001b[2J 51234 10.77.0.41 22\n')).toBeUndefined();
  });

  it('SSH open to anyone (the default): never refuses', () => {
    expect(sshLockout(vars(), session(CONTROL), 'db-01', facts)).toBeUndefined();
    expect(sshLockout(vars(), session('2001:db8::5'), 'db-01', facts)).toBeUndefined();
    expect(sshLockout(vars(), undefined, 'db-01', facts)).toBeUndefined();
  });

  it('refuses rules that would close SSH to the address this run comes from, saying what to set', () => {
    const problem = sshLockout(vars({ firewall_ssh_sources: ['192.0.2.0/24', '10.77.0.2'] }), session(CONTROL), 'db-01', facts);
    expect(problem).toBe(
      'refusing to load the firewall on db-01: the rules would close SSH to 10.77.0.1, the address this run connects from ' +
      '(as db-01 sees it), since firewall_ssh_sources (192.0.2.0/24, 10.77.0.2) does not include it — the next connection ' +
      'would be dropped. Add 10.77.0.1 (or its network) to firewall_ssh_sources, or leave the list empty to allow SSH from ' +
      'anywhere; its firewall is left as it is',
    );
    expect(sshLockout(vars({ firewall_ssh_sources: ['10.77.0.0/24'] }), session(CONTROL), 'db-01', facts)).toBeUndefined();
    expect(sshLockout(vars({ firewall_ssh_sources: [CONTROL] }), session(CONTROL), 'db-01', facts)).toBeUndefined();
  });

  it('refuses when the session came in on another port than firewall_ssh_port', () => {
    expect(sshLockout(vars({ firewall_ssh_port: 2222 }), session(CONTROL, 22), 'db-01', facts))
      .toMatch(/^refusing to load the firewall on db-01: this run reached db-01 on SSH port 22, but the rules open SSH on firewall_ssh_port 2222 only/);
  });

  it('an IPv6 session, or one it cannot find, is refused only when SSH is restricted', () => {
    const restricted = vars({ firewall_ssh_sources: ['10.77.0.0/24'] });
    expect(sshLockout(restricted, session('2001:db8::5'), 'db-01', facts)).toMatch(/connects from 2001:db8::5, not an IPv4 address/);
    expect(sshLockout(restricted, undefined, 'db-01', facts)).toMatch(/cannot tell which address this run's SSH session comes from/);
  });

  it('a session from the host itself (loopback, its own address) goes through lo, which is always open', () => {
    const restricted = vars({ firewall_ssh_sources: ['192.0.2.0/24'] });
    expect(sshLockout(restricted, session('127.0.0.1'), 'db-01', facts)).toBeUndefined();
    expect(sshLockout(restricted, session('10.77.0.41'), 'db-01', facts)).toBeUndefined();
    expect(sshLockout(vars({ firewall_ssh_port: 2222 }), session('127.0.0.1', 22), 'db-01', facts)).toBeUndefined();
  });

  it('the step fails the host with that reason (also in --check: decide is where it throws), else is ok with no change', async () => {
    const run = roleOn(firewall, labInventory({ all: { firewall_ssh_sources: ['192.0.2.0/24'] } }), 'db-01');
    const guard = run.steps[0]!;
    const out = { stdout: 'ssh_connection=10.77.0.1 40000 10.77.0.41 22\n', exitCode: 0 };
    await expect(async () => guard.decide(out, run.ctx)).rejects.toThrow(StepError);
    await expect(async () => guard.decide(out, run.ctx)).rejects.toThrow(/would close SSH to 10\.77\.0\.1/);
    const open = roleOn(firewall, labInventory({ all: { firewall_ssh_sources: ['10.77.0.0/24'] } }), 'db-01');
    expect(await open.steps[0]!.decide(out, open.ctx)).toEqual([]);
    expect(sshGuard(firewallDefaults).probe(open.ctx)).toBe(SSH_SESSION_PROBE);
  });

  it('takes the session from the facts when they carry it, with no probe of its own', async () => {
    const run = roleOn(firewall, labInventory({ all: { firewall_ssh_sources: ['192.0.2.0/24'] } }), 'db-01');
    const ctx = { ...run.ctx, facts: { ...run.ctx.facts, sshConnection: '10.77.0.1 40000 10.77.0.41 22' } };
    expect(run.steps[0]!.probe(ctx)).toBe('');
    await expect(async () => run.steps[0]!.decide({ stdout: '', exitCode: 0 }, ctx)).rejects.toThrow(/would close SSH to 10\.77\.0\.1/);
  });
});

describe('the SSH session probe on a real shell', () => {
  const SESSION = '10.77.0.1 51234 10.77.0.41 22';
  /** Runs the probe as the engine does (inside a probe batch) and returns the session it printed. */
  const probeIn = (shell: string, env: Record<string, string>) => {
    const batch = probeBatch([SSH_SESSION_PROBE]);
    const stdout = execFileSync('sh', ['-c', shell], { env: { PATH: process.env.PATH!, BATCH: batch.script, ...env }, encoding: 'utf8' });
    return parseSshSession(batch.parse(stdout)[0]!.stdout);
  };

  it('in the session\'s own environment (the login user without sudo, or root)', () => {
    expect(probeIn('sh -c "$BATCH"', { SSH_CONNECTION: SESSION })).toEqual({ client: CONTROL, serverPort: 22 });
  });

  it('from an ancestor when the environment was reset (sudo): the parent has it, the probe\'s shell not', () => {
    // `; true` keeps the outer shell alive as the parent (a lone command would be exec'd in its place).
    expect(probeIn('env -u SSH_CONNECTION sh -c "$BATCH"; true', { SSH_CONNECTION: SESSION })).toEqual({ client: CONTROL, serverPort: 22 });
  });
});

describe('the default stack', () => {
  const lab = labInventory();

  it('site.yml runs the firewall first, on every tier\'s hosts, before the tier roles', () => {
    const { plays } = loadPlaybook(path.join(ROOT, 'playbooks/site.yml'), lab, listRoles());
    expect(plays[0]).toMatchObject({ name: 'Firewall', roles: ['firewall'] });
    expect(plays[0]!.serial).toBeUndefined();
    expect(plays[0]!.maxFailPercentage).toBeUndefined();
    expect(plays[0]!.hosts.split(',').sort()).toEqual(['app', 'db', 'lb', 'web']);
    expect(plays.slice(1).flatMap((p) => p.roles)).toEqual(['mysql', 'app', 'nginx', 'haproxy', 'keepalived']);
  });

  it('playbooks/firewall.yml is the same play alone', () => {
    const site = loadPlaybook(path.join(ROOT, 'playbooks/site.yml'), lab, listRoles()).plays[0]!;
    const alone = loadPlaybook(path.join(ROOT, 'playbooks/firewall.yml'), lab, listRoles()).plays;
    expect(alone.map(({ location: _l, ...p }) => p)).toEqual([(({ location: _l, ...p }) => p)(site)]);
  });
});
