// The lab builds its hosts from this machine's own Debian mirror: it reads the apt sources configured
// here (deb822 `.sources` or one-line `.list`) and keeps the Debian entries for the lab's suite. No mirror
// name is ever written into the project.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from './errors.ts';

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  signedBy?: string;
}

/** Parses a deb822 `.sources` file. Stanzas with `Enabled: no` are skipped. */
export function parseDeb822Sources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last)}\n${line.trim()}`);
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      last = m[1]!.toLowerCase();
      fields.set(last, m[2]!.trim());
    }
    if (fields.get('enabled')?.toLowerCase() === 'no') continue;
    const list = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    const source: AptSource = {
      types: list('types'),
      uris: list('uris'),
      suites: list('suites'),
      components: list('components'),
    };
    const signedBy = fields.get('signed-by');
    // An inline key block (several lines) cannot be passed on; a keyring path can.
    if (signedBy && !signedBy.includes('\n')) source.signedBy = signedBy;
    if (source.types.length && source.uris.length && source.suites.length) sources.push(source);
  }
  return sources;
}

/** Parses a one-line `sources.list`: `deb [options] URI SUITE COMPONENT…`. */
export function parseOneLineSources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const options = new Map(
      (m[2] ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map((o) => o.split('=', 2) as [string, string]),
    );
    const source: AptSource = {
      types: [m[1]!],
      uris: [m[3]!],
      suites: [m[4]!],
      components: m[5]!.split(/\s+/).filter(Boolean),
    };
    const signedBy = options.get('signed-by');
    if (signedBy) source.signedBy = signedBy;
    sources.push(source);
  }
  return sources;
}

/**
 * Keeps the binary Debian sources for `suite` (and its -updates and -security siblings) that carry `main`,
 * each narrowed to those suites and to `main`.
 */
export function selectDebianSources(sources: AptSource[], suite: string): AptSource[] {
  const wanted = new Set([suite, `${suite}-updates`, `${suite}-security`]);
  const picked: AptSource[] = [];
  for (const s of sources) {
    const suites = s.suites.filter((x) => wanted.has(x));
    if (!s.types.includes('deb') || suites.length === 0 || !s.components.includes('main')) continue;
    picked.push({ ...s, types: ['deb'], suites, components: ['main'] });
  }
  return picked;
}

/** Renders sources as one deb822 file (what mmdebstrap and apt's SourceParts accept). */
export function renderDeb822(sources: AptSource[]): string {
  return sources
    .map((s) =>
      [
        `Types: ${s.types.join(' ')}`,
        `URIs: ${s.uris.join(' ')}`,
        `Suites: ${s.suites.join(' ')}`,
        `Components: ${s.components.join(' ')}`,
        ...(s.signedBy ? [`Signed-By: ${s.signedBy}`] : []),
      ].join('\n'),
    )
    .join('\n\n')
    .concat('\n');
}

/** Reads this machine's apt sources and returns the Debian ones for `suite`, as a deb822 file's text. */
export async function machineDebianSources(suite: string, etcApt = '/etc/apt'): Promise<string> {
  const all: AptSource[] = [];
  const main = await readFile(join(etcApt, 'sources.list'), 'utf8').catch(() => '');
  all.push(...parseOneLineSources(main));
  const dir = join(etcApt, 'sources.list.d');
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const name of names) {
    if (name.endsWith('.list')) all.push(...parseOneLineSources(await readFile(join(dir, name), 'utf8')));
    if (name.endsWith('.sources')) all.push(...parseDeb822Sources(await readFile(join(dir, name), 'utf8')));
  }
  const picked = selectDebianSources(all, suite);
  if (picked.length === 0) {
    throw new LabError(
      `no Debian '${suite}' apt source with 'main' in ${etcApt}/sources.list or ${dir}/: ` +
        'the lab builds its hosts from this machine\'s own Debian mirror',
    );
  }
  return renderDeb822(picked);
}
