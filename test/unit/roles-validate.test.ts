// The checks roles make before any connection (cluster invariants), and the small helpers whose
// output a shell, systemd or HAProxy must read back exactly.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appDefaults, envQuote, pruneCommand, validateApp } from '../../roles/app/vars.ts';
import { validateFirewall } from '../../roles/firewall/vars.ts';
import { haproxyQuote, validateHaproxy } from '../../roles/haproxy/vars.ts';
import keepalived from '../../roles/keepalived/index.ts';
import { validateKeepalived } from '../../roles/keepalived/vars.ts';
import { interfaceHolding, sameSubnet } from '../../roles/lib/net.ts';
import { readTree } from '../../roles/lib/tree.ts';
import { validateMysql } from '../../roles/mysql/vars.ts';
import { validateNginx } from '../../roles/nginx/vars.ts';
import { Secret } from '../../src/core/secret.ts';
import type { Inventory } from '../../src/core/model.ts';
import { labFacts, labInventory } from './roles-fixtures.ts';
import { budget } from './budgets.ts';

const lbHosts = (inv: Inventory) => (inv.groups.get('lb') ?? []).map((n) => inv.hosts.get(n)!);
const hostsOf = (inv: Inventory, group: string) => (inv.groups.get(group) ?? []).map((n) => inv.hosts.get(n)!);

describe('keepalived cluster invariants', () => {
  it('the lab passes', () => {
    const inv = labInventory();
    expect(validateKeepalived(inv, lbHosts(inv))).toEqual([]);
    expect(keepalived.validate!(inv, lbHosts(inv), { projectRoot: '.' })).toEqual([]);
  });

  it('needs at least two load balancers', () => {
    const inv = labInventory();
    inv.groups.set('lb', ['lb-01']);
    expect(validateKeepalived(inv, lbHosts(inv))).toEqual(["group 'lb' has 1 host(s): keepalived needs at least two load balancers"]);
  });

  it('the VIP must be an IPv4 address in the lb hosts\' subnet, and nobody\'s address', () => {
    expect(validateKeepalived(labInventory({ all: { vip: '10.78.0.100' } }), lbHosts(labInventory()))).toEqual([
      'lb-01: vip 10.78.0.100 is not in the subnet of 10.77.0.11/24',
      'lb-02: vip 10.78.0.100 is not in the subnet of 10.77.0.12/24',
    ]);
    const bad = labInventory({ all: { vip: 'vip.example' } });
    expect(validateKeepalived(bad, lbHosts(bad))).toContain("lb-01: vip 'vip.example' is not an IPv4 address");
    const taken = labInventory({ all: { vip: '10.77.0.21' } });
    expect(validateKeepalived(taken, lbHosts(taken))).toEqual(['vip 10.77.0.21 is also the address of a host']);
    // A wider prefix admits a VIP outside the /24.
    const wide = labInventory({ all: { vip: '10.77.1.100', vip_prefix: 16 } });
    expect(validateKeepalived(wide, lbHosts(wide))).toEqual([]);
  });

  it('one VIP and one VRID for the pair', () => {
    const inv = labInventory({ hostVars: { 'lb-02': { vip: '10.77.0.101', keepalived_virtual_router_id: 52 } } });
    const problems = validateKeepalived(inv, lbHosts(inv));
    expect(problems).toContain('vip differs between lb hosts (10.77.0.100, 10.77.0.101): there is one VIP per cluster');
    expect(problems).toContain('keepalived_virtual_router_id differs between lb hosts (51, 52): one VRRP instance needs one VRID');
  });

  it('the VRID is 1–255', () => {
    const inv = labInventory({ all: { keepalived_virtual_router_id: 300 } });
    expect(validateKeepalived(inv, lbHosts(inv))).toEqual(['keepalived_virtual_router_id 300 must be an integer from 1 to 255']);
  });

  it('priorities must be distinct and in range', () => {
    const same = labInventory({ hostVars: { 'lb-02': { keepalived_priority: 150 } } });
    expect(validateKeepalived(same, lbHosts(same))).toEqual(['keepalived_priority 150 is shared by lb-01 and lb-02: priorities must be distinct']);
    const high = labInventory({ hostVars: { 'lb-01': { keepalived_priority: 255 } } });
    expect(validateKeepalived(high, lbHosts(high))).toEqual(['lb-01: keepalived_priority 255 must be an integer from 1 to 254']);
  });

  it('VRRPv2 needs a password of at most 8 printable characters, never printed; VRRPv3 refuses one', () => {
    const v2 = { keepalived_vrrp_version: 2, keepalived_advert_int: 1 };
    const long = labInventory({ all: { ...v2, keepalived_auth_pass: new Secret('123456789') } });
    const problems = validateKeepalived(long, lbHosts(long));
    expect(problems).toContain('lb-01: keepalived_auth_pass has 9 characters; VRRP uses at most 8');
    expect(problems.join()).not.toContain('123456789');
    const spaced = labInventory({ all: { ...v2, keepalived_auth_pass: 'a b' } });
    expect(validateKeepalived(spaced, lbHosts(spaced))[0]).toMatch(/printable ASCII without spaces/);
    const missing = labInventory({ all: v2 });
    expect(validateKeepalived(missing, lbHosts(missing))[0]).toBe('lb-01: keepalived_auth_pass is required with keepalived_vrrp_version: 2');
    expect(validateKeepalived(labInventory({ all: { ...v2, keepalived_auth_pass: 'vrrp-pw1' } }), lbHosts(labInventory()))).toEqual([]);
    const v3 = labInventory({ all: { keepalived_auth_pass: new Secret('vrrp-pw1') } });
    expect(validateKeepalived(v3, lbHosts(v3))[0]).toBe(
      'lb-01: keepalived_auth_pass is set but VRRPv3 has no authentication (RFC 5798); remove it, or set keepalived_vrrp_version: 2');
  });

  it('the advert interval fits the VRRP version, and every lb speaks the same one', () => {
    const sub = labInventory({ all: { keepalived_advert_int: 0.123 } });
    expect(validateKeepalived(sub, lbHosts(sub))[0]).toMatch(/keepalived_advert_int 0.123 must be 0.01–40.95 seconds in steps of 0.01/);
    const v2 = labInventory({ all: { keepalived_vrrp_version: 2, keepalived_auth_pass: 'vrrp-pw1' } });
    expect(validateKeepalived(v2, lbHosts(v2))[0]).toMatch(/keepalived_advert_int 0.5 must be whole seconds from 1 to 255 with VRRPv2/);
    const mixed = labInventory({ hostVars: { 'lb-02': { keepalived_vrrp_version: 2, keepalived_advert_int: 1, keepalived_auth_pass: 'vrrp-pw1' } } });
    expect(validateKeepalived(mixed, lbHosts(mixed))).toContain('keepalived_vrrp_version differs between lb hosts (3, 2): one VRRP instance speaks one version');
    const four = labInventory({ all: { keepalived_vrrp_version: 4 } });
    expect(validateKeepalived(four, lbHosts(four))[0]).toBe('lb-01: keepalived_vrrp_version 4 must be 2 or 3');
  });

  it('runs only on hosts of the lb group', () => {
    const inv = labInventory();
    expect(validateKeepalived(inv, [inv.hosts.get('web-01')!, ...lbHosts(inv)])).toEqual(["web-01: keepalived runs only on hosts of group 'lb'"]);
  });
});

