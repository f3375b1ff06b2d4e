// The optional firewall role (roles/firewall, playbooks/firewall.yml) on the lab (issue 7): each tier
// reachable only from the tier in front of it, verified by TCP probes from every host (bash /dev/tcp
// with a timeout) and from the control node; SSH and the stack keep working. At the end the hosts are
// as they were before: no nftables package, config or rules.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, getVip, LAB_ADDRESSES, onHost, provision, VIP } from './support.ts';

const HOSTS = ['lb-01', 'lb-02', 'web-01', 'app-01', 'db-01'] as const;
type Name = (typeof HOSTS)[number];

/** The tier ports, and who may reach them once the firewall is on (besides the host itself). */
const SERVICES: { name: string; host: Name; port: number; from: Name[] }[] = [
  { name: 'mysql on db-01', host: 'db-01', port: 3306, from: ['app-01'] },
  { name: 'app on app-01', host: 'app-01', port: 3000, from: ['web-01'] },
  { name: 'nginx on web-01', host: 'web-01', port: 80, from: ['lb-01', 'lb-02'] },
];

/** From `source`, which of `targets` accept a TCP connection within 2 s (all probes at once). */
async function reachableFrom(source: Name, targets: { address: string; port: number }[]): Promise<Record<string, boolean>> {
  const probes = targets
    .map((t) => `( timeout 2 bash -c 'exec 3<>/dev/tcp/${t.address}/${t.port}' 2>/dev/null && echo "${t.address}:${t.port} open" || echo "${t.address}:${t.port} closed" ) &`)
    .join('\n');
  const out = (await onHost(source, `${probes}\nwait`)).stdout;
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k!, v === 'open']));
}

/** From the control node (10.77.0.1). */
function reachableHere(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: address, port, timeout: 2000 });
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('timeout', () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(false));
  });
}

/** The whole matrix: service → source host → reachable. */
async function matrix(): Promise<Record<string, Record<string, boolean>>> {
  const result: Record<string, Record<string, boolean>> = {};
  for (const s of SERVICES) result[s.name] = {};
  result['VIP:80'] = {};
  result['ssh'] = {};
  await Promise.all(HOSTS.map(async (src) => {
    const targets = [
      ...SERVICES.filter((s) => s.host !== src).map((s) => ({ address: LAB_ADDRESSES[s.host]!, port: s.port })),
      { address: VIP, port: 80 },
      ...HOSTS.filter((h) => h !== src).map((h) => ({ address: LAB_ADDRESSES[h]!, port: 22 })),
    ];
    const seen = await reachableFrom(src, targets);
    for (const s of SERVICES) if (s.host !== src) result[s.name]![src] = seen[`${LAB_ADDRESSES[s.host]}:${s.port}`]!;
    result['VIP:80']![src] = seen[`${VIP}:80`]!;
    result['ssh']![src] = HOSTS.filter((h) => h !== src).every((h) => seen[`${LAB_ADDRESSES[h]}:22`]);
  }));
  for (const s of SERVICES) result[s.name]!['control node'] = await reachableHere(LAB_ADDRESSES[s.host]!, s.port);
  result['VIP:80']!['control node'] = await reachableHere(VIP, 80);
  result['ssh']!['control node'] = (await Promise.all(HOSTS.map((h) => reachableHere(LAB_ADDRESSES[h]!, 22)))).every(Boolean);
  return result;
}

/** Everything open (no firewall): what the lab looks like before and after this suite. */
function allOpen(): Record<string, Record<string, boolean>> {
  const sources = [...HOSTS, 'control node'];
  const row = (skip?: string) => Object.fromEntries(sources.filter((s) => s !== skip).map((s) => [s, true]));
  return {
    ...Object.fromEntries(SERVICES.map((s) => [s.name, row(s.host)])),
    'VIP:80': row(),
    ssh: row(),
  };
}

describe('the firewall role on the lab', () => {
  const before = new Map<string, string>();

  beforeAll(async () => {
    // What there is to restore: nftables installed or not, its config, its rules, its service.
    for (const h of HOSTS) {
      before.set(h, (await onHost(h, 'dpkg-query -W -f="${db:Status-Abbrev}" nftables 2>/dev/null; echo; command -v nft >/dev/null && nft list ruleset; true')).stdout);
    }
    expect(await matrix()).toEqual(allOpen());
  });

  afterAll(async () => {
    // No rules, no service, no config: as found. (Stopping nftables.service flushes the ruleset too.)
    for (const h of HOSTS) {
      const installedBefore = before.get(h)!.startsWith('ii');
      await onHost(h, 'command -v nft >/dev/null && nft flush ruleset; systemctl disable --now nftables >/dev/null 2>&1; true');
      if (!installedBefore) await onHost(h, 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q nftables >/dev/null; rm -f /etc/nftables.conf');
      const now = (await onHost(h, 'dpkg-query -W -f="${db:Status-Abbrev}" nftables 2>/dev/null; echo; command -v nft >/dev/null && nft list ruleset; true')).stdout;
      expect(now.split('\n').slice(1).join('\n').trim(), h).toBe('');
    }
    expect(await matrix()).toEqual(allOpen());
    expect((await getVip()).status).toBe(200);
  });

  it('applies with playbooks/firewall.yml, one host at a time, and converges', async () => {
    const run = await apply(['-p', 'playbooks/firewall.yml']);
    expect(run.result.steps.filter((s) => s.status === 'failed'), run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(Object.keys(run.result.hosts).sort()).toEqual([...HOSTS].sort());
    for (const h of HOSTS) expect((await onHost(h, 'nft list table inet scaleup | grep -c "policy drop"')).stdout.trim(), h).toBe('1');
    const again = await apply(['-p', 'playbooks/firewall.yml']);
    expect(again.result.totals.changed).toBe(0);
  });

  it('each tier is reachable only from the tier in front of it; SSH and the VIP from everywhere', async () => {
    const expected = allOpen();
    for (const s of SERVICES) {
      for (const src of Object.keys(expected[s.name]!)) expected[s.name]![src] = (s.from as string[]).includes(src);
    }
    expect(await matrix()).toEqual(expected);
  });

  it('the stack still works behind it: the VIP serves, one lb holds it, provision verify passes', async () => {
    expect((await getVip()).status).toBe(200);
    const verify = await provision(['verify', '-i', 'inventory/lab.yml', '--json']);
    const report = JSON.parse(verify.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(verify.code).toBe(0);
  });
});
