// The tool's own inputs (issue 12): a numeric flag out of range and a report path that cannot be
// written are usage errors (exit 1) that name the flag, before any run starts, and no mistake of the
// person's shows a stack trace. The inventory here has one host and no SSH key, so a run that did
// start would end "unreachable" (exit 4) without a packet sent.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { wholeNumberProblem } from '../../src/cli/commands/numeric-flags.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { cliBudget, provision, type CliResult } from './cli-harness.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-cli-inputs-'));
// Readable by another user: one case runs the CLI as `nobody`.
chmodSync(dir, 0o755);
const inventory = path.join(dir, 'inventory.yml');
writeFileSync(inventory, 'connection:\n  user: deploy\ngroups:\n  db:\n    hosts:\n      db-01: { address: 127.0.0.1 }\n');
const playbook = path.join(dir, 'site.yml');
writeFileSync(playbook, '- name: Base\n  hosts: db\n  roles: [baseline]\n');
const project = ['-i', inventory, '-p', playbook];

/** Refused as the person's mistake: exit 1, the message, no run started, no stack trace. */
function expectUsageError(r: CliResult, message: string | RegExp): void {
  expect(r.stderr).toMatch(message);
  expect(r.stdout).not.toMatch(/PLAY|RECAP/);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(r.code).toBe(EXIT.usage);
}

describe('numeric flags', () => {
  it('take whole numbers in their range only', () => {
    const forks = { min: 1 };
    for (const good of ['1', '10', '007']) expect(wholeNumberProblem(good, forks)).toBeUndefined();
    for (const bad of ['0', '-3', 'abc', '', ' 5', '5 ', '1.5', '1e3', '0x10', '+2', '-0', '99999999999999999999']) {
      expect(wholeNumberProblem(bad, forks), bad).toBe('a whole number ≥ 1');
    }
    expect(wholeNumberProblem('0', { min: 0, max: 5, unit: 'seconds' })).toBeUndefined();
    expect(wholeNumberProblem('6', { min: 0, max: 5, unit: 'seconds', note: '0: none' })).toBe('a whole number of seconds from 0 to 5 (0: none)');
  });

  // Before: `--forks 0` and `--forks abc` ran no host and exited 0, so a CI drift check passed.
  it.each([
    ['apply', '--forks', '0', /--forks must be a whole number ≥ 1/],
    ['apply', '--forks', 'abc', /--forks must be a whole number ≥ 1/],
    ['apply', '--forks', '-3', /--forks must be a whole number ≥ 1/],
    ['role baseline', '-f', '2.5', /--forks must be a whole number ≥ 1/],
    ['apply', '--step-timeout', '-5', /--step-timeout must be a whole number of seconds from 1 to 2147483/],
    ['apply', '--step-timeout', '0', /--step-timeout must be a whole number of seconds from 1 to 2147483/],
    ['apply', '--step-timeout', '1h', /--step-timeout must be a whole number of seconds/],
    ['apply', '--ssh-persist', '99999999', /--ssh-persist must be a whole number of seconds from 0 to 2147483 \(0 keeps no connection\)/],
    ['facts', '--ssh-persist', '1e3', /--ssh-persist must be a whole number of seconds/],
    ['verify', '--ssh-persist', '-1', /--ssh-persist must be a whole number of seconds/],
  ])('%s %s %s: a usage error naming the flag and the value', async (command, flag, value, message) => {
    const drift = command === 'facts' || command === 'verify' ? [] : ['-p', playbook, '--check', '--detailed-exitcode'];
    const r = await provision([...command.split(' '), '-i', inventory, ...drift, flag, value]);
    expectUsageError(r, message);
    expect(r.stderr).toContain(`'${value}'`);
  }, cliBudget(1));

  it('good values reach the run (which finds the host unreachable: it has no key)', async () => {
    const r = await provision(['apply', ...project, '--check', '--forks', '3', '--step-timeout', '30', '--ssh-persist', '0']);
    expect(r.stdout).toMatch(/PLAY Base/);
    expect(r.code).toBe(EXIT.unreachable);
  }, cliBudget(1));
});

describe('report files', () => {
  it.each([
    ['a missing directory', '--json', path.join(dir, 'missing', 'result.json'), 'its directory does not exist'],
    ['a directory', '--json', dir, 'it is a directory'],
    ['a path through a file', '--junit', path.join(inventory, 'report.xml'), 'a part of the path is not a directory'],
    ['a missing directory', '--report', path.join(dir, 'missing', 'run.html'), 'its directory does not exist'],
  ])('%s: refused before the run, naming the flag', async (_what, flag, target, reason) => {
    const r = await provision(['apply', ...project, '--check', flag, target]);
    expectUsageError(r, `${flag} ${target}: cannot write the report there: ${reason}`);
  }, cliBudget(1));

  it('a directory the user may not write: refused before the run, nothing left behind', async () => {
    const locked = path.join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    // Root may write anywhere: the CLI runs as `nobody` then, to whom `locked` (root's) is closed.
    const uid = process.getuid!() === 0 ? 65534 : undefined;
    const target = path.join(locked, 'result.xml');
    const r = await provision(['apply', ...project, '--check', '--junit', target], { uid, cwd: dir });
    expectUsageError(r, `--junit ${target}: cannot write the report there: permission denied`);
    expect(existsSync(target)).toBe(false);
  }, cliBudget(1));

  it('a good path is probed without a trace: a new file only appears with the report, an old one is kept until then', async () => {
    const fresh = path.join(dir, 'fresh.json');
    const page = path.join(dir, 'run.html');
    const old = path.join(dir, 'old.xml');
    writeFileSync(old, 'previous report');
    // The paths are checked, then the run is refused (an unknown role): nothing created or truncated.
    const unknownRole = await provision(['apply', ...project, '--check', '--json', fresh, '--junit', old, '--report', page, '--role', 'nope']);
    expect(unknownRole.code).toBe(EXIT.usage);
    expect(existsSync(fresh)).toBe(false);
    expect(existsSync(page)).toBe(false);
    expect(readFileSync(old, 'utf8')).toBe('previous report');
    const run = await provision(['apply', ...project, '--check', '--json', fresh, '--junit', old, '--report', page]);
    expect(run.code).toBe(EXIT.unreachable);
    // Written also when the run fails: the host it could not reach is the first thing on the page.
    expect(readFileSync(page, 'utf8')).toMatch(/<h2>Failures \(1\)<\/h2><div class="failure" data-host="[^"]+" data-status="unreachable">/);
    expect(JSON.parse(readFileSync(fresh, 'utf8')).totals).toMatchObject({ unreachable: 1 });
    expect(readFileSync(old, 'utf8')).toMatch(/^<\?xml/);
  }, cliBudget(2));
});

describe('what the file system refuses', () => {
  it('is the person\'s error, one line, exit 1, no stack trace (vault encrypt onto a directory)', async () => {
    const vault = mkdtempSync(path.join(tmpdir(), 'scaleup-cli-vault-'));
    const plain = path.join(vault, 'secrets.yml');
    writeFileSync(plain, 'db_password: "x"\n');
    const init = await provision(['vault', 'init', '-i', path.join(vault, 'inv.yml')]);
    expect(init.code).toBe(EXIT.ok);
    const r = await provision(['vault', 'encrypt', plain, '-o', vault, '--force', '--age-key-file', path.join(vault, 'inv.agekey')]);
    expect(r.stderr).toMatch(/^error: EISDIR: .*\n$/);
    expect(r.code).toBe(EXIT.usage);
  }, cliBudget(2));
});
