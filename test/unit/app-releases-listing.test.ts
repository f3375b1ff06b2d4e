// `provision releases` reads what an app host says about its releases: recorded output, parsed
// defensively (ids must look like ids, JSON must parse, only known fields of the right type kept).
import { describe, expect, it } from 'vitest';
import { parseReleases } from '../../src/stack/releases.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('parseReleases', () => {
  it('lists releases newest first, marks the current one, and reads where each came from', () => {
    const out = [
      'current=/opt/shop/releases/bbbbbbbbbbbb',
      'release=aaaaaaaaaaaa 1700000000 complete',
      'release=bbbbbbbbbbbb 1700000100 complete',
      `meta=bbbbbbbbbbbb ${b64(JSON.stringify({ source: '/src/shop', commit: 'f00d', dirty: true, by: 'ops@ctl', builtAt: '2024-01-01T00:00:00Z' }))}`,
      `log=${b64('{"at":"2024-01-01T00:00:05Z","release":"bbbbbbbbbbbb","by":"ops@ctl"}\n')}`,
    ].join('\n');
    const parsed = parseReleases('shop', out);
    expect(parsed.releases.map((r) => [r.id, r.current])).toEqual([['bbbbbbbbbbbb', true], ['aaaaaaaaaaaa', false]]);
    expect(parsed.releases[0]).toMatchObject({ source: '/src/shop', commit: 'f00d', dirty: true, by: 'ops@ctl', madeAt: '2023-11-14T22:15:00.000Z' });
    expect(parsed.log).toEqual([{ at: '2024-01-01T00:00:05Z', release: 'bbbbbbbbbbbb', by: 'ops@ctl' }]);
    expect(parsed.currentTarget).toBeUndefined();
  });

  it('ignores what does not fit: odd ids, bad JSON, fields of the wrong type; keeps an odd current target to show', () => {
    const out = [
      'current=/etc/passwd',
      'release=../../etc 1 complete',
      'release=cccccccccccc notanumber partial',
      `meta=cccccccccccc ${b64('{"source": 42, "by": "x\\u001b[31m", "extra": "dropped"')}`,
      `meta=cccccccccccc ${b64(JSON.stringify({ source: ['list'], by: 'ok@host', extra: 'dropped' }))}`,
      `log=${b64('not json\n[1,2]\n{"at":5,"release":"cccccccccccc"}\n')}`,
      'garbage line without equals',
    ].join('\n');
    const parsed = parseReleases('shop', out);
    expect(parsed.releases).toEqual([{ id: 'cccccccccccc', current: false, complete: false, by: 'ok@host' }]);
    expect(parsed.currentTarget).toBe('/etc/passwd');
    expect(parsed.log).toEqual([{}, { release: 'cccccccccccc' }]);
  });
});
