// A step answered from a command its batch shares (Step.shared) must read exactly as its own probe
// would have printed: both are run here on a real shell against the same paths, packages and units.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Facts } from '../../src/core/facts/facts.ts';
import { probeBatch } from '../../src/core/probe-batch.ts';
import { content, directory, symlink } from '../../src/core/steps/file.ts';
import { installed } from '../../src/core/steps/pkg.ts';
import { unquoteC } from '../../src/core/steps/path-states.ts';
import { running } from '../../src/core/steps/service.ts';
import * as userSteps from '../../src/core/steps/user.ts';
import { value as sysctlValue } from '../../src/core/steps/sysctl.ts';
import type { Step, StepContext } from '../../src/core/steps/step.ts';
import { budget } from './budgets.ts';

const runSh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8' });

const facts: Facts = {
  osId: 'debian', osVersion: '12', osCodename: 'bookworm', initSystem: 'systemd', packageManager: 'apt',
  architecture: 'x86_64', hostname: 'h', interfaces: {},
};
const ctx = (diff = false): StepContext => ({
  host: { name: 'h', address: '127.0.0.1', port: 22, user: 'root', become: false, groups: [], vars: {} } as never,
  facts, vars: {}, hostsIn: () => [], diff,
});

/** Each step's own probe, and the same steps answered by one batch with their shared probes. */
function ownAndShared(steps: Step[], c = ctx()) {
  const own = probeBatch(steps.map((s) => s.probe(c)));
  const shared = probeBatch(steps.map((s) => ({ probe: s.probe(c), shared: s.shared?.(c) })));
  return { own: own.parse(runSh(own.script)), shared: shared.parse(runSh(shared.script)), sharedScript: shared.script };
}

const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-shared-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shared probes read as the steps\' own', () => {
  const p = (name: string) => path.join(dir, name);
  writeFileSync(p('file'), 'hello\n');
  writeFileSync(p('empty'), '');
  writeFileSync(p('with\nline break'), 'x');
  mkdirSync(p('dir'));
  symlinkSync('/etc/hosts', p('link'));
  symlinkSync('/nowhere/odd "quoted" -> name\nwith é', p('odd link'));
  execFileSync('mkfifo', [p('fifo')]);

  it('file content, directories and links: one stat and one sha256sum for all of them', () => {
    const paths = ['file', 'empty', 'with\nline break', 'dir', 'link', 'odd link', 'fifo', 'missing'].map(p);
    const steps: Step[] = [
      ...paths.map((dest) => content({ dest, content: 'hello\n' })),
      ...paths.map((x) => directory({ path: x })),
      ...paths.map((x) => symlink({ path: x, target: '/etc/hosts' })),
    ];
    const { own, shared, sharedScript } = ownAndShared(steps);
    expect(shared.map((o) => o.stdout)).toEqual(own.map((o) => o.stdout));
    expect(sharedScript.match(/\bstat\b --printf/g)).toHaveLength(1);
    expect(sharedScript.match(/sha256sum/g)).toHaveLength(1);
  }, budget({ processes: 2 }));

  it('decides the same from either answer', async () => {
    const steps = [content({ dest: p('file'), content: 'hello\n', mode: '0600' }), symlink({ path: p('link'), target: '/etc/hosts' })];
    const { own, shared } = ownAndShared(steps);
    for (const [i, s] of steps.entries()) {
      expect(await s.decide(shared[i]!, ctx())).toEqual(await s.decide(own[i]!, ctx()));
    }
    expect((await steps[0]!.decide(shared[0]!, ctx())).map((c) => c.summary)).toEqual(['mode 0644 → 0600']);
    expect(await steps[1]!.decide(shared[1]!, ctx())).toEqual([]);
  }, budget({ processes: 2 }));

  it('--diff keeps a content step on its own probe (it prints the content too)', () => {
    expect(content({ dest: p('file'), content: 'x' }).shared?.(ctx(true))).toBeUndefined();
    expect(content({ dest: p('file'), content: 'x', follow: true }).shared?.(ctx())).toBeUndefined();
  });

  it('packages: one dpkg-query for every package step of the batch', () => {
    const steps = [installed(['dpkg', 'no-such-package-here']), installed(['coreutils']), installed(['dpkg'])];
    const { own, shared, sharedScript } = ownAndShared(steps);
    expect(shared.map((o) => o.stdout)).toEqual(own.map((o) => o.stdout));
    expect(sharedScript.match(/dpkg-query/g)).toHaveLength(1);
  }, budget({ processes: 2 }));

  it('units: one systemctl show for every service step of the batch', () => {
    const steps = [running('ssh'), running('no-such-unit-here'), running('cron')];
    const script = probeBatch(steps.map((s) => ({ probe: s.probe(ctx()), shared: s.shared?.(ctx()) }))).script;
    expect(script.match(/systemctl show/g)).toHaveLength(1);
    expect(script).toMatch(/systemctl show -p ActiveState -p UnitFileState -- ssh no-such-unit-here cron/);
  });

  it('a unit state answer is the asking unit\'s block', () => {
    const kind = running('b').shared!(ctx())!.kind;
    const out = { stdout: 'ActiveState=active\nUnitFileState=enabled\n\nActiveState=inactive\nUnitFileState=disabled\n', exitCode: 0 };
    expect(kind.answer(out, ['b'], ['a', 'b']).stdout).toBe('ActiveState=inactive\nUnitFileState=disabled\n');
    expect(kind.answer({ stdout: '', exitCode: 1 }, ['b'], ['a', 'b']).stdout).toBe('');
  });

  it('sysv hosts keep their own service probe', () => {
    expect(running('x').shared!({ ...ctx(), facts: { ...facts, initSystem: 'sysv' } })).toBeUndefined();
  });
});

