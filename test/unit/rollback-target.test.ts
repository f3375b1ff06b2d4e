// Which release `provision rollback` chooses, from what the app hosts report (src/stack/rollback-target.ts).
import { describe, expect, it } from 'vitest';
import type { HostRelease } from '../../src/stack/releases.ts';
import { previousRelease, rollbackTarget, type HostState } from '../../src/stack/rollback-target.ts';

const A = 'aaaaaaaaaaaa';
const B = 'bbbbbbbbbbbb';
const C = 'cccccccccccc';
const C2 = 'cccc11111111';

/** A host holding `ids` (newest first), `current` live, and switches to `log` in order. */
function host(name: string, ids: string[], current: string, log: string[] = [], partial: string[] = []): HostState {
  const releases: HostRelease[] = ids.map((id, i) => ({ id, current: id === current, complete: !partial.includes(id), madeAt: `2026-12-0${9 - i}T00:00:00.000Z` }));
  return { host: name, app: 'counter', releases, log: log.map((release) => ({ release, action: 'deploy' })) };
}

describe('the previous release', () => {
  it('is the one live before the last switch to the current one', () => {
    expect(previousRelease(host('a', [C, B, A], C, [A, B, C]))).toBe(B);
    // A rollback to B, then another rollback: back to C (the second undoes the first).
    expect(previousRelease(host('a', [C, B, A], B, [A, B, C, B]))).toBe(C);
  });
  it('skips releases no longer on the host, or incomplete', () => {
    expect(previousRelease(host('a', [C, A], C, [A, B, C]))).toBe(A);
    expect(previousRelease(host('a', [C, B, A], C, [A, B, C], [B]))).toBe(A);
  });
  it('without a log, is the newest complete release other than the current one', () => {
    expect(previousRelease(host('a', [C, B, A], C))).toBe(B);
    expect(previousRelease(host('a', [C], C))).toBeUndefined();
  });
});

describe('the rollback target', () => {
  it('is the previous release when every host agrees', () => {
    expect(rollbackTarget([host('app-01', [C, B], C, [B, C]), host('app-02', [C, B], C, [B, C])])).toBe(B);
  });
  it('is refused when the hosts disagree or one has nothing to go back to, naming them', () => {
    expect(() => rollbackTarget([host('app-01', [C, B], C, [B, C]), host('app-02', [C, A], C, [A, C])]))
      .toThrow('rollback: the app hosts\' previous releases differ (app-01: bbbbbbbbbbbb, app-02: aaaaaaaaaaaa); name the release: provision rollback RELEASE');
    expect(() => rollbackTarget([host('app-01', [C, B], C), host('app-02', [C], C)])).toThrow('rollback: no earlier release to go back to on app-02');
  });
  it('is the named release, by a unique prefix, when every host holds it complete', () => {
    const hosts = [host('app-01', [C, B, A], C), host('app-02', [C, B, A], C)];
    expect(rollbackTarget(hosts, A)).toBe(A);
    expect(rollbackTarget(hosts, 'bbbb')).toBe(B);
    expect(() => rollbackTarget([...hosts, host('app-03', [C2, C], C2)], 'cccc')).toThrow("rollback: 'cccc' names several releases: cccc11111111, cccccccccccc; give more digits");
    expect(() => rollbackTarget(hosts, 'abc')).toThrow("rollback: 'abc' is not a release id (4 to 12 hex digits, as `provision releases` lists them)");
    expect(() => rollbackTarget(hosts, 'dddd')).toThrow("rollback: no app host holds a complete release 'dddd'");
    expect(() => rollbackTarget([host('app-01', [C, B, A], C), host('app-02', [C, B, A], C, [], [A])], A)).toThrow(`rollback: release ${A} is not on app-02`);
  });
});