describe('other roles check before connecting', () => {
  it('haproxy: an IPv4 VIP and at least one web host', () => {
    const inv = labInventory({ all: { vip: '' } });
    inv.groups.set('web', []);
    expect(validateHaproxy(inv, lbHosts(inv), { projectRoot: '.' })).toEqual([
      "lb-01: vip '' is not an IPv4 address",
      "lb-01: group 'web' has no hosts: HAProxy's backend would be empty",
      "lb-02: vip '' is not an IPv4 address",
      "lb-02: group 'web' has no hosts: HAProxy's backend would be empty",
    ]);
    const times = labInventory({ all: { haproxy_timeout_client: '30 seconds' } });
    expect(validateHaproxy(times, lbHosts(times), { projectRoot: '.' })[0]).toBe("lb-01: haproxy_timeout_client '30 seconds' is not an HAProxy time (e.g. 5s, 500ms)");
  });

  it('haproxy: ports in range, and the readiness port apart from the others', () => {
    const high = labInventory({ all: { haproxy_ready_port: 70000 } });
    expect(validateHaproxy(high, lbHosts(high), { projectRoot: '.' })[0]).toBe('lb-01: haproxy_ready_port 70000 is not a TCP port (1–65535)');
    const same = labInventory({ all: { haproxy_ready_port: 8404 } });
    expect(validateHaproxy(same, lbHosts(same), { projectRoot: '.' })[0]).toBe('lb-01: haproxy_ready_port must differ from haproxy_frontend_port and haproxy_stats_port');
    expect(validateHaproxy(labInventory(), lbHosts(labInventory()), { projectRoot: '.' })).toEqual([]);
  });

  it('nginx: the upstream needs an app host', () => {
    const inv = labInventory();
    inv.groups.set('app', []);
    expect(validateNginx(inv, hostsOf(inv, 'web'))).toEqual(["web-01: group 'app' has no hosts: nginx's upstream would be empty"]);
  });

  it('mysql: app hosts need IP addresses (grants are by IP), names must be SQL-safe', () => {
    const inv = labInventory({ all: { mysql_app_user: "app'; --" } });
    inv.hosts.get('app-01')!.privateAddress = 'app-01.example';
    expect(validateMysql(inv, hostsOf(inv, 'db'))).toEqual([
      "db-01: mysql_app_user 'app'; --' must be 1–32 letters, digits or _",
      "db-01: app host app-01 has private address 'app-01.example': MySQL accounts are granted by IP (skip-name-resolve), so app hosts need an IP address (set private_address when SSH goes to a name)",
    ]);
    // SSH may go to a name (a bastion's alias, DNS) while the grants name the private address.
    const named = labInventory();
    named.hosts.get('app-01')!.address = 'app-01.example';
    expect(validateMysql(named, hostsOf(named, 'db'))).toEqual([]);
  });

  it('app: a database host, a safe name, at least two releases kept', () => {
    const inv = labInventory({ all: { app_name: 'My App', app_releases_keep: 1 } });
    inv.groups.set('db', []);
    expect(validateApp(inv, hostsOf(inv, 'app'))).toEqual([
      "app-01: app_name 'My App' must match ^[a-z][a-z0-9-]{0,31}$",
      'app-01: app_releases_keep must be an integer ≥ 2 (the current release and one to roll back to)',
      "app-01: no database host: group 'db' is empty and app_db_host is not set",
    ]);
    expect(validateApp(labInventory(), hostsOf(labInventory(), 'app'))).toEqual([]);
    expect(appDefaults.app_releases_keep).toBeGreaterThanOrEqual(2);
  });

  it('firewall: sources must be IPv4 addresses or networks', () => {
    const inv = labInventory({ all: { firewall_admin_sources: ['10.77.0.1', '10.0.0.0/8', 'evil; rm -rf /'] } });
    expect(validateFirewall(inv, hostsOf(inv, 'db'))).toEqual(["db-01: firewall_admin_sources: 'evil; rm -rf /' is not an IPv4 address or network"]);
  });
});

