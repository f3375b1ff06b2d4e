import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { quote, shellJoin } from '../../src/core/quote.ts';
import { budget } from './budgets.ts';
import { ShellSession } from './shell-session.ts';

// One real POSIX shell for every case: a case is a round trip through it, not a process of its own.
const shell = new ShellSession('sh');
afterAll(() => shell.close());

/** What a real POSIX shell receives as its one argument after quoting. */
function echoThroughShell(s: string): Promise<string> {
  return shell.run(`printf '%s' ${quote(s)}`);
}

const PROPERTY_RUNS = 150;

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
  ])('passes %j through a real shell unchanged', async (s) => {
    expect(await echoThroughShell(s)).toBe(s);
  }, budget({ processes: 1, roundTrips: 1 }));

  it('passes any string through a real shell unchanged (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')), async (s) => {
        expect(await echoThroughShell(s)).toBe(s);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  }, budget({ processes: 1, roundTrips: PROPERTY_RUNS }));
});
