// The firewall in the default stack (issue 12): playbooks/site.yml runs roles/firewall first, on every
// tier. Proven on the lab from the hosts each flow really comes from (a TCP probe run ON the source
// host: bash /dev/tcp with a timeout) and from the control node (10.77.0.1, the bridge):
//   - each tier's port is open to the tier in front of it, and every other host finds it DROPPED (a
//     timeout, not a refusal: the listener is there, the firewall eats the SYN);
//   - the HAProxy stats page only from firewall_admin_sources (inventory/lab.yml: the control node);
//   - VRRP reaches the backup lb from its peer, not from a web host (counted after our filter);
//   - SSH from everywhere by default; restricted to firewall_ssh_sources when set;
//   - a run whose rules would close SSH to the control node refuses on every host and changes nothing;
//   - the stack converges, serves, passes `provision verify --failover` behind it.
// Leaves the five-host stack as inventory/lab.yml describes it (firewall included).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { covers } from '../../roles/firewall/sources.ts';
import { BRIDGE_ADDRESS } from '../../src/lab/addresses.ts';
import { labInventory } from './lab-paths.ts';
import { apply, getVip, inventoryVariant, LAB_ADDRESSES, onHost, provision, sleep, VIP } from './support.ts';

const HOSTS = ['lb-01', 'lb-02', 'web-01', 'app-01', 'db-01'] as const;
type Name = (typeof HOSTS)[number];
const CONTROL = BRIDGE_ADDRESS;
type Source = Name | 'control node';
const SOURCES: Source[] = [...HOSTS, 'control node'];
const GUARD = 'ssh stays open to this run';

/** What a TCP connection attempt found: a listener, a refusal (RST), or nothing within 2 s (dropped). */
type Reach = 'open' | 'refused' | 'dropped';

interface Target {
  name: string;
  address: string;
  port: number;
  /** The host the port is on (a probe from it to itself goes through lo: not part of the matrix). */
  on?: Name;
  /** Who may connect, in the default stack of inventory/lab.yml. */
  from: Source[];
}

const addr = (h: Name) => LAB_ADDRESSES[h]!;

/** The default stack's matrix (the control node is in firewall_admin_sources of inventory/lab.yml). */
const TARGETS: Target[] = [
  { name: 'mysql db-01:3306', address: addr('db-01'), port: 3306, on: 'db-01', from: ['app-01', 'control node'] },
  { name: 'app app-01:3000', address: addr('app-01'), port: 3000, on: 'app-01', from: ['web-01', 'control node'] },
  { name: 'nginx web-01:80', address: addr('web-01'), port: 80, on: 'web-01', from: ['lb-01', 'lb-02', 'control node'] },
  { name: 'stats lb-01:8404', address: addr('lb-01'), port: 8404, on: 'lb-01', from: ['control node'] },
  { name: 'stats lb-02:8404', address: addr('lb-02'), port: 8404, on: 'lb-02', from: ['control node'] },
  { name: 'http VIP:80', address: VIP, port: 80, from: SOURCES },
  ...HOSTS.map((h): Target => ({ name: `ssh ${h}:22`, address: addr(h), port: 22, on: h, from: SOURCES })),
];

/** From lab host `source`, every target at once; bash's exit status tells open (0) from dropped (124, timeout). */
async function reachFromHost(source: Name, targets: Target[]): Promise<Record<string, Reach>> {
  const probes = targets
    .map((t) => `( timeout 2 bash -c 'exec 3<>/dev/tcp/${t.address}/${t.port}' 2>/dev/null; echo "${t.address}:${t.port} $?" ) &`)
    .join('\n');
  const out = (await onHost(source, `${probes}\nwait`)).stdout;
  const status = new Map(out.trim().split('\n').map((l) => l.split(' ') as [string, string]));
  return Object.fromEntries(targets.map((t) => {
    const code = status.get(`${t.address}:${t.port}`);
    return [t.name, code === '0' ? 'open' : code === '124' ? 'dropped' : 'refused'];
  }));
}

