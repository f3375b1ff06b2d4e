// `--report FILE.html`: one self-contained page of a run for a person and for CI to keep — failures
// first, the recap, the slowest steps, a timeline per host, then every change with its diff. Made
// only from the RunResult (whose texts the engine has already redacted and made safe), the same
// result always gives the same page. Nothing is fetched: the style is inline, the chart is CSS, there
// is no script, and the page's Content-Security-Policy forbids loading anything at all.
import type { RunResult, StepResult } from '../../core/results.ts';
import { duration, html } from './html-text.ts';
import { hostState, timelineHtml } from './html-timeline.ts';

/** How many of the slowest steps and phases are listed (those under a millisecond never are). */
const SLOWEST = 10;

const STYLE = `
:root { --ok:#3f9d5a; --changed:#d08a00; --failed:#c62828; --skipped:#9aa0a6; --phase:#4a78c2; --role:#8a6fbf; --grid:#eceff3;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:#1f2328; }
body { margin: 0 auto; max-width: 1280px; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }
.meta { color: #57606a; margin: 0 0 8px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 13px; vertical-align: middle; }
.badge.ok { background: var(--ok); } .badge.failed { background: var(--failed); } .badge.check, .badge.interrupted { background: #57606a; }
.totals span { margin-right: 14px; } .n-changed { color: var(--changed); font-weight: 600; } .n-failed { color: var(--failed); font-weight: 600; }
table { border-collapse: collapse; } th, td { text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid #eef0f2; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #fdecea; }
.failure { border-left: 4px solid var(--failed); background: #fdecea; padding: 6px 10px; margin: 8px 0; }
.change { border-left: 4px solid var(--changed); background: #fff8e6; padding: 6px 10px; margin: 8px 0; }
.where { font-weight: 600; } .where .role { color: #57606a; font-weight: 400; }
pre { margin: 6px 0 2px; padding: 8px; background: #f6f8fa; overflow-x: auto; white-space: pre-wrap; word-break: break-word; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
.failure pre { background: #fff; }
.diff .add { color: #1a7f37; background: #e6ffec; } .diff .del { color: #b3261e; background: #ffebe9; } .diff .hunk { color: #6639ba; } .diff .meta { color: #57606a; }
.none { color: #57606a; }
.timeline { --label: 300px; --dur: 80px; }
.row { display: flex; align-items: center; min-height: 18px; font-size: 12px; }
.row .label { flex: 0 0 var(--label); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; padding-right: 8px; box-sizing: border-box; }
.row .lane { flex: 1 1 auto; position: relative; height: 14px;
  background-image: repeating-linear-gradient(to right, var(--grid) 0, var(--grid) 1px, transparent 1px, transparent var(--tick)); }
.row .dur { flex: 0 0 var(--dur); text-align: right; font-variant-numeric: tabular-nums; color: #57606a; }
.row.axis { font-size: 11px; color: #57606a; height: 20px; } .row.axis .lane { background: none; height: 16px; }
.tick { position: absolute; top: 0; transform: translateX(-50%); white-space: nowrap; } .tick:first-child { transform: none; }
.bar { position: absolute; top: 2px; bottom: 2px; min-width: 2px; border-radius: 2px; background: var(--ok); }
.s-changed { background: var(--changed); } .s-failed, .s-unreachable { background: var(--failed); } .s-skipped { background: var(--skipped); }
.s-phase { background: var(--phase); } .s-role { background: var(--role); } .s-ok { background: var(--ok); } .k-role .bar { opacity: .55; }
details.host { border-top: 1px solid #d8dee4; padding: 2px 0; }
summary.row { cursor: pointer; font-weight: 600; font-size: 13px; min-height: 22px; }
summary.row .lane .bar { opacity: .35; }
.k-phase .label, .k-role .label { padding-left: 14px; } .k-role .label { font-weight: 600; }
.k-step .label, .k-handler .label { padding-left: 28px; } .k-handler .label { font-style: italic; }
footer { margin-top: 32px; color: #57606a; font-size: 12px; }
`;

/** Hosts that failed or were unreachable first, then the others, each in the run's order. */
function hostsFailuresFirst(result: RunResult): string[] {
  const names = Object.keys(result.hosts);
  const bad = (n: string) => ['failed', 'unreachable'].includes(hostState(result.hosts[n]!));
  return [...names.filter(bad), ...names.filter((n) => !bad(n))];
}

function where(s: StepResult): string {
  return `<span class="where">${html(s.host)} <span class="role">${html(s.role)} ›</span> ${s.handler ? 'handler ' : ''}${html(s.step)}</span>`;
}

function failuresHtml(result: RunResult, hosts: string[]): string {
  const items: string[] = [];
  for (const host of hosts) {
    const t = result.hosts[host]!;
    if (t.unreachable) {
      items.push(`<div class="failure" data-host="${html(host)}" data-status="unreachable"><span class="where">${html(host)}</span> unreachable<pre>${html(t.error ?? 'unreachable')}</pre></div>`);
    }
    for (const s of result.steps.filter((x) => x.host === host && x.status === 'failed')) {
      items.push(`<div class="failure" data-host="${html(host)}" data-role="${html(s.role)}" data-step="${html(s.step)}" data-status="failed">${where(s)} failed after ${duration(s.durationMs)}<pre>${html(s.error ?? 'failed')}</pre></div>`);
    }
  }
  const interrupted = result.interrupted ? '<div class="failure" data-status="interrupted"><span class="where">interrupted</span>: no new steps were started after Ctrl-C</div>' : '';
  const body = interrupted + items.join('\n');
  return `<section id="failures"><h2>Failures (${items.length})</h2>${body || '<p class="none">None: every host got through.</p>'}</section>`;
}

