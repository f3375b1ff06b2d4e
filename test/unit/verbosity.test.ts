// -v, -vv and -vvv: how many times -v was given, the trace events a run reports when asked (and
// only then), what the plain output shows at each level, that a secret in a command never shows,
// and --list-tasks on the sample inventory without any host.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { userInfo } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyOptions } from '../../src/cli/commands/apply.ts';
import { plainRenderer } from '../../src/cli/render/plain.ts';
import type { Verbosity } from '../../src/cli/render/trace-lines.ts';
import { LocalConnection } from '../../src/core/connection/local.ts';
import type { Host, Inventory } from '../../src/core/model.ts';
import { quote } from '../../src/core/quote.ts';
import type { RunEvent } from '../../src/core/results.ts';
import { defineRole } from '../../src/core/role.ts';
import { runPlays } from '../../src/core/run.ts';
import { Redactor, Secret } from '../../src/core/secret.ts';
import { file } from '../../src/core/steps/index.ts';
import type { Step } from '../../src/core/steps/step.ts';
import { tracedText, type TraceEvent } from '../../src/core/trace.ts';
import { cliBudget, provision } from './cli-harness.ts';

const SECRET = 'hunter2-s3cr3t-value';
const groupName = () => execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();

function verbosityOf(args: string[]): unknown {
  const cmd = applyOptions(new Command('apply')).exitOverride().configureOutput({ writeErr: () => {} });
  cmd.parse(args, { from: 'user' });
  return cmd.opts().verbose;
}

describe('-v counting', () => {
  it('counts -v, -vv, -vvv, -v -v and --verbose; none is 0', () => {
    expect(verbosityOf([])).toBe(0);
    expect(verbosityOf(['-v'])).toBe(1);
    expect(verbosityOf(['-vv'])).toBe(2);
    expect(verbosityOf(['-vvv'])).toBe(3);
    expect(verbosityOf(['-v', '-v'])).toBe(2);
    expect(verbosityOf(['--verbose', '-vv'])).toBe(3);
  });
});

describe('tracedText', () => {
  const redactor = new Redactor();
  redactor.add(SECRET);

  it('masks a secret before shortening, so a secret cut at the limit never shows in part', () => {
    const command = `${'x'.repeat(390)} printf %s ${quote(SECRET)} > /etc/app.env`;
    const shown = tracedText(command, redactor, 400);
    expect(shown).not.toContain('hunter2');
    expect(shown).toMatch(/… \[\d+ more characters not shown\]$/);
    expect(tracedText(`echo ${SECRET}`, redactor)).toBe('echo ***');
  });

  it('keeps a command on one line with control characters escaped', () => {
    expect(tracedText('printf a\nprintf \x1b[2J', redactor)).toBe('printf a\\nprintf \\x1b[2J');
  });
});

const render = (events: TraceEvent[], verbosity: Verbosity): string => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const sink = plainRenderer({ color: false, verbosity, out, err: out });
  for (const e of events) sink(e);
  return text;
};