/** From the control node. */
function reachHere(address: string, port: number): Promise<Reach> {
  return new Promise((resolve) => {
    const s = net.connect({ host: address, port, timeout: 2000 });
    s.on('connect', () => { s.destroy(); resolve('open'); });
    s.on('timeout', () => { s.destroy(); resolve('dropped'); });
    s.on('error', () => resolve('refused'));
  });
}

/** target → source → what the source found; a host's own ports are left out. */
type Matrix = Record<string, Partial<Record<Source, Reach>>>;

async function matrix(targets = TARGETS): Promise<Matrix> {
  const result: Matrix = Object.fromEntries(targets.map((t) => [t.name, {}]));
  await Promise.all(HOSTS.map(async (src) => {
    const mine = targets.filter((t) => t.on !== src);
    const seen = await reachFromHost(src, mine);
    for (const t of mine) result[t.name]![src] = seen[t.name];
  }));
  await Promise.all(targets.map(async (t) => { result[t.name]!['control node'] = await reachHere(t.address, t.port); }));
  return result;
}

/** What `matrix()` must find: allowed sources open, every other source dropped by the firewall. */
function expected(targets = TARGETS, from = (t: Target) => t.from): Matrix {
  return Object.fromEntries(targets.map((t) => [t.name, Object.fromEntries(
    SOURCES.filter((s) => s !== t.on).map((s) => [s, from(t).includes(s) ? 'open' : 'dropped']),
  )]));
}

/** Per host: the rules file and the live table, to tell that a run changed nothing. */
async function firewallState(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const h of HOSTS) out[h] = (await onHost(h, 'sha256sum /etc/nftables.conf; nft list table inet scaleup')).stdout;
  return out;
}

async function vipHolder(): Promise<Name | undefined> {
  for (const lb of ['lb-01', 'lb-02'] as const) {
    if ((await onHost(lb, `ip -o -4 addr show | grep -q ' ${VIP}/' && echo yes || true`)).stdout.trim() === 'yes') return lb;
  }
  return undefined;
}

