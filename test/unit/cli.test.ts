// The binary's contract for CI: usage and input errors are one clear line and exit 1, before any
// connection is attempted (these inventories point at lab addresses; nothing is contacted).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/paths.ts';

function provision(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(projectRoot, 'bin/provision.js'), ...args], {
    cwd: projectRoot, encoding: 'utf8', env: { ...process.env, CI: 'true', ...env }, input: '', timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('provision (no terminal)', () => {
  it('without a command prints usage and exits 1 instead of starting the wizard', () => {
    const r = provision([]);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/Usage: provision/);
  });

  it('apply without --yes refuses to change anything and names the flag', () => {
    const r = provision(['apply', '-i', 'inventory/lab.yml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pass --yes/);
  });

  it('an unknown role or host is an error listing the valid names', () => {
    const role = provision(['apply', '-i', 'inventory/lab.yml', '--role', 'nginxx', '--yes']);
    expect(role.code).toBe(1);
    expect(role.stderr).toMatch(/unknown role 'nginxx'; roles are: .*haproxy.*nginx/);
    const host = provision(['apply', '-i', 'inventory/lab.yml', '--limit', 'web-99', '--yes']);
    expect(host.code).toBe(1);
    expect(host.stderr).toMatch(/web-99/);
    expect(host.stderr).toMatch(/web-01/);
  });

  it('a bad inventory names file, line, column and field, without a stack trace', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-cli-'));
    const file = path.join(dir, 'bad.yml');
    writeFileSync(file, 'groups:\n  web:\n    hosts:\n      web-01: { address: 10.0.0.1, port: "ssh" }\n');
    const r = provision(['apply', '-i', file, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yml:4:\d+: .*port/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('no inventory: says how to give one', () => {
    const r = provision(['apply', '--yes'], { SCALEUP_INVENTORY: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/-i FILE or set SCALEUP_INVENTORY/);
  });
});