describe('helpers', () => {
  it('envQuote: sh reads back exactly the value (systemd parses double quotes the same way)', () => {
    for (const value of ['plain', "it's", 'a "b" $HOME `id` \\n \\', 'line1\nline2', '$(touch /tmp/x)', '']) {
      const out = execFileSync('sh', ['-c', `X=${envQuote(value)}; printf '%s' "$X"`], { encoding: 'utf8' });
      expect(out).toBe(value);
    }
  }, budget({ processes: 6 }));

  it('haproxyQuote: single quotes, with embedded quotes spliced the sh way', () => {
    expect(haproxyQuote('admin:pw')).toBe("'admin:pw'");
    expect(haproxyQuote("a'b")).toBe("'a'\\''b'");
    expect(haproxyQuote('# $x "y"')).toBe('\'# $x "y"\'');
  });

  it('net: subnets and the interface holding an address', () => {
    expect(sameSubnet('10.77.0.100', '10.77.0.11', 24)).toBe(true);
    expect(sameSubnet('10.77.1.100', '10.77.0.11', 24)).toBe(false);
    expect(sameSubnet('10.77.1.100', '10.77.0.11', 16)).toBe(true);
    expect(sameSubnet('x', '10.77.0.11', 24)).toBe(false);
    const facts = { ...labFacts(labInventory().hosts.get('lb-01')!), interfaces: { eth0: ['192.168.1.5/24'], eth1: ['10.77.0.11/22'] } };
    expect(interfaceHolding(facts, '10.77.0.11')).toEqual({ name: 'eth1', prefix: 22 });
    expect(interfaceHolding(facts, '10.77.0.12')).toBeUndefined();
  });

  it('readTree: the same files make the same hash; a change or a rename makes another', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-tree-'));
    mkdirSync(path.join(dir, 'public'));
    writeFileSync(path.join(dir, 'server.js'), 'one');
    writeFileSync(path.join(dir, 'public', 'a.css'), 'two');
    const first = readTree(dir);
    expect(first.files.map((f) => f.path)).toEqual(['public/a.css', 'server.js']);
    expect(first.directories).toEqual(['public']);
    expect(readTree(dir).sha256).toBe(first.sha256);
    writeFileSync(path.join(dir, 'server.js'), 'one!');
    expect(readTree(dir).sha256).not.toBe(first.sha256);
  });

  it('pruneCommand keeps the newest releases and the current one, on a real shell', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'scaleup-releases-'));
    const releases = path.join(root, 'releases');
    const ids = ['aaaaaaaaaaa1', 'aaaaaaaaaaa2', 'aaaaaaaaaaa3', 'aaaaaaaaaaa4', 'aaaaaaaaaaa5'];
    ids.forEach((id, i) => {
      mkdirSync(path.join(releases, id), { recursive: true });
      utimesSync(path.join(releases, id), 1_000_000 + i, 1_000_000 + i);
    });
    mkdirSync(path.join(releases, 'not-a-release'));
    // The current release is an old one (a rollback): it stays whatever its age.
    symlinkSync(path.join(releases, 'aaaaaaaaaaa1'), path.join(root, 'current'));
    const { command, unless } = pruneCommand({ releases, current: path.join(root, 'current') }, 3);
    const converged = () => {
      try {
        execFileSync('sh', ['-c', unless]);
        return true;
      } catch {
        return false;
      }
    };
    expect(converged()).toBe(false);
    execFileSync('sh', ['-c', command]);
    expect(readdirSync(releases).sort()).toEqual(['aaaaaaaaaaa1', 'aaaaaaaaaaa4', 'aaaaaaaaaaa5', 'not-a-release']);
    expect(converged()).toBe(true);
  }, budget({ processes: 3 }));
});
