import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  machineDebianSources,
  parseDeb822Sources,
  parseOneLineSources,
  renderDeb822,
  selectDebianSources,
} from '../../src/lab/apt-sources.ts';

// Fixture mirrors are fake (.invalid): the project never names a real mirror.
const DEB822 = `Types: deb
# a comment
URIs: http://mirror.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.invalid/debian-security
Suites: bookworm-security
Components: main contrib

Types: deb deb-src
URIs: http://other.invalid/apt
Suites: stable
Components: main

Enabled: no
Types: deb
URIs: http://disabled.invalid/debian
Suites: bookworm
Components: main
`;

describe('apt sources of the control machine', () => {
  test('deb822: stanzas, comments, disabled entries', () => {
    const s = parseDeb822Sources(DEB822);
    expect(s).toHaveLength(3);
    expect(s[0]).toEqual({
      types: ['deb'],
      uris: ['http://mirror.invalid/debian'],
      suites: ['bookworm', 'bookworm-updates'],
      components: ['main'],
      signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg',
    });
  });

  test('one-line format with options and comments', () => {
    const s = parseOneLineSources(
      '# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.invalid/debian bookworm main contrib\n' +
        'deb-src http://mirror.invalid/debian bookworm main\n',
    );
    expect(s).toEqual([
      {
        types: ['deb'],
        uris: ['http://mirror.invalid/debian'],
        suites: ['bookworm'],
        components: ['main', 'contrib'],
        signedBy: '/k.gpg',
      },
      { types: ['deb-src'], uris: ['http://mirror.invalid/debian'], suites: ['bookworm'], components: ['main'] },
    ]);
  });

  test('keeps binary main of the suite and its -updates/-security, narrowed to those', () => {
    const picked = selectDebianSources(parseDeb822Sources(DEB822), 'bookworm');
    expect(picked.map((p) => [p.uris[0], p.suites, p.components])).toEqual([
      ['http://mirror.invalid/debian', ['bookworm', 'bookworm-updates'], ['main']],
      ['http://mirror.invalid/debian-security', ['bookworm-security'], ['main']],
    ]);
    expect(selectDebianSources(parseDeb822Sources(DEB822), 'trixie')).toEqual([]);
  });

  test('renders deb822 that parses back to the same sources', () => {
    const picked = selectDebianSources(parseDeb822Sources(DEB822), 'bookworm');
    expect(parseDeb822Sources(renderDeb822(picked))).toEqual(picked);
  });

  test('reads sources.list and sources.list.d, ignoring other file names; fails clearly without a match', async () => {
    const etc = mkdtempSync(join(tmpdir(), 'lab-apt-'));
    mkdirSync(join(etc, 'sources.list.d'));
    writeFileSync(join(etc, 'sources.list.d', 'debian.sources'), DEB822);
    writeFileSync(join(etc, 'sources.list.d', 'x.sources.disabled'), DEB822.replaceAll('mirror', 'nope'));
    const text = await machineDebianSources('bookworm', etc);
    expect(text).toContain('URIs: http://mirror.invalid/debian\n');
    expect(text).not.toContain('nope');
    await expect(machineDebianSources('trixie', etc)).rejects.toThrow(/no Debian 'trixie' apt source/);
  });
});
