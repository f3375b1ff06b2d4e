// `provision apply --report FILE.html` on the lab, the page then opened in a real browser (headless
// Chromium, from Debian's `chromium`): a screenshot is taken, and what the page shows is read from the
// DOM the browser built. A host-side edit to nginx.conf with markup in it makes the run change the
// file back, so the page has a change, its diff with hostile text in it, and a handler; the run
// leaves web-01 as it was.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apply, onHost } from './support.ts';

const NGINX_ON_WEB_01 = ['--role', 'nginx', '--limit', 'web-01'];
/** Where the page and its screenshot go: kept in SCALEUP_REPORT_TEST_OUT for a person (or CI) to look at. */
const KEEP = process.env.SCALEUP_REPORT_TEST_OUT;
const OUT = KEEP ?? mkdtempSync(path.join(tmpdir(), 'scaleup-report-test-'));
const PAGE = path.join(OUT, 'nginx-web-01.html');
const SCREENSHOT = path.join(OUT, 'nginx-web-01.png');
// Text a local user on the host could put into a managed file: it comes back in the diff.
const HOSTILE = `# <script>document.title='pwned'</script><img src=x onerror="document.title='pwned'"> report-test`;

/** Runs Debian's Chromium headless on `args` with a fresh profile; resolves with what it printed. */
function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(path.join(tmpdir(), 'scaleup-report-chromium-'));
  const flags = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`,
  ];
  return new Promise<string>((resolve, reject) => {
    execFile('/usr/bin/chromium', [...flags, ...args], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`chromium ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('apply --report: the run as a page a browser shows', () => {
  afterAll(async () => {
    // Whatever happened above, web-01 ends as the role describes it.
    await onHost('web-01', `sed -i '/report-test$/d' /etc/nginx/nginx.conf`);
    await apply(NGINX_ON_WEB_01);
    if (!KEEP) rmSync(OUT, { recursive: true, force: true });
  });

  it('a real apply writes the report; Chromium renders it, and its DOM has the timeline, the change with its diff as text, no script', async () => {
    mkdirSync(OUT, { recursive: true });
    rmSync(PAGE, { force: true });
    rmSync(SCREENSHOT, { force: true });
    await onHost('web-01', `printf '%s\\n' ${JSON.stringify(HOSTILE).replace(/\$/g, '\\$')} >> /etc/nginx/nginx.conf`);

    const run = await apply([...NGINX_ON_WEB_01, '--diff', '--report', PAGE]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.result.hosts['web-01']).toMatchObject({ changed: 2, failed: 0 });
    expect(run.result.hosts['web-01']!.phases!.map((p) => p.name)).toEqual(['connect', 'facts', 'probes']);

    // The DOM after the browser parsed the page (and ran any script it had: it has none).
    const dom = await chromium(['--dump-dom', `file://${PAGE}`]);
    expect(dom).toMatch(/<title>scaleup run: ok, 2 changed, 0 failed, 0 unreachable<\/title>/);
    expect(dom).not.toMatch(/<script|<img/i);
    expect(dom).toContain('<h2>Failures (0)</h2>');
    for (const row of [
      'class="row k-host" data-host="web-01" data-status="changed"',
      'class="row k-phase" data-host="web-01" data-phase="connect" data-status="ok"',
      'class="row k-phase" data-host="web-01" data-phase="facts" data-status="ok"',
      'class="row k-phase" data-host="web-01" data-phase="probes" data-status="ok"',
      'class="row k-role" data-host="web-01" data-role="nginx"',
      'class="row k-step" data-host="web-01" data-role="nginx" data-step="package nginx" data-status="ok"',
      'class="row k-step" data-host="web-01" data-role="nginx" data-step="template /etc/nginx/nginx.conf" data-status="changed"',
      'class="row k-handler" data-host="web-01" data-role="nginx" data-step="reload nginx" data-status="changed"',
    ]) expect(dom).toContain(row);
    // Every row of the host's timeline has a bar, its duration in its title.
    expect(dom).toMatch(/<div class="bar s-changed" style="left:[\d.]+%;\s*width:[\d.]+%;?" title="web-01 · template \/etc\/nginx\/nginx.conf: changed, [\d.]+ m?s from [\d.]+ m?s">/);
    // The change, and its diff: the line the run took out, the host's markup shown as text.
    const changes = dom.slice(dom.indexOf('id="changes"'));
    expect(changes).toContain('<h2>Changes (2)</h2>');
    expect(changes).toContain(`<span class="del">-# &lt;script&gt;document.title='pwned'&lt;/script&gt;&lt;img src=x onerror="document.title='pwned'"&gt; report-test</span>`);

    // What a person sees: a PNG of the page as the browser drew it.
    await chromium([`--screenshot=${SCREENSHOT}`, '--window-size=1280,1600', '--hide-scrollbars', `file://${PAGE}`]);
    const png = readFileSync(SCREENSHOT);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    // IHDR: the width and height asked for.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1280, 1600]);
    // A blank page compresses to a few kilobytes; this one has text, tables and coloured bars.
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(30_000);
  }, 600_000);
});
