// GTID positions (src/stack/gtid.ts): which replica holds more, for `provision db promote --force`.
import { describe, expect, it } from 'vitest';
import { aheadOf, formatGtid, parseGtid } from '../../src/stack/gtid.ts';

describe('GTID positions', () => {
  it('are parsed per domain, strictly', () => {
    expect(formatGtid(parseGtid('1-11-5,0-172818473-5291'))).toBe('0-172818473-5291,1-11-5');
    expect(formatGtid(parseGtid(''))).toBe('');
    expect(() => parseGtid("0-1-2'; DROP TABLE x")).toThrow('not a GTID position');
  });
  it('say which transactions one replica holds that another lacks', () => {
    const a = parseGtid('0-1-100,1-2-7');
    const b = parseGtid('0-1-98,1-2-7');
    expect(aheadOf(a, b)).toEqual(['0-1-100']);
    expect(aheadOf(b, a)).toEqual([]);
    expect(aheadOf(parseGtid('2-3-1'), b)).toEqual(['2-3-1']);
  });
});
