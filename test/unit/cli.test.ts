// The binary's contract for CI: usage and input errors are one clear line and exit 1, before any
// connection is attempted (these inventories point at lab addresses; nothing is contacted).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliBudget, provision } from './cli-harness.ts';

describe('provision (no terminal)', () => {
  it('without a command prints usage and exits 1 instead of starting the wizard', async () => {
    const r = await provision([]);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/Usage: provision/);
  }, cliBudget(1));

  it('apply without --yes refuses to change anything and names the flag', async () => {
    const r = await provision(['apply', '-i', 'inventory/lab.yml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pass --yes/);
  }, cliBudget(1));

  it('an unknown role or host is an error listing the valid names', async () => {
    const role = await provision(['apply', '-i', 'inventory/lab.yml', '--role', 'nginxx', '--yes']);
    expect(role.code).toBe(1);
    expect(role.stderr).toMatch(/unknown role 'nginxx'; roles are: .*haproxy.*nginx/);
    const host = await provision(['apply', '-i', 'inventory/lab.yml', '--limit', 'web-99', '--yes']);
    expect(host.code).toBe(1);
    expect(host.stderr).toMatch(/web-99/);
    expect(host.stderr).toMatch(/web-01/);
  }, cliBudget(2));

  it('a bad inventory names file, line, column and field, without a stack trace', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-cli-'));
    const file = path.join(dir, 'bad.yml');
    writeFileSync(file, 'groups:\n  web:\n    hosts:\n      web-01: { address: 10.0.0.1, port: "ssh" }\n');
    const r = await provision(['apply', '-i', file, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yml:4:\d+: .*port/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, cliBudget(1));

  it('no inventory: says how to give one', async () => {
    const r = await provision(['apply', '--yes'], { env: { SCALEUP_INVENTORY: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/-i FILE, set SCALEUP_INVENTORY, or set inventory in scaleup.yml/);
  }, cliBudget(1));
});
