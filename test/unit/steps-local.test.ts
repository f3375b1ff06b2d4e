// Each step kind applied against a real shell on this machine (in a temp dir), then applied again:
// the second pass must be all `ok`. Check mode must change nothing.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Redactor, Secret } from '../../src/core/secret.ts';
import { command, file } from '../../src/core/steps/index.ts';
import type { Handler } from '../../src/core/steps/step.ts';
import { mayAffect } from '../../src/core/apply-role.ts';
import { LocalConnection } from '../../src/core/connection/local.ts';
import { remoteFor } from '../../src/core/remote.ts';
import { runSafeWrite, safeWriteScript } from '../../src/core/steps/safe-write.ts';
import { context, runLocal, statuses } from '../support/local-role.ts';
import { budget } from './budgets.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'scaleup-steps-'));
});

describe('file steps on a real shell', () => {
  it('content: creates, then is converged; mode is enforced', async () => {
    const dest = path.join(dir, 'a.conf');
    const steps = [file.content({ dest, content: 'hello\n', mode: '0640' })];
    expect(statuses(await runLocal(steps))).toEqual(['changed']);
    expect(readFileSync(dest, 'utf8')).toBe('hello\n');
    expect((statSync(dest).mode & 0o777).toString(8)).toBe('640');
    const again = await runLocal(steps);
    expect(statuses(again)).toEqual(['ok']);
    expect(again.roundTrips).toBe(1);
  }, budget({ processes: 3 }));

  it('check mode reports the change and writes nothing', async () => {
    const dest = path.join(dir, 'b.conf');
    const outcome = await runLocal([file.content({ dest, content: 'x' })], { check: true });
    expect(statuses(outcome)).toEqual(['changed']);
    expect(existsSync(dest)).toBe(false);
  }, budget({ processes: 1 }));

  it('validate refuses a bad file and leaves the live one in place, with no temp file left', async () => {
    const dest = path.join(dir, 'c.conf');
    writeFileSync(dest, 'good\n');
    const outcome = await runLocal([file.content({ dest, content: 'bad\n', validate: 'grep -q good %s' })]);
    expect(statuses(outcome)).toEqual(['failed']);
    expect(outcome.results[0]!.error).toMatch(/validation failed/);
    expect(readFileSync(dest, 'utf8')).toBe('good\n');
    expect(readdirSync(dir)).toEqual(['c.conf']);
  }, budget({ processes: 2 }));

  it('diff shows a unified diff with secrets redacted', async () => {
    const dest = path.join(dir, 'd.conf');
    writeFileSync(dest, 'password=old-secret-1\n');
    const redactor = new Redactor();
    redactor.add('new-secret-2');
    redactor.add('old-secret-1');
    const outcome = await runLocal([file.content({ dest, content: new Secret('password=new-secret-2\n') })], { diff: true, redactor, check: true });
    const diff = outcome.results[0]!.diff!;
    expect(diff).toContain('+password=***');
    expect(diff).not.toMatch(/secret-/);
  }, budget({ processes: 1 }));

  it('diff hides the removed lines of a file that holds secrets (an old password the vault no longer knows)', async () => {
    const dest = path.join(dir, 'e.conf');
    writeFileSync(dest, 'user=app\npassword=rotated-away-9\n');
    const redactor = new Redactor();
    redactor.add('brand-new-secret');
    const outcome = await runLocal([file.content({ dest, content: new Secret('user=app\npassword=brand-new-secret\n') })], { diff: true, redactor, check: true });
    const diff = outcome.results[0]!.diff!;
    expect(diff).not.toContain('rotated-away-9');
    expect(diff).toContain('+password=***');
    expect(diff).toContain(' user=app');
  }, budget({ processes: 1 }));

  it('directory, symlink, lineinfile and absent converge and stay converged', async () => {
    const d = path.join(dir, 'releases', 'r1');
    const link = path.join(dir, 'current');
    const conf = path.join(dir, 'sysctl.conf');
    writeFileSync(conf, 'a=1\nnet.x = 0\nb=2\n');
    const gone = path.join(dir, 'gone');
    writeFileSync(gone, '');
    const steps = [
      file.directory({ path: d, mode: '0750' }),
      file.symlink({ path: link, target: d }),
      file.lineinfile({ path: conf, line: 'net.x = 1', regexp: '^net\\.x' }),
      file.absent({ path: gone }),
    ];
    expect(statuses(await runLocal(steps))).toEqual(['changed', 'changed', 'changed', 'changed']);
    expect(readlinkSync(link)).toBe(d);
    expect(readFileSync(conf, 'utf8')).toBe('a=1\nnet.x = 1\nb=2\n');
    expect(existsSync(gone)).toBe(false);
    expect(statuses(await runLocal(steps))).toEqual(['ok', 'ok', 'ok', 'ok']);
  }, budget({ processes: 8 }));

  it('command with creates/unless runs once; handlers run once, in notification order', async () => {
    const marker = path.join(dir, 'done');
    const log = path.join(dir, 'log');
    const handler = (name: string): Handler => ({
      name, probe: () => '', decide: () => [{ summary: name }],
      apply: async (remote) => { await remote.run(`echo ${name} >> ${log}`); },
    });
    const steps = [
      command.run({ name: 'make marker', command: `touch ${marker}`, creates: marker, notify: ['h2', 'h1'] }),
      command.run({ name: 'unless guard', command: `echo ran >> ${log}`, unless: `grep -q ran ${log}`, notify: ['h1'] }),
    ];
    const handlers = { h1: handler('h1'), h2: handler('h2') };
    const first = await runLocal(steps, { handlers });
    expect(statuses(first)).toEqual(['changed', 'changed', 'changed', 'changed']);
    expect(readFileSync(log, 'utf8')).toBe('ran\nh2\nh1\n');
    expect(statuses(await runLocal(steps, { handlers }))).toEqual(['ok', 'ok']);
  }, budget({ processes: 9 }));

  it('handlers notified before a failing step still run', async () => {
    const log = path.join(dir, 'log');
    const steps = [
      command.run({ name: 'change', command: 'true', notify: ['reload'] }),
      command.run({ name: 'boom', command: 'echo broken >&2; exit 3' }),
    ];
    const reload: Handler = { name: 'reload', probe: () => '', decide: () => [{ summary: 'reload' }], apply: async (r) => { await r.run(`echo reloaded > ${log}`); } };
    const outcome = await runLocal(steps, { handlers: { reload } });
    expect(statuses(outcome)).toEqual(['changed', 'failed', 'changed']);
    expect(outcome.results[1]!.error).toMatch(/exit 3[\s\S]*broken/);
    expect(readFileSync(log, 'utf8')).toBe('reloaded\n');
  }, budget({ processes: 7 }));
});