describe('plain rendering of trace events', () => {
  const events: TraceEvent[] = [
    {
      type: 'trace-connection', host: 'web-01', become: 'sudo', connectMs: 182.4,
      setup: { link: 'direct', address: '10.0.0.5', port: 22, user: 'deploy', hostKey: 'verified' },
    },
    { type: 'trace-connection', host: 'web-02', become: 'none', connectMs: 2.25, setup: { link: 'kept-reused', address: '10.0.0.6', port: 2222, user: 'root', hostKey: 'verified-by-keeper', via: 'ops@bastion' } },
    { type: 'trace-command', host: 'web-01', command: 'systemctl is-active nginx', become: true, exitCode: 3, roundTripMs: 12.6 },
    { type: 'trace-command', host: 'web-01', command: 'cat > /tmp/x', become: false, exitCode: 0, stdinBytes: 512, roundTripMs: 4.04 },
    { type: 'trace-command', host: 'web-01', command: 'sleep 99', become: false, error: 'timed out after 5 s', roundTripMs: 5000 },
    { type: 'trace-decision', host: 'web-01', role: 'nginx', step: 'package nginx', probe: 'dpkg-query -W nginx', answer: { exitCode: 0, output: 'nginx 1.22' }, changes: [] },
    { type: 'trace-decision', host: 'web-01', role: 'nginx', step: 'template /etc/nginx/nginx.conf', probe: 'cat /etc/nginx/nginx.conf', answer: { exitCode: 1, output: '' }, changes: ['create'] },
  ];

  it('shows nothing of the trace at -v and below', () => {
    expect(render(events, 0)).toBe('');
    expect(render(events, 1)).toBe('');
  });

  it('-vv: each step\'s probe and decision', () => {
    expect(render(events, 2)).toBe(
      'probe: web-01 | nginx | package nginx: dpkg-query -W nginx\n' +
      'decision: web-01 | nginx | package nginx: answered exit 0, "nginx 1.22" → ok: converged (the answer matches what the step wants; nothing to change)\n' +
      'probe: web-01 | nginx | template /etc/nginx/nginx.conf: cat /etc/nginx/nginx.conf\n' +
      'decision: web-01 | nginx | template /etc/nginx/nginx.conf: answered exit 1, no output → 1 change(s): create\n',
    );
  });

  it('-vvv: connections and commands with their times as well', () => {
    const text = render(events, 3);
    expect(text).toContain('connect: web-01 | new SSH connection to 10.0.0.5:22 as deploy, host key verified against known_hosts, become: sudo (182 ms)\n');
    expect(text).toContain('connect: web-02 | kept SSH connection to 10.0.0.6:2222 as root via ops@bastion reused (no handshake), host key verified against known_hosts when the link was opened, become: none (2.3 ms)\n');
    expect(text).toContain('command: web-01 | 13 ms, exit 3, sudo | systemctl is-active nginx\n');
    expect(text).toContain('command: web-01 | 4.0 ms, exit 0, stdin 512 bytes not shown | cat > /tmp/x\n');
    expect(text).toContain('command: web-01 | 5000 ms, error: timed out after 5 s | sleep 99\n');
    expect(text).toContain('decision: web-01 | nginx | package nginx');
  });
});

