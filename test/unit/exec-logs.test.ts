// `provision exec` and `provision logs` without hosts: how output lines are prefixed and grouped, the
// exit code of an ad-hoc run, the command line after `--`, journal and file lines with their times,
// interleaving by time, `--since`, and the mistakes refused before anything connects.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { afterSeparator, adHocExitCode, commandLine } from '../../src/cli/commands/exec.ts';
import { logPlan } from '../../src/cli/commands/logs.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { adHocBlock, adHocLines, logLine, nameWidth, prefixedLines, summaryLine } from '../../src/cli/render/host-lines.ts';
import { runAdHoc, type AdHocResult } from '../../src/core/ad-hoc.ts';
import type { Connection } from '../../src/core/connection/connection.ts';
import { ConnectError, InventoryError, StepError } from '../../src/core/errors.ts';
import type { Facts } from '../../src/core/facts/facts.ts';
import { fileLines, fileLineTime, interleave, isoLocal, parseJournalEntry, type LogLine } from '../../src/core/logs/log-lines.ts';
import { filesScript, journalFollowScript, journalScript, splitMarked } from '../../src/core/logs/log-script.ts';
import { checkedSince, sinceInstant } from '../../src/core/logs/since.ts';
import type { Host } from '../../src/core/model.ts';
import type { Role } from '../../src/core/role.ts';
import type { RoleChain } from '../../src/core/role-source.ts';
import { Redactor, Secret } from '../../src/core/secret.ts';
import { cliBudget, provision } from './cli-harness.ts';

const host = (name: string, vars: Host['vars'] = {}): Host => ({ name, address: '192.0.2.1', privateAddress: '192.0.2.1', port: 22, user: 'deploy', become: true, groups: [], vars });
const result = (r: Partial<AdHocResult> & { host: string }): AdHocResult => ({ status: 'ok', exitCode: 0, stdout: '', stderr: '', durationMs: 1200, ...r });

describe('exec output', () => {
  it('prefixes every line with the host name padded to the longest, stderr marked with !', () => {
    const w = nameWidth(['web-01', 'db-1']);
    expect(prefixedLines('db-1', 'a\nb\n', w)).toEqual(['db-1   | a', 'db-1   | b']);
    expect(prefixedLines('web-01', 'oops\n', w, 'stderr')).toEqual(['web-01 ! oops']);
    expect(prefixedLines('web-01', '', w)).toEqual([]);
    // An empty line of output stays a line.
    expect(prefixedLines('web-01', 'a\n\nb', w)).toEqual(['web-01 | a', 'web-01 |', 'web-01 | b']);
  });

  it('adds the outcome of a host that did not end with exit 0', () => {
    expect(adHocLines(result({ host: 'a', stdout: 'x\n' }), 1)).toEqual(['a | x']);
    expect(adHocLines(result({ host: 'a', status: 'failed', exitCode: 3, stderr: 'bad\n' }), 1)).toEqual(['a ! bad', 'a ! failed: exit code 3']);
    expect(adHocLines(result({ host: 'a', status: 'unreachable', exitCode: null, error: 'a: cannot connect' }), 1)).toEqual(['a ! unreachable: a: cannot connect']);
    expect(adHocLines(result({ host: 'a', status: 'failed', exitCode: null, error: 'timed out after 5 s' }), 1)).toEqual(['a ! failed: timed out after 5 s']);
  });

  it('--group: a header per host, then its lines', () => {
    expect(adHocBlock(result({ host: 'web-01', stdout: 'up\n', stderr: 'warn\n' }))).toEqual(['==> web-01: ok (1.2 s)', 'up', '! warn']);
  });

  it('one summary line, and the exit code of the worst host: failed (2) over unreachable (4) over ok', () => {
    expect(summaryLine({ ok: 2, failed: 1, unreachable: 0 })).toBe('2 ok, 1 failed, 0 unreachable');
    const ok = result({ host: 'a' });
    const failed = result({ host: 'b', status: 'failed', exitCode: 1 });
    const gone = result({ host: 'c', status: 'unreachable', exitCode: null });
    expect(adHocExitCode([ok])).toBe(EXIT.ok);
    expect(adHocExitCode([ok, gone])).toBe(EXIT.unreachable);
    expect(adHocExitCode([ok, gone, failed])).toBe(EXIT.stepFailed);
  });
});