function recapHtml(result: RunResult, hosts: string[]): string {
  const rows = hosts.map((host) => {
    const t = result.hosts[host]!;
    const state = hostState(t);
    const bad = state === 'failed' || state === 'unreachable';
    return `<tr${bad ? ' class="bad"' : ''} data-host="${html(host)}" data-status="${state}"><td>${html(host)}</td><td>${state}</td>` +
      `<td class="num">${t.ok}</td><td class="num">${t.changed}</td><td class="num">${t.failed}</td><td class="num">${t.skipped}</td>` +
      `<td class="num">${t.unreachable ? 1 : 0}</td><td class="num">${duration(t.durationMs)}</td><td class="num">${t.roundTrips}</td><td>${t.connection ?? ''}</td></tr>`;
  });
  const s = result.totals;
  rows.push(`<tr data-host=""><th>total</th><th></th><th class="num">${s.ok}</th><th class="num">${s.changed}</th><th class="num">${s.failed}</th><th class="num">${s.skipped}</th>` +
    `<th class="num">${s.unreachable}</th><th class="num">${duration(result.durationMs)}</th><th></th><th></th></tr>`);
  return `<section id="recap"><h2>Recap</h2><table><thead><tr><th>host</th><th>state</th><th class="num">ok</th><th class="num">changed</th>` +
    `<th class="num">failed</th><th class="num">skipped</th><th class="num">unreachable</th><th class="num">time</th><th class="num">round trips</th><th>connection</th></tr></thead>` +
    `<tbody>${rows.join('\n')}</tbody></table></section>`;
}

function slowestHtml(result: RunResult): string {
  const items = [
    ...result.steps.map((s, i) => ({ order: i, host: s.host, what: `${html(s.role)} › ${s.handler ? 'handler ' : ''}${html(s.step)}`, status: s.status, durationMs: s.durationMs })),
    ...Object.entries(result.hosts).flatMap(([host, t], h) => (t.phases ?? []).map((p, i) => ({
      order: result.steps.length + h * 10 + i, host, what: `<em>${p.name}</em>`, status: p.failed ? 'failed' : 'ok', durationMs: p.durationMs,
    }))),
  ].filter((x) => x.durationMs >= 1)
    .sort((a, b) => b.durationMs - a.durationMs || a.order - b.order)
    .slice(0, SLOWEST);
  if (!items.length) return '';
  const rows = items.map((x) => `<tr data-host="${html(x.host)}"><td class="num">${duration(x.durationMs)}</td><td>${html(x.host)}</td><td>${x.what}</td><td>${x.status}</td></tr>`);
  return `<section id="slowest"><h2>Slowest steps</h2><table><thead><tr><th class="num">time</th><th>host</th><th>role › step</th><th>status</th></tr></thead><tbody>${rows.join('\n')}</tbody></table></section>`;
}

/** A unified diff, each line coloured by what it is. */
function diffHtml(diff: string): string {
  const lines = diff.replace(/\n$/, '').split('\n').map((line) => {
    const kind = /^(\+\+\+|---) /.test(line) ? 'meta' : line.startsWith('@@') ? 'hunk' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : '';
    return kind ? `<span class="${kind}">${html(line)}</span>` : html(line);
  });
  return `<pre class="diff">${lines.join('\n')}</pre>`;
}

function changesHtml(result: RunResult, hosts: string[]): string {
  const changed = hosts.flatMap((host) => result.steps.filter((s) => s.host === host && s.status === 'changed'));
  const items = changed.map((s) => {
    const list = s.changes?.length ? `<ul>${s.changes.map((c) => `<li>${html(c)}</li>`).join('')}</ul>` : '';
    return `<div class="change" data-host="${html(s.host)}" data-role="${html(s.role)}" data-step="${html(s.step)}">${where(s)}${list}${s.diff ? diffHtml(s.diff) : ''}</div>`;
  });
  const heading = result.check ? 'Changes that would be made' : 'Changes';
  return `<section id="changes"><h2>${heading} (${changed.length})</h2>${items.join('\n') || '<p class="none">None: every host was already as the roles describe.</p>'}</section>`;
}

export function htmlReport(result: RunResult): string {
  const hosts = hostsFailuresFirst(result);
  const s = result.totals;
  const state = result.interrupted ? 'interrupted' : result.ok ? 'ok' : 'failed';
  const meta = [
    result.startedAt ? `started ${html(result.startedAt)}` : '',
    `took ${duration(result.durationMs)}`,
    `${hosts.length} host(s)`,
    result.check ? 'check mode: nothing was changed' : '',
  ].filter(Boolean).join(' · ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scaleup run: ${state}, ${s.changed} changed, ${s.failed} failed, ${s.unreachable} unreachable</title>
<style>${STYLE}</style>
</head>
<body data-state="${state}" data-check="${result.check}">
<header>
<h1>scaleup run <span class="badge ${state === 'ok' ? 'ok' : state}">${state}</span>${result.check ? ' <span class="badge check">check</span>' : ''}</h1>
<p class="meta">${meta}</p>
<p class="totals"><span>ok ${s.ok}</span><span class="${s.changed ? 'n-changed' : ''}">changed ${s.changed}</span><span class="${s.failed ? 'n-failed' : ''}">failed ${s.failed}</span><span>skipped ${s.skipped}</span><span class="${s.unreachable ? 'n-failed' : ''}">unreachable ${s.unreachable}</span></p>
</header>
${failuresHtml(result, hosts)}
${recapHtml(result, hosts)}
${slowestHtml(result)}
<section id="timeline"><h2>Timeline</h2>${timelineHtml(result, hosts)}</section>
${changesHtml(result, hosts)}
<footer>Written by scaleup from the run's result; secrets are shown as ***.</footer>
</body>
</html>
`;
}
