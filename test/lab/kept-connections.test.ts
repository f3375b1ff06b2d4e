// SSH connections kept between runs by the connection keeper: the next run reuses them, a dead one
// is replaced, a changed host key is never bypassed, the run lock still ends with the run, and
// `provision connections --close` leaves no session on the host.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labKnownHosts } from './lab-paths.ts';
import { apply, inventoryVariant, LAB_ADDRESSES, onHost, provision, waitFor } from './support.ts';

const NGINX_ON_WEB_01 = ['--role', 'nginx', '--limit', 'web-01'];

/** The deploy user's SSH sessions on web-01 (sshd's per-connection process), as the host sees them. */
async function deploySessions(): Promise<number> {
  const out = await onHost('web-01', "ps -eo user,args | grep -c '^deploy *sshd: deploy' || true");
  return Number(out.stdout.trim());
}

async function keeper(): Promise<{ keeperPid?: number; connections: { name: string; uses: number }[] }> {
  const r = await provision(['connections', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { keeperPid?: number; connections: { name: string; uses: number }[] };
}

describe('kept SSH connections', () => {
  beforeAll(async () => {
    await provision(['connections', '--close']);
    const converge = await apply(NGINX_ON_WEB_01);
    expect(converge.code, converge.stderr).toBe(0);
  });
  afterAll(async () => {
    await provision(['connections', '--close']);
  });

  it('the next run reuses the connection: 0 changed, one SSH session on the host, the run lock released', async () => {
    const again = await apply(NGINX_ON_WEB_01);
    expect(again.code, again.stderr).toBe(0);
    expect(again.result.hosts['web-01']).toMatchObject({ connection: 'reused', changed: 0 });
    expect(await deploySessions()).toBe(1);
    expect((await keeper()).connections.map((c) => c.name)).toEqual(['web-01']);
    // The lock's holder (a `cat` on its channel) ended with the run, though the connection stays.
    expect((await onHost('web-01', 'pgrep -u deploy -x cat || echo none')).stdout.trim()).toBe('none');
    expect((await onHost('web-01', 'flock -n /run/scaleup/lock echo free')).stdout.trim()).toBe('free');
  });

  it('a kept connection that died on the host is replaced by the next run', async () => {
    await apply(NGINX_ON_WEB_01);
    await onHost('web-01', "kill -KILL $(pgrep -f '^sshd: deploy' | tr '\\n' ' ')");
    const after = await apply(NGINX_ON_WEB_01);
    expect(after.code, after.stderr).toBe(0);
    expect(after.result.hosts['web-01']).toMatchObject({ connection: 'new', changed: 0, unreachable: false });
  });

  it('a killed keeper: the next run starts another one and connects again', async () => {
    const { keeperPid } = await keeper();
    expect(keeperPid).toBeGreaterThan(0);
    process.kill(keeperPid!, 'SIGKILL');
    const after = await apply(NGINX_ON_WEB_01);
    expect(after.code, after.stderr).toBe(0);
    expect(after.result.hosts['web-01']).toMatchObject({ connection: 'new', changed: 0 });
    expect((await keeper()).keeperPid).not.toBe(keeperPid);
  });

  it('a changed entry in known_hosts is checked again: the kept connection is not used, the run is refused', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-kept-kh-'));
    const knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(knownHosts, readFileSync(labKnownHosts));
    const variant = inventoryVariant('kept-hostkey', (doc) => doc.setIn(['connection', 'known_hosts'], knownHosts));
    try {
      await apply(NGINX_ON_WEB_01, variant.file);
      const kept = await apply(NGINX_ON_WEB_01, variant.file);
      expect(kept.result.hosts['web-01']).toMatchObject({ connection: 'reused' });
      // web-01's address with db-01's key, in the same file: what a reinstalled host looks like.
      const lines = readFileSync(labKnownHosts, 'utf8').split('\n');
      const dbKey = lines.find((l) => l.startsWith(`${LAB_ADDRESSES['db-01']} `) && l.includes('ssh-ed25519'))!;
      const edited = lines.filter((l) => !l.startsWith(`${LAB_ADDRESSES['web-01']} `));
      writeFileSync(knownHosts, [...edited, dbKey.replace(LAB_ADDRESSES['db-01']!, LAB_ADDRESSES['web-01']!)].join('\n') + '\n');
      const refused = await apply(NGINX_ON_WEB_01, variant.file);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toMatch(/unreachable: web-01: HOST KEY CHANGED/);
    } finally {
      variant.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`connections --close` closes every kept connection; --ssh-persist 0 keeps none', async () => {
    // The suite's earlier inventory variant left a second connection (another known_hosts file).
    await provision(['connections', '--close']);
    await apply(NGINX_ON_WEB_01);
    expect(await deploySessions()).toBe(1);
    const closed = await provision(['connections', '--close']);
    expect(closed.stdout).toMatch(/closed the kept connections/);
    await waitFor('no deploy session left on web-01', async () => (await deploySessions()) === 0, 5000);
    expect((await keeper()).connections).toEqual([]);

    const direct = await apply([...NGINX_ON_WEB_01, '--ssh-persist', '0']);
    expect(direct.result.hosts['web-01']).toMatchObject({ connection: 'new', changed: 0 });
    expect(await deploySessions()).toBe(0);
    expect((await keeper()).keeperPid).toBeUndefined();
  });
});