describe('exec command line', () => {
  it('is the words after --, joined by spaces for the host\'s shell', () => {
    expect(commandLine(['uptime', '-p'], true)).toBe('uptime -p');
    expect(commandLine(['echo $HOME | wc -c'], true)).toBe('echo $HOME | wc -c');
    expect(() => commandLine(['uptime'], false)).toThrow(/put the command after --: provision exec PATTERN -- uptime/);
    expect(() => commandLine([], true)).toThrow(/no command given/);
  });

  it('needs every word of the command after the first --', () => {
    expect(afterSeparator(['node', 'provision', 'exec', 'web', '--', 'ls', '-l'], ['ls', '-l'])).toBe(true);
    expect(afterSeparator(['node', 'provision', 'exec', 'web', 'ls', '--', '-l'], ['ls', '-l'])).toBe(false);
    expect(afterSeparator(['node', 'provision', 'exec', 'web', 'ls'], ['ls'])).toBe(false);
  });
});

/** A connection that answers exec from a table, and one that cannot connect. */
function fakeConnect(answers: Record<string, () => Promise<{ stdout: string; stderr: string; exitCode: number | null }>>) {
  return async (h: Host): Promise<Connection> => {
    if (!answers[h.name]) throw new ConnectError(h.name, 'cannot connect to 192.0.2.1:22: timed out');
    return { hostName: h.name, roundTrips: 0, exec: answers[h.name]!, close: async () => {} };
  };
}