describe('writes that another user cannot turn against root', () => {
  const victim = () => {
    const v = path.join(dir, 'victim');
    writeFileSync(v, 'root only\n', { mode: 0o600 });
    return v;
  };

  it('a target that is a symbolic link is refused, by every step that writes a file; its target is untouched', async () => {
    const v = victim();
    for (const step of [
      file.content({ dest: path.join(dir, 'l1'), content: 'x', mode: '0644' }),
      file.lineinfile({ path: path.join(dir, 'l2'), line: 'x' }),
      file.directory({ path: path.join(dir, 'l3') }),
    ]) {
      symlinkSync(v, path.join(dir, step.name.split('/').pop()!));
      const outcome = await runLocal([step]);
      expect(statuses(outcome), step.name).toEqual(['failed']);
      expect(outcome.results[0]!.error).toContain(`is a symbolic link (to ${v}): refusing to write through it`);
    }
    expect(readFileSync(v, 'utf8')).toBe('root only\n');
    expect(statSync(v).mode & 0o777).toBe(0o600);
  }, budget({ processes: 3 }));

  it('a link renamed over the file after its check: the mode change is refused, never made on the link\'s target', async () => {
    // Fails on the old apply, which ran `chmod` on the name: the victim became 0644.
    const v = victim();
    const dest = path.join(dir, 'conf');
    writeFileSync(dest, 'same\n', { mode: 0o600 });
    const step = file.content({ dest, content: 'same\n', mode: '0644' });
    const ctx = context();
    const conn = new LocalConnection();
    const probed = await conn.exec(step.probe(ctx));
    const changes = await step.decide({ stdout: probed.stdout, exitCode: 0 }, ctx);
    expect(changes).toEqual([{ summary: 'mode 0600 → 0644' }]);
    rmSync(dest);
    symlinkSync(v, dest);
    await expect(step.apply(remoteFor(conn, new Redactor()), changes, ctx)).rejects.toThrow(/is a symbolic link .*refusing to write through it/);
    expect(statSync(v).mode & 0o777).toBe(0o600);
    expect(lstatSync(dest).isSymbolicLink()).toBe(true);
  }, budget({ processes: 2 }));

  it('a link renamed over a directory after its check: its target keeps its mode, and the step says why it stopped', async () => {
    const target = path.join(dir, 'elsewhere');
    mkdirSync(target, { mode: 0o700 });
    const d = path.join(dir, 'd');
    mkdirSync(d, { mode: 0o700 });
    const step = file.directory({ path: d, mode: '0755' });
    const ctx = context();
    const conn = new LocalConnection();
    const changes = await step.decide({ stdout: (await conn.exec(step.probe(ctx))).stdout, exitCode: 0 }, ctx);
    rmSync(d, { recursive: true });
    symlinkSync(target, d);
    await expect(step.apply(remoteFor(conn, new Redactor()), changes, ctx)).rejects.toThrow(/is reached through a symbolic link \(it is .*elsewhere\): refusing to write there/);
    expect(statSync(target).mode & 0o777).toBe(0o700);
  }, budget({ processes: 2 }));

  it('a link whose target holds line breaks cannot pass for a converged directory', async () => {
    // Fails on the old probe, which printed the target raw: its fake type=/owner=/mode= lines won.
    const fake = path.join(dir, 'd\ntype=directory\nowner=root\ngroup=root\nmode=755\nz');
    mkdirSync(fake);
    const d = path.join(dir, 'ssh');
    symlinkSync(fake, d);
    const outcome = await runLocal([file.directory({ path: d, mode: '0755' })]);
    expect(statuses(outcome)).toEqual(['failed']);
    expect(outcome.results[0]!.error).toMatch(/symbolic link|twice/);
  });

  it('a directory on the way that is a link is refused: the write never lands where it points', async () => {
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, path.join(dir, 'home'));
    const outcome = await runLocal([file.content({ dest: path.join(dir, 'home', 'authorized_keys'), content: 'k\n', mode: '0600' })]);
    expect(statuses(outcome)).toEqual(['failed']);
    expect(outcome.results[0]!.error).toContain('is reached through a symbolic link');
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('the staged name is made on the host: it is on no command line', async () => {
    // Fails on the old write, whose staged name (made on the control node) was readable in `ps`.
    const script = safeWriteScript({ dest: '/etc/x.conf', owner: { user: 'root', group: 'root' }, mode: '0644' });
    expect(script).not.toMatch(/scaleup-[0-9a-f]{8,}/);
  });

  it('the staged file is root-only from its first byte, and the live file gets its owner and mode by one rename', async () => {
    const dest = path.join(dir, 'secret.conf');
    const conn = new LocalConnection();
    // `fill` runs with the staged file open: it reports the staged file's own mode at that moment.
    await runSafeWrite(remoteFor(conn, new Redactor()), { dest, owner: { user: 'root', group: 'root' }, mode: '0640', fill: 'stat -c %a "$tmp"' });
    expect(readFileSync(dest, 'utf8')).toBe('600\n');
    expect(statSync(dest).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['secret.conf']);
  }, budget({ processes: 1 }));
});

describe('what a change makes the engine check again', () => {
  it('file steps on distinct paths keep their answers; steps below a changed path, and steps without paths, are checked again', () => {
    const f = (p: string) => file.content({ dest: p, content: '' });
    expect(mayAffect(f('/etc/a.conf'), f('/etc/b.conf'))).toBe(false);
    expect(mayAffect(f('/etc/a'), f('/etc/ab'))).toBe(false);
    expect(mayAffect(file.directory({ path: '/opt/app' }), f('/opt/app/server.js'))).toBe(true);
    expect(mayAffect(f('/opt/app/server.js'), file.absent({ path: '/opt/app' }))).toBe(true);
    expect(mayAffect(f('/etc/a.conf'), f('/etc/a.conf'))).toBe(true);
    expect(mayAffect(f('/etc/a.conf'), command.run({ name: 'x', command: 'true' }))).toBe(true);
    expect(mayAffect(command.run({ name: 'x', command: 'true' }), f('/etc/a.conf'))).toBe(true);
  });

  it('a run of file writes needs no check between them, and a later command still sees what they wrote', async () => {
    const d = path.join(dir, 'app');
    const steps = [
      file.directory({ path: d }),
      ...['a', 'b', 'c'].map((n) => file.content({ dest: path.join(d, n), content: `${n}\n` })),
      // Guarded by a file written above: it must see that file (checked again after the writes).
      command.run({ name: 'marker', command: `touch ${path.join(dir, 'ran')}`, creates: path.join(d, 'a') }),
    ];
    const first = await runLocal(steps);
    expect(statuses(first)).toEqual(['changed', 'changed', 'changed', 'changed', 'ok']);
    expect(existsSync(path.join(dir, 'ran'))).toBe(false);
    expect(readdirSync(d).sort()).toEqual(['a', 'b', 'c']);
    // One batch of probes, the directory, one check of the files below it, three writes, one check of
    // the command: 7 round trips (checking everything after every change took 9).
    expect(first.roundTrips).toBe(7);
    const again = await runLocal(steps);
    expect(statuses(again)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(again.roundTrips).toBe(1);
  }, budget({ processes: 8 }));
});