describe('the firewall in the default stack (site.yml) on the lab', () => {
  afterAll(async () => {
    const back = await apply([]);
    expect(back.code, back.stderr).toBe(0);
    expect((await apply([])).result.totals.changed).toBe(0);
    expect((await getVip()).status).toBe(200);
  });

  it('inventory/lab.yml lists the control node in firewall_admin_sources (the lab suites reach tier ports and the stats page from it)', () => {
    const admin = (parse(readFileSync(labInventory, 'utf8')) as { vars?: { firewall_admin_sources?: string[] } }).vars?.firewall_admin_sources ?? [];
    expect(covers(admin, CONTROL), `vars.firewall_admin_sources of inventory/lab.yml: ${JSON.stringify(admin)}`).toBe(true);
  });

  it('site.yml runs the firewall first on every host, converges, and a second run changes nothing', async () => {
    const run = await apply([]);
    expect(run.result.steps.filter((s) => s.status === 'failed'), run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(Object.keys(run.result.hosts).sort()).toEqual([...HOSTS].sort());
    for (const h of HOSTS) {
      const steps = run.result.steps.filter((s) => s.host === h);
      expect(steps[0], h).toMatchObject({ role: 'firewall', step: GUARD, status: 'ok' });
      // Every firewall step comes before the host's first tier role step.
      const firstTier = steps.findIndex((s) => s.role !== 'firewall');
      expect(firstTier, h).toBeGreaterThan(0);
      expect(steps.slice(firstTier).filter((s) => s.role === 'firewall'), h).toEqual([]);
      expect((await onHost(h, 'nft list table inet scaleup | grep -c "policy drop"')).stdout.trim(), h).toBe('1');
    }
    const again = await apply([]);
    expect(again.result.totals.changed, JSON.stringify(again.result.steps.filter((s) => s.status !== 'ok'), null, 1)).toBe(0);
    // playbooks/firewall.yml is that same play: nothing to change either.
    const alone = await apply(['-p', 'playbooks/firewall.yml']);
    expect(alone.code).toBe(0);
    expect(alone.result.totals.changed).toBe(0);
  });

  it('each tier is reachable only from the tier in front of it; the VIP and SSH from everywhere', async () => {
    expect(await matrix()).toEqual(expected());
  });

  it('every tier-skipping flow is dropped', async () => {
    const m = await matrix();
    const skipping: [Source, string][] = [
      ['web-01', 'mysql db-01:3306'], ['lb-01', 'mysql db-01:3306'], ['lb-02', 'mysql db-01:3306'],
      ['lb-01', 'app app-01:3000'], ['lb-02', 'app app-01:3000'], ['db-01', 'app app-01:3000'],
      ['app-01', 'nginx web-01:80'], ['db-01', 'nginx web-01:80'],
      ['app-01', 'stats lb-01:8404'], ['web-01', 'stats lb-01:8404'], ['db-01', 'stats lb-02:8404'],
      // The other load balancer is no admin either.
      ['lb-02', 'stats lb-01:8404'], ['lb-01', 'stats lb-02:8404'],
    ];
    expect(skipping.map(([src, t]) => `${src} → ${t}: ${m[t]![src]}`)).toEqual(skipping.map(([src, t]) => `${src} → ${t}: dropped`));
  });

  it('VRRP reaches the backup load balancer from its peer, and not from a web host', async () => {
    const holder = await vipHolder();
    expect(holder, 'one lb holds the VIP').toBeDefined();
    const backup: Name = holder === 'lb-01' ? 'lb-02' : 'lb-01';
    // A chain after ours on the input hook (priority 10 > filter) sees only what our chain let through.
    const counting = `table inet scaleup_vrrp_count {
  chain input {
    type filter hook input priority 10; policy accept;
    ip saddr ${addr(holder!)} ip protocol vrrp counter comment "from-peer"
    ip saddr ${addr('web-01')} ip protocol vrrp counter comment "from-web"
  }
}`;
    await onHost(backup, `nft delete table inet scaleup_vrrp_count 2>/dev/null; nft -f - <<'EOF'\n${counting}\nEOF`);
    try {
      // Ten VRRP (IP protocol 112) packets from web-01, nonsense inside: keepalived would drop them anyway.
      const sent = await onHost('web-01', `python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
for _ in range(10):
    s.sendto(bytes(20), ("${addr(backup)}", 0)); time.sleep(0.05)
print("sent")'`);
      expect(sent.stdout.trim(), sent.stderr).toBe('sent');
      await sleep(1500); // the master advertises every 0.5 s
      const listed = (await onHost(backup, 'nft list table inet scaleup_vrrp_count')).stdout;
      const count = (tag: string) => Number(new RegExp(`counter packets (\\d+) bytes \\d+ comment "${tag}"`).exec(listed)?.[1] ?? NaN);
      expect(count('from-peer'), listed).toBeGreaterThan(0);
      expect(count('from-web'), listed).toBe(0);
    } finally {
      await onHost(backup, 'nft delete table inet scaleup_vrrp_count 2>/dev/null; true');
    }
  });

  it('the stats page answers the admin source (401 without the password) and nobody else', async () => {
    for (const lb of ['lb-01', 'lb-02'] as const) {
      const res = await fetch(`http://${addr(lb)}:8404/`, { signal: AbortSignal.timeout(3000) });
      expect(res.status, lb).toBe(401);
    }
    // Without firewall_admin_sources the control node is a stranger too: stats and tier ports dropped.
    const variant = inventoryVariant('fw-no-admin', (doc) => doc.setIn(['vars', 'firewall_admin_sources'], []));
    try {
      const run = await apply([], variant.file);
      expect(run.code, run.stderr).toBe(0);
      const open = (t: Target) => t.from.length === SOURCES.length; // the VIP and SSH: anyone
      expect(await matrix()).toEqual(expected(TARGETS, (t) => (open(t) ? t.from : t.from.filter((s) => s !== 'control node'))));
      expect((await getVip()).status).toBe(200);
    } finally {
      variant.remove();
    }
    const back = await apply([]);
    expect(back.code, back.stderr).toBe(0);
    expect(await reachHere(addr('lb-01'), 8404)).toBe('open');
  });

  it('a run whose rules would close SSH to the control node refuses on every host, in --check too, and changes nothing', async () => {
    const before = await firewallState();
    const cases = [
      { name: 'fw-lockout-sources', set: ['firewall_ssh_sources', ['192.0.2.0/24']] as const, says: `would close SSH to ${CONTROL}` },
      { name: 'fw-lockout-port', set: ['firewall_ssh_port', 2222] as const, says: 'reached HOST on SSH port 22, but the rules open SSH on firewall_ssh_port 2222 only' },
    ];
    for (const c of cases) {
      const variant = inventoryVariant(c.name, (doc) => doc.setIn(['vars', c.set[0]], c.set[1]));
      try {
        for (const mode of [['--check'], []]) {
          const run = await apply(mode, variant.file);
          const what = `${c.name} ${mode.join(' ')}`;
          expect(run.code, `${what}: ${run.stderr}`).toBe(2);
          const failed = run.result.steps.filter((s) => s.status === 'failed');
          expect(failed.map((s) => s.host).sort(), what).toEqual([...HOSTS].sort());
          for (const s of failed) {
            expect(s, what).toMatchObject({ role: 'firewall', step: GUARD });
            expect(s.error, what).toContain(c.says.replace('HOST', s.host));
            expect(run.stderr, what).toContain(`refusing to load the firewall on ${s.host}`);
          }
          // The guard is the first step of the first play: nothing else ran anywhere.
          expect(run.result.steps.filter((s) => s.status !== 'failed'), what).toEqual([]);
        }
      } finally {
        variant.remove();
      }
    }
    expect(await firewallState()).toEqual(before);
    expect((await reachFromHost('web-01', [TARGETS.find((t) => t.name === 'ssh db-01:22')!]))['ssh db-01:22']).toBe('open');
  });

  it('SSH restricted to the control node: new connections from it still work, a host of the stack is dropped; then back to anyone', async () => {
    const variant = inventoryVariant('fw-ssh-control', (doc) => doc.setIn(['vars', 'firewall_ssh_sources'], [CONTROL]));
    const ssh = TARGETS.filter((t) => t.port === 22);
    try {
      const run = await apply([], variant.file);
      expect(run.code, run.stderr).toBe(0);
      for (const h of HOSTS) {
        expect(run.result.steps.filter((s) => s.host === h && s.status === 'changed').map((s) => s.step), h)
          .toEqual(['template /etc/nftables.conf', 'reload firewall']);
      }
      // Kept connections closed: the next run connects anew, through the new rules.
      await provision(['connections', '--close']);
      const fresh = await apply([], variant.file);
      expect(fresh.code, fresh.stderr).toBe(0);
      expect(fresh.result.totals.changed).toBe(0);
      expect(await matrix(ssh)).toEqual(expected(ssh, () => ['control node']));
    } finally {
      variant.remove();
    }
    const back = await apply([]);
    expect(back.code, back.stderr).toBe(0);
    expect(await matrix(ssh)).toEqual(expected(ssh));
  });

  it('rules missing from the host (flushed, or a reboot on sysv) are loaded again by the next run', async () => {
    await onHost('db-01', 'nft delete table inet scaleup');
    expect((await reachFromHost('web-01', [TARGETS[0]!]))[TARGETS[0]!.name]).toBe('open');
    const run = await apply(['-p', 'playbooks/firewall.yml', '--limit', 'db-01']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.result.steps.filter((s) => s.status === 'changed').map((s) => s.step)).toEqual(['load firewall rules']);
    expect((await reachFromHost('web-01', [TARGETS[0]!]))[TARGETS[0]!.name]).toBe('dropped');
  });

  it('the stack works behind it: the VIP serves, provision verify --failover passes', async () => {
    expect((await getVip()).status).toBe(200);
    const verify = await provision(['verify', '-i', 'inventory/lab.yml', '--failover', '--json']);
    const report = JSON.parse(verify.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(verify.code).toBe(0);
    expect(await vipHolder()).toBe('lb-01');
  });
});
