// The --report page, rendered from results as the engine makes them: what a person sees on it, that
// nothing a host or the inventory sent can become markup, that no secret reaches it, and that the page
// asks for nothing from anywhere.
import { describe, expect, it } from 'vitest';
import { htmlReport } from '../../src/cli/render/html-report.ts';
import type { RunResult, StepResult } from '../../src/core/results.ts';
import { Redactor } from '../../src/core/secret.ts';
import { shownResult } from '../../src/core/shown-text.ts';

const SECRET = 'hunter2-db-password';
const redactor = new Redactor();
redactor.add(SECRET);
/** A result as applyRole records it: through the Redactor and made safe. */
const step = (r: StepResult) => shownResult(r, redactor);

function sampleResult(): RunResult {
  return {
    version: 1, ok: false, check: false, startedAt: '2025-01-02T03:04:05.000Z', durationMs: 9000,
    totals: { ok: 2, changed: 2, failed: 1, skipped: 0, unreachable: 1 },
    hosts: {
      'web-01': {
        ok: 1, changed: 2, failed: 0, skipped: 0, unreachable: false, roundTrips: 6, connection: 'new', durationMs: 2500,
        phases: [{ name: 'connect', startMs: 5, durationMs: 300 }, { name: 'facts', startMs: 305, durationMs: 120 }, { name: 'probes', startMs: 425, durationMs: 80 }],
      },
      'app-01': {
        ok: 1, changed: 0, failed: 1, skipped: 0, unreachable: false, roundTrips: 4, durationMs: 1800,
        phases: [{ name: 'connect', startMs: 4, durationMs: 250 }, { name: 'facts', startMs: 254, durationMs: 100 }, { name: 'probes', startMs: 354, durationMs: 90 }],
      },
      'db-01': {
        ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: true, roundTrips: 0, durationMs: 8000, error: 'connect timed out after 8 s',
        phases: [{ name: 'connect', startMs: 6, durationMs: 8000, failed: true }],
      },
    },
    steps: [
      step({ host: 'web-01', role: 'nginx', step: 'package nginx', status: 'ok', startMs: 510, durationMs: 40 }),
      step({
        host: 'web-01', role: 'nginx', step: 'template /etc/nginx/nginx.conf', status: 'changed', startMs: 560, durationMs: 1420,
        changes: ['content'], diff: '--- /etc/nginx/nginx.conf\n+++ /etc/nginx/nginx.conf\n@@ -1,2 +1,2 @@\n-worker_processes 2;\n+worker_processes 4;\n',
      }),
      step({ host: 'web-01', role: 'nginx', step: 'reload nginx', status: 'changed', startMs: 2000, durationMs: 300, handler: true }),
      step({ host: 'app-01', role: 'app', step: 'package nodejs', status: 'ok', startMs: 450, durationMs: 30 }),
      step({ host: 'app-01', role: 'app', step: 'service app', status: 'failed', startMs: 490, durationMs: 1200, error: 'systemctl exited 1: app.service failed' }),
    ],
  };
}

/** A result where everything a host or the inventory supplies tries to become markup, and holds the secret. */
function hostileResult(): RunResult {
  const evil = '<script>alert("x")</script><img src=x onerror=alert(1)>';
  const r = sampleResult();
  r.hosts[evil] = { ok: 0, changed: 1, failed: 1, skipped: 0, unreachable: false, roundTrips: 2, durationMs: 10, error: `lock held by ${evil}` };
  r.steps.push(
    step({ host: evil, role: `role${evil}`, step: `file ${evil}`, status: 'changed', startMs: 700, durationMs: 5, changes: [`owner ${evil}`], diff: `--- a\n+++ b\n@@ -1 +1 @@\n-password=${SECRET}\n+${evil}\n+password=${SECRET}\n` }),
    step({ host: evil, role: 'mysql', step: 'users', status: 'failed', startMs: 710, durationMs: 5, error: `ERROR 1045: Access denied (using password ${SECRET}) ${evil}\u001b[2J` }),
  );
  return r;
}

/** Every element the page opens, by tag name. */
const tags = (page: string) => [...page.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1]!.toLowerCase());