describe('runAdHoc', () => {
  it('keeps each host apart, redacts secrets and escapes control characters in what hosts send back', async () => {
    const redactor = new Redactor();
    redactor.add(new Secret('hunter2-password'));
    const seen: string[] = [];
    const results = await runAdHoc({
      hosts: [host('a'), host('b'), host('c'), host('d')],
      command: 'true',
      redactor,
      forks: 2,
      timeoutMs: 1000,
      onResult: (r) => seen.push(r.host),
      connect: fakeConnect({
        a: async () => ({ stdout: 'pw is hunter2-password\n', stderr: '\u001b[2Jwiped\n', exitCode: 0 }),
        b: async () => ({ stdout: '', stderr: 'no\n', exitCode: 7 }),
        d: async () => {
          throw new StepError('timed out after 1 s', { host: 'd' });
        },
      }),
    });
    expect(results.map((r) => [r.host, r.status, r.exitCode])).toEqual([['a', 'ok', 0], ['b', 'failed', 7], ['c', 'unreachable', null], ['d', 'failed', null]]);
    expect(results[0]!.stdout).toBe('pw is ***\n');
    expect(results[0]!.stderr).toBe('\\x1b[2Jwiped\n');
    expect(results[2]!.error).toMatch(/cannot connect/);
    expect(results[3]!.error).toBe('timed out after 1 s');
    expect(seen.sort()).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('journal and file lines', () => {

  it('reads a journal entry: its time, who wrote it, and a message that is text or bytes', () => {
    const e = parseJournalEntry(JSON.stringify({ __REALTIME_TIMESTAMP: '1748779200123456', __CURSOR: 's=1', SYSLOG_IDENTIFIER: 'nginx', _PID: '42', MESSAGE: 'started' }));
    expect(e).toEqual({ time: 1748779200123, cursor: 's=1', text: 'nginx[42]: started' });
    expect(parseJournalEntry(JSON.stringify({ __REALTIME_TIMESTAMP: '1', _COMM: 'app', MESSAGE: [104, 105] }))?.text).toBe('app: hi');
    expect(parseJournalEntry('-- No entries --')).toBeUndefined();
    expect(parseJournalEntry('{broken')).toBeUndefined();
  });

  it('reads the time at the start of the usual log lines, in the host\'s zone when they give none', () => {
    const at = Date.UTC(2025, 5, 1, 12, 0, 0);
    expect(fileLineTime('2025-06-01T12:00:00Z app started', 0)).toBe(at);
    expect(fileLineTime('2025-06-01T12:00:00.250+02:00 x', 0)).toBe(at - 2 * 3_600_000 + 250);
    expect(fileLineTime('2025/06/01 12:00:00 [error] 12#12: upstream timed out', 0)).toBe(at);
    expect(fileLineTime('2025/06/01 14:00:00 [error] x', 120)).toBe(at);
    expect(fileLineTime('Jun  1 12:00:00 lb-01 haproxy[7]: Proxy started', 0, new Date(at + 1000))).toBe(at);
    // A December line read in January is from last year.
    expect(fileLineTime('Dec 31 23:00:00 h x', 0, new Date(Date.UTC(2026, 0, 1, 1)))).toBe(Date.UTC(2025, 11, 31, 23));
    expect(fileLineTime('10.0.0.1 - - [01/Jun/2025:12:00:00 +0000] "GET / HTTP/1.1" 200', 0)).toBe(at);
    expect(fileLineTime('    at Object.<anonymous> (server.js:1:1)', 0)).toBeUndefined();
  });

  it('a file line without a time takes the time of the line before it; text is made safe', () => {
    const redactor = new Redactor();
    redactor.add('s3cret-value');
    const lines = fileLines('app-01', ['2025-06-01T12:00:00Z Error: s3cret-value', '    at x (\u001b[31m)'], 0, redactor);
    expect(lines).toEqual([
      { host: 'app-01', time: Date.UTC(2025, 5, 1, 12), text: '2025-06-01T12:00:00Z Error: ***' },
      { host: 'app-01', time: Date.UTC(2025, 5, 1, 12), text: '    at x (\\x1b[31m)' },
    ]);
  });

  it('interleaves hosts by time, keeping each host\'s order for equal or unknown times', () => {
    const l = (host: string, time: number | undefined, text: string): LogLine => ({ host, ...(time === undefined ? {} : { time }), text });
    const merged = interleave([
      [l('a', 1, 'a1'), l('a', 3, 'a3'), l('a', 3, 'a3b')],
      [l('b', 2, 'b2'), l('b', 3, 'b3'), l('b', undefined, 'b?')],
    ]);
    expect(merged.map((x) => x.text)).toEqual(['b?', 'a1', 'b2', 'a3', 'a3b', 'b3']);
  });

  it('shows the journal\'s time before a journal message, a file line as it is', () => {
    const t = Date.UTC(2025, 5, 1, 12);
    expect(logLine({ host: 'web-01', time: t, text: 'nginx[1]: hi', showTime: true }, 7)).toBe(`web-01  | ${isoLocal(t)} nginx[1]: hi`);
    expect(logLine({ host: 'web-01', time: t, text: '2025/06/01 12:00:00 [error] x' }, 6)).toBe('web-01 | 2025/06/01 12:00:00 [error] x');
    expect(isoLocal(t)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$/);
  });
});

describe('log scripts', () => {
  it('quote what they pass to the host, and mark their own lines with the run\'s marker', () => {
    const s = journalScript({ units: ["x'; reboot; '"], lines: 20, since: '1 hour ago', marker: '#m' });
    expect(s).toContain(`-u 'x'\\''; reboot; '\\'''`);
    expect(s).toContain(`--since '1 hour ago'`);
    expect(journalFollowScript(['nginx'], 's=1;i=2')).toContain(`--after-cursor 's=1;i=2'`);
    expect(journalFollowScript(['nginx'], undefined)).toContain('-n 0');
    expect(filesScript({ files: ['/var/log/a b.log'], lines: 5, marker: '#m' })).toContain(`'/var/log/a b.log'`);
    expect(splitMarked('#m tz +0200\n#m file /x\nline\n#mfake\n', '#m')).toEqual({ marks: [['tz', '+0200'], ['file', '/x']], lines: ['line', '#mfake'] });
  });
});

describe('--since', () => {
  const now = new Date(2025, 5, 10, 15, 30, 0);
  it('takes journalctl\'s forms and says which instant each names', () => {
    expect(sinceInstant('-1h', now)).toBe(now.getTime() - 3_600_000);
    expect(sinceInstant('1h 30min ago', now)).toBe(now.getTime() - 5_400_000);
    expect(sinceInstant('today', now)).toBe(new Date(2025, 5, 10).getTime());
    expect(sinceInstant('yesterday', now)).toBe(new Date(2025, 5, 9).getTime());
    expect(sinceInstant('2025-06-01 12:00', now)).toBe(new Date(2025, 5, 1, 12).getTime());
    expect(sinceInstant('12:00', now)).toBe(new Date(2025, 5, 10, 12).getTime());
    expect(sinceInstant('@1700000000', now)).toBe(1_700_000_000_000);
    for (const bad of ['', 'soon', '1 fortnight ago', '2025-13-01', '25:00', '-1h; reboot', "'"]) expect(sinceInstant(bad, now), bad).toBeUndefined();
  });
  it('refuses the rest naming the flag, and gives journalctl its own form', () => {
    expect(() => checkedSince('last tuesday')).toThrow(InventoryError);
    expect(() => checkedSince('last tuesday')).toThrow(/--since: 'last tuesday' is not a time/);
    expect(checkedSince('2025-06-01T12:00')).toBe('2025-06-01 12:00');
  });
});

describe('what logs reads on each host', () => {
  const facts = { initSystem: 'systemd' } as Facts;
  const roleOf = (name: string, logs?: Role['logs']): Role => ({ name, description: '', defaults: { app_name: 'counter' }, steps: () => [], ...(logs ? { logs } : {}) });
  const roles = new Map<string, Role>([
    ['app', roleOf('app', (v) => [{ unit: String(v.app_name), files: ['/var/log/counter/counter.log'] }])],
    ['firewall', roleOf('firewall')],
  ]);
  const chain = { list: () => [...roles.keys()], require: async (n: string) => roles.get(n)!, load: async (n: string) => roles.get(n), loadAll: async () => [...roles.values()] } as RoleChain;
  const rolesOn = new Map([['app-01', ['firewall', 'app']], ['db-01', ['firewall']]]);
  const app01 = host('app-01', { app_name: 'shop' });

  it('without a unit: what the roles on the host declare, named from its variables', async () => {
    const plan = await logPlan([app01], undefined, rolesOn, chain, 'site.yml');
    expect(plan.get('app-01')!(facts, app01)).toEqual([{ unit: 'shop', files: ['/var/log/counter/counter.log'] }]);
  });

  it('refuses, before connecting, a host whose roles declare no logs, a project without a playbook, a bad unit name', async () => {
    await expect(logPlan([host('db-01')], undefined, rolesOn, chain, 'site.yml')).rejects.toThrow(/no role the playbook applies to db-01 declares its logs/);
    await expect(logPlan([app01], undefined, undefined, chain, 'site.yml')).rejects.toThrow(/no playbook at site.yml/);
    await expect(logPlan([app01], 'a b', rolesOn, chain, 'site.yml')).rejects.toThrow(/'a b' is not a systemd unit name/);
    await expect(logPlan([app01, host('db-01')], 'app', rolesOn, chain, 'site.yml')).rejects.toThrow(/applies role app to app-01, not to db-01/);
  });

  it('a unit by name, with the files a role declares for it where there is no journal', async () => {
    const plan = await logPlan([app01], 'shop.service', rolesOn, chain, 'site.yml');
    expect(plan.get('app-01')!(facts, app01)).toEqual([{ unit: 'shop.service', files: ['/var/log/counter/counter.log'] }]);
    const ssh = await logPlan([app01], 'ssh', rolesOn, chain, 'site.yml');
    expect(ssh.get('app-01')!(facts, app01)).toEqual([{ unit: 'ssh', files: [] }]);
  });
});

describe('the command line, before anything connects', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-exec-logs-'));
  const inventory = path.join(dir, 'inventory.yml');
  writeFileSync(inventory, 'connection:\n  user: deploy\ngroups:\n  db:\n    hosts:\n      db-01: { address: 127.0.0.1 }\n');

  it('exec: a command not after --, an unknown pattern; logs: a bad --since, no playbook', async () => {
    const noSep = await provision(['exec', 'db', '-i', inventory, 'uptime']);
    expect(noSep.code).toBe(EXIT.usage);
    expect(noSep.stderr).toContain('COMMAND: put the command after --');
    const unknown = await provision(['exec', 'web', '-i', inventory, '--', 'uptime']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toMatch(/PATTERN: unknown host or group "web"; hosts: db-01/);
    const since = await provision(['logs', 'db', '-i', inventory, '--since', 'whenever']);
    expect(since.code).toBe(EXIT.usage);
    expect(since.stderr).toContain("--since: 'whenever' is not a time");
    const noPlaybook = await provision(['logs', 'db', '-i', inventory, '-p', path.join(dir, 'none.yml')]);
    expect(noPlaybook.code).toBe(EXIT.usage);
    expect(noPlaybook.stderr).toContain('name the unit');
  }, cliBudget(4));
});
