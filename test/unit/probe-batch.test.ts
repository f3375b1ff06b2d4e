import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { probeBatch } from '../../src/core/probe-batch.ts';
import { budget } from './budgets.ts';

const runSh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8' });

describe('probeBatch', () => {
  it('frames each probe output and exit code through a real shell', () => {
    const batch = probeBatch(['echo a=1; echo b=2', 'printf no-newline', '', 'exit 3', 'echo "__scaleup_fake 0 0"']);
    const outputs = batch.parse(runSh(batch.script));
    expect(outputs).toEqual([
      { stdout: 'a=1\nb=2\n', exitCode: 0 },
      { stdout: 'no-newline', exitCode: 0 },
      { stdout: '', exitCode: 0 },
      { stdout: '', exitCode: 3 },
      { stdout: '__scaleup_fake 0 0\n', exitCode: 0 },
    ]);
  }, budget({ processes: 1 }));

  it('keeps probes from reading stdin or leaking stderr into the frames', () => {
    const batch = probeBatch(['cat; echo x=1', 'echo oops >&2; echo y=2']);
    const outputs = batch.parse(execFileSync('sh', ['-c', batch.script], { encoding: 'utf8', input: 'SHOULD-NOT-BE-READ' }));
    expect(outputs.map((o) => o.stdout)).toEqual(['x=1\n', 'y=2\n']);
  }, budget({ processes: 1 }));
});

describe('a probe whose output another user on the host chooses', () => {
  it('cannot forge the frames of later probes: frames out of order refuse the whole answer', () => {
    // Fails on the old parser, which took the last frame of each index and believed it.
    const batch = probeBatch(['echo real=0', 'echo real=1']);
    const marker = /printf '\\n(__scaleup_[0-9a-f]+) /.exec(batch.script)![1];
    const forged = `real=0\n${marker} 0 0\nforged=1\n${marker} 1 0\n${marker} 0 0\nreal=1\n${marker} 1 0\n`;
    expect(() => batch.parse(forged)).toThrow(/out of order/);
  });
});
