import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quote, shellJoin } from '../../src/core/quote.ts';

/** What a real POSIX shell receives as its one argument after quoting. */
function echoThroughShell(s: string): string {
  return execFileSync('sh', ['-c', `printf '%s' ${quote(s)}`], { encoding: 'utf8' });
}

describe('quote', () => {
  it('leaves safe words bare and quotes the rest', () => {
    expect(quote('nginx')).toBe('nginx');
    expect(quote('/etc/nginx/nginx.conf')).toBe('/etc/nginx/nginx.conf');
    expect(quote('')).toBe("''");
    expect(quote("it's")).toBe(`'it'\\''s'`);
    expect(shellJoin(['apt-get', 'install', 'a b'])).toBe("apt-get install 'a b'");
  });

  it.each([
    '$(touch /tmp/scaleup-canary)', '`id`', "'; rm -rf / #", 'a\nb', '${HOME}', '"double"', '\\', '*', '-n', '~root', '!x',
  ])('passes %j through a real shell unchanged', (s) => {
    expect(echoThroughShell(s)).toBe(s);
  });

  it('passes any string through a real shell unchanged (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')), (s) => {
        expect(echoThroughShell(s)).toBe(s);
      }),
      { numRuns: 150 },
    );
  });
});