describe('a traced run on the local shell', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-verbosity-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A step that writes the secret into a file, through its command line and its stdin. */
  const secretStep = (target: string): Step => ({
    name: `write ${target}`,
    probe: () => `[ "$(cat ${quote(target)} 2>/dev/null)" = ${quote(SECRET)} ] && echo same`,
    decide: (out) => (out.stdout.includes('same') ? [] : [{ summary: 'write the secret' }]),
    apply: async (remote) => {
      await remote.run(`printf %s ${quote(SECRET)} > ${quote(target)}`);
      await remote.run(`cat > ${quote(target + '.copy')}`, { stdin: SECRET });
    },
  });

  async function tracedRun(trace: { decisions?: boolean; commands?: boolean } | undefined) {
    const host: Host = { name: 'local-1', address: '127.0.0.1', privateAddress: '127.0.0.1', port: 22, user: 'root', become: false, groups: ['all'], vars: { app_secret: new Secret(SECRET) } };
    const inventory: Inventory = { file: '/nonexistent/inventory.yml', hosts: new Map([[host.name, host]]), groups: new Map([['all', [host.name]]]), knownHosts: '/nonexistent/known_hosts' };
    const role = defineRole({ name: 'verbosity-test', description: 'writes a secret', defaults: {}, steps: () => [secretStep(path.join(dir, 'secret.txt'))] });
    const redactor = new Redactor();
    redactor.add(SECRET);
    const events: RunEvent[] = [];
    const result = await runPlays({
      inventory, plays: [{ name: 'p', hosts: [host], roles: [role] }], redactor, trace,
      connect: async (h) => new LocalConnection(h.name), emit: (e) => events.push(e),
    });
    return { result, events };
  }

  it('reports nothing of its workings when not asked', async () => {
    const { events, result } = await tracedRun(undefined);
    expect(result.totals.changed).toBe(1);
    expect(events.filter((e) => e.type.startsWith('trace-'))).toEqual([]);
  }, 60_000);

  it('-vvv: every command sent with its round trip, the connection, the decision; the secret nowhere', async () => {
    const { events, result } = await tracedRun({ decisions: true, commands: true });
    expect(result.totals.changed).toBe(1);
    const commands = events.filter((e) => e.type === 'trace-command');
    // Facts, the probe batch, and the step's two commands.
    expect(commands.length).toBeGreaterThanOrEqual(4);
    for (const c of commands) expect(c.roundTripMs).toBeGreaterThanOrEqual(0);
    expect(commands.map((c) => c.command)).toContain(`printf %s *** > ${quote(path.join(dir, 'secret.txt'))}`);
    expect(commands.find((c) => c.stdinBytes !== undefined)).toMatchObject({ stdinBytes: SECRET.length, exitCode: 0 });
    expect(events.find((e) => e.type === 'trace-connection')).toMatchObject({ host: 'local-1', become: 'none' });
    expect(events.find((e) => e.type === 'trace-decision')).toMatchObject({ step: `write ${path.join(dir, 'secret.txt')}`, changes: ['write the secret'] });
    expect(JSON.stringify(events)).not.toContain('hunter2');
    const text = render(events.filter((e): e is TraceEvent => e.type.startsWith('trace-')), 3);
    expect(text).toContain('***');
    expect(text).not.toContain('hunter2');
  }, 60_000);

  it('-vv --diff: a file\'s content, which the probe sends in base64, is left out of the probe\'s answer (the secret in it too)', async () => {
    const target = path.join(dir, 'app.env');
    // The secret sits at an offset where its base64 is not the base64 of the secret alone.
    writeFileSync(target, `A=1\nDB_PASSWORD=${SECRET}\n`);
    const host: Host = { name: 'local-1', address: '127.0.0.1', privateAddress: '127.0.0.1', port: 22, user: 'root', become: false, groups: ['all'], vars: {} };
    const inventory: Inventory = { file: '/nonexistent/inventory.yml', hosts: new Map([[host.name, host]]), groups: new Map([['all', [host.name]]]), knownHosts: '/nonexistent/known_hosts' };
    const mode = (statSync(target).mode & 0o777).toString(8).padStart(4, '0');
    const role = defineRole({ name: 'env-file', description: 'an env file', defaults: {}, steps: () => [file.content({ dest: target, content: 'A=2\n', mode, owner: userInfo().username, group: groupName() })] });
    const redactor = new Redactor();
    redactor.add(SECRET);
    const events: RunEvent[] = [];
    await runPlays({
      inventory, plays: [{ name: 'p', hosts: [host], roles: [role] }], redactor, check: true, diff: true, trace: { decisions: true },
      connect: async (h) => new LocalConnection(h.name), emit: (e) => events.push(e),
    });
    const decision = events.find((e) => e.type === 'trace-decision');
    expect(decision?.answer.output).toMatch(/b64=\[\d+ encoded characters not shown\]/);
    const encoded = Buffer.from(readFileSync(target)).toString('base64');
    for (const e of events) expect(JSON.stringify(e)).not.toContain(encoded.slice(0, 24));
  }, 60_000);
});

describe('--list-tasks', () => {
  it('lists plays, roles and steps per host with their tags, without a host or the secrets', async () => {
    // No identity to open the secrets with, and every address unreachable: neither is needed.
    const listed = await provision(['apply', '-i', 'inventory/example.yml', '--list-tasks', '--limit', 'web-01,lb-01', '--role', 'nginx,keepalived'],
      { env: { SCALEUP_AGE_KEY_FILE: '/nonexistent/key.age' } });
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^play #1 \(Web\): web\n {2}host web-01:\n {4}tasks:\n {6}nginx : package nginx\tTAGS: \[nginx\]\n/);
    expect(listed.stdout).toContain('      nginx : service nginx running\tTAGS: [nginx]\n');
    expect(listed.stdout).toContain('      nginx : handlers, run when notified: reload nginx\n');
    // A step there only under systemd says so.
    expect(listed.stdout).toMatch(/ {6}keepalived : directory \/etc\/systemd\/system\/keepalived\.service\.d \(when initSystem=systemd\)\tTAGS: \[keepalived\]\n/);
    expect(listed.stdout).toContain('Listed without connecting. Facts assumed: Debian 12 under systemd');
    // --tags narrows the list as it narrows a run.
    const tagged = await provision(['apply', '-i', 'inventory/example.yml', '--list-tasks', '--limit', 'web-01', '--tags', 'nginx']);
    expect(tagged.code).toBe(0);
    expect(tagged.stdout).toContain('play #1 (Firewall): lb,web,app,db\n  (no step selected by --tags and --skip-tags)\n');
    expect(tagged.stdout).not.toMatch(/firewall : /);
    expect(tagged.stdout).toContain('nginx : package nginx');
  }, cliBudget(2));
});
