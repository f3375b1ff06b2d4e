// `-vvv` on the lab: a check run of the mysql role on db-01 (whose probes and SQL carry the app's
// password) shows how the connection was set up, every command sent with its round-trip time, each
// step's probe and decision — and no secret value of inventory/lab.secrets.age, in any form.
// A second pair of runs through the connection keeper shows the kept connection being reused.
// Changes nothing on the hosts (--check).
import { beforeAll, describe, expect, it } from 'vitest';
import { openSecretsFile } from '../../src/core/vault.ts';
import { LAB_ADDRESSES, provision } from './support.ts';

let secrets: Record<string, string> = {};

/** The secrets found in `text`, by name (never the value: this report goes to the test log). */
function leaks(text: string): string[] {
  return Object.entries(secrets).flatMap(([name, v]) => [
    { name, text: v },
    { name: `${name} (base64)`, text: Buffer.from(v).toString('base64').replace(/=+$/, '') },
  ]).filter((f) => text.includes(f.text)).map((f) => f.name);
}

const CHECK_MYSQL = ['role', 'mysql', '-i', 'inventory/lab.yml', '--limit', 'db-01', '--check', '-vvv'];

describe('-vvv on the lab', () => {
  beforeAll(async () => {
    const opened = await openSecretsFile('inventory/lab.secrets.age');
    secrets = Object.fromEntries(Object.entries(opened.secrets).map(([k, v]) => [k, v.reveal()]));
    expect(Object.keys(secrets)).toContain('mysql_app_password');
  });

  it('shows the connection, each command with its round trip, each probe and decision; no secret', async () => {
    const run = await provision(CHECK_MYSQL, { SCALEUP_SSH_PERSIST: '0' });
    expect(leaks(run.stdout + run.stderr)).toEqual([]);
    expect(run.code, run.stderr).toBe(0);
    const address = LAB_ADDRESSES['db-01']!.replace(/\./g, '\\.');
    expect(run.stdout).toMatch(new RegExp(`^connect: db-01 \\| new SSH connection to ${address}:22 as \\S+, host key verified against known_hosts, become: (none|sudo)[^(]* \\(\\d+(\\.\\d)? ms\\)$`, 'm'));
    // The lock with the facts, the probes of the role, and more: each with its time and exit code.
    const commands = run.stdout.split('\n').filter((l) => l.startsWith('command: db-01 | '));
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const c of commands) expect(c).toMatch(/^command: db-01 \| \d+(\.\d)? ms, (exit \d+|lock held)/);
    expect(commands.some((c) => c.includes('take the run lock, then:'))).toBe(true);
    expect(run.stdout).toMatch(/^probe: db-01 \| mysql \| mysql users app: /m);
    expect(run.stdout).toMatch(/^decision: db-01 \| mysql \| mysql users app: answered exit \d+.* → (ok: converged|\d+ change)/m);
    // -v's part: every step, the converged ones too.
    expect(run.stdout).toMatch(/^ok: db-01 \| mysql \| /m);
  }, 180_000);

  it('through the connection keeper: the second run reuses the kept connection', async () => {
    // Kept 5 s: long enough for the second run, and the keeper is gone soon after.
    const first = await provision(CHECK_MYSQL, { SCALEUP_SSH_PERSIST: '5' });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^connect: db-01 \| (new SSH connection to \S+ as \S+, opened by the connection keeper|kept SSH connection to \S+ as \S+ reused)/m);
    const second = await provision(CHECK_MYSQL, { SCALEUP_SSH_PERSIST: '5' });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^connect: db-01 \| kept SSH connection to \S+ as \S+ reused \(no handshake\), host key verified against known_hosts when the link was opened/m);
    expect(leaks(first.stdout + first.stderr + second.stdout + second.stderr)).toEqual([]);
  }, 180_000);
});