describe('htmlReport', () => {
  it('is one page that loads nothing: no URL, no src= but data:, no script, a CSP that forbids fetching', () => {
    const page = htmlReport(hostileResult());
    expect(page).not.toMatch(/https?:\/\//i);
    expect(page).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    // The attributes of the page's own tags, parsed as a browser does (a host's `<img src=x>` is
    // escaped text, in element content or inside a quoted title: looked at in the next test).
    const attributes = [...page.matchAll(/<[a-zA-Z][a-zA-Z0-9]*((?:\s+[^\s=>]+(?:="[^"]*"|='[^']*'|=[^\s>]+)?)*)\s*\/?>/g)]
      .flatMap((t) => [...t[1]!.matchAll(/\s+([^\s=>]+)(?:="([^"]*)"|='([^']*)'|=([^\s>]+))?/g)])
      .map((a) => ({ name: a[1]!.toLowerCase(), value: a[2] ?? a[3] ?? a[4] ?? '' }));
    expect(attributes.length).toBeGreaterThan(50);
    for (const a of attributes.filter((x) => ['src', 'href', 'action', 'poster', 'srcset', 'background'].includes(x.name))) expect(a.value).toMatch(/^data:/);
    expect(page).not.toMatch(/@import|url\(/i);
    expect(tags(page)).not.toContain('script');
    expect(tags(page)).not.toContain('link');
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it('shows host names, errors, step names and diffs from hosts as text, never as markup', () => {
    const page = htmlReport(hostileResult());
    expect(tags(page)).not.toContain('img');
    expect(tags(page)).not.toContain('script');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    // Attribute values cannot be closed by a quote from a host.
    expect(page).not.toMatch(/="[^"]*"x"/);
    // A terminal escape from a host is shown as text, not passed on.
    expect(page).not.toContain('\u001b');
    expect(page).toContain('\\x1b[2J');
  });

  it('shows no secret value: the engine\'s redacted diffs and errors stay redacted', () => {
    const page = htmlReport(hostileResult());
    expect(page).not.toContain(SECRET);
    expect(page).toContain('password ***');
    expect(page).toContain('-*** (a line of a file that holds secrets: hidden)');
  });

  it('puts failures first: the failures section before everything else, failed and unreachable hosts before the others', () => {
    const page = htmlReport(sampleResult());
    const order = ['id="failures"', 'id="recap"', 'id="slowest"', 'id="timeline"', 'id="changes"'].map((s) => page.indexOf(s));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const failures = page.slice(order[0], order[1]);
    expect(failures).toContain('systemctl exited 1: app.service failed');
    expect(failures).toContain('connect timed out after 8 s');
    const recapHosts = [...page.slice(order[1], order[2]).matchAll(/<tr[^>]*data-host="([^"]+)"/g)].map((m) => m[1]);
    expect(recapHosts).toEqual(['app-01', 'db-01', 'web-01']);
  });

  it('shows each change with its diff, lines marked added and removed', () => {
    const page = htmlReport(sampleResult());
    const changes = page.slice(page.indexOf('id="changes"'));
    expect(changes).toContain('Changes (2)');
    expect(changes).toContain('<span class="del">-worker_processes 2;</span>');
    expect(changes).toContain('<span class="add">+worker_processes 4;</span>');
    expect(changes).toContain('handler reload nginx');
  });

  it('draws a timeline row for every phase, role, step and handler of every host, with its duration', () => {
    const page = htmlReport(sampleResult());
    const timeline = page.slice(page.indexOf('id="timeline"'), page.indexOf('id="changes"'));
    const rows = [...timeline.matchAll(/class="row k-(\w+)"([^>]*)>/g)].map((m) => `${m[1]}${m[2]!.replace(/ data-status="[^"]*"/, '')}`);
    expect(rows).toEqual([
      'host data-host="app-01"',
      'phase data-host="app-01" data-phase="connect"', 'phase data-host="app-01" data-phase="facts"', 'phase data-host="app-01" data-phase="probes"',
      'role data-host="app-01" data-role="app"', 'step data-host="app-01" data-role="app" data-step="package nodejs"',
      'step data-host="app-01" data-role="app" data-step="service app"',
      'host data-host="db-01"', 'phase data-host="db-01" data-phase="connect"',
      'host data-host="web-01"',
      'phase data-host="web-01" data-phase="connect"', 'phase data-host="web-01" data-phase="facts"', 'phase data-host="web-01" data-phase="probes"',
      'role data-host="web-01" data-role="nginx"', 'step data-host="web-01" data-role="nginx" data-step="package nginx"',
      'step data-host="web-01" data-role="nginx" data-step="template /etc/nginx/nginx.conf"', 'handler data-host="web-01" data-role="nginx" data-step="reload nginx"',
    ]);
    // The slow template step: a bar from 560 ms, 1420 ms long, on the run's 9 s axis (well, the longest: db-01's 8006 ms connect is inside it).
    expect(timeline).toContain('style="left:6.222%;width:15.778%" title="web-01 · template /etc/nginx/nginx.conf: changed, 1.42 s from 560 ms"');
  });

  it('lists the slowest steps and phases, slowest first', () => {
    const page = htmlReport(sampleResult());
    const slowest = page.slice(page.indexOf('id="slowest"'), page.indexOf('id="timeline"'));
    const listed = [...slowest.matchAll(/<tr data-host="([^"]+)"><td class="num">([^<]+)<\/td><td>[^<]*<\/td><td>(.*?)<\/td>/g)].map((m) => `${m[1]} ${m[3]} ${m[2]}`);
    expect(listed.slice(0, 3)).toEqual(['db-01 <em>connect</em> 8.00 s', 'web-01 nginx › template /etc/nginx/nginx.conf 1.42 s', 'app-01 app › service app 1.20 s']);
  });

  it('is the same page for the same result, and renders a result without timings (an older run\'s JSON)', () => {
    expect(htmlReport(sampleResult())).toBe(htmlReport(sampleResult()));
    const old = sampleResult();
    delete old.startedAt;
    for (const h of Object.values(old.hosts)) delete h.phases;
    for (const s of old.steps) delete s.startMs;
    const page = htmlReport(old);
    expect(page).toContain('data-step="service app"');
    expect(page).not.toContain('class="bar');
  });
});