describe('unquoteC', () => {
  it('reads C escapes and octal UTF-8 bytes', () => {
    expect(unquoteC('a\\nb\\"c\\\\d\\303\\251')).toBe('a\nb"c\\dé');
  });
});

describe('the user probe with the shell\'s own field splitting', () => {
  it('prints what getent + awk + id -gn + id -Gn printed, for every account of this machine', () => {
    const { present } = userSteps;
    const accounts = execFileSync('getent', ['passwd'], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.split(':')[0]!).slice(0, 8);
    for (const name of [...accounts, 'no-such-user-here']) {
      const old = `e=$(getent passwd ${name}) && { echo exists=1; printf '%s\\n' "$e" | awk -F: '{print "home="$6; print "shell="$7}'; ` +
        `echo "group=$(id -gn ${name})"; echo "groups=$(id -Gn ${name})"; } || echo exists=0`;
      expect(runSh(present({ name }).probe(ctx()))).toBe(runSh(old));
    }
  }, budget({ processes: 20 }));
});

describe('the sysctl probe with the shell\'s own read', () => {
  it('prints what cat + grep -qxF printed', () => {
    const conf = path.join(dir, 'sysctl.conf');
    writeFileSync(conf, 'a = 1\nnet.ipv4.ip_forward = 1\nlast = 2');
    const old = (key: string, wanted: string, file: string) => {
      const proc = `/proc/sys/${key.replace(/\./g, '/')}`;
      return `printf 'live=%s\\n' "$(cat '${proc}' 2>/dev/null)"; grep -qxF -- '${key} = ${wanted}' '${file}' 2>/dev/null && echo persisted=1; true`;
    };
    for (const [key, wanted, file] of [
      ['net.ipv4.ip_forward', '1', conf], ['last', '2', conf], ['net.ipv4.ip_forward', '0', conf],
      ['kernel.no_such_parameter', '1', conf], ['net.ipv4.ip_local_port_range', '1024 65535', path.join(dir, 'missing.conf')],
    ] as const) {
      expect(runSh(sysctlValue(key, wanted, { file }).probe(ctx()))).toBe(runSh(old(key, wanted, file)));
    }
  }, budget({ processes: 10 }));
});
