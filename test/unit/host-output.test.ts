// Text a host sends (stderr, a file's old content in a diff, a lock holder, facts) may carry terminal
// escape sequences: set the window title, clear the screen, hide lines of a diff. None reaches a
// terminal, a JSON result or a JUnit file raw: the engine escapes it where it redacts, and the
// renderers escape again as the last line of defence.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { htmlReport } from '../../src/cli/render/html-report.ts';
import { junitReport } from '../../src/cli/render/junit.ts';
import { plainRenderer } from '../../src/cli/render/plain.ts';
import { planDetails, planSummary } from '../../src/cli/wizard/plan-summary.ts';
import type { Connection } from '../../src/core/connection/connection.ts';
import { ConnectError, StepError } from '../../src/core/errors.ts';
import { remoteFor } from '../../src/core/remote.ts';
import type { RunResult } from '../../src/core/results.ts';
import { runPlays } from '../../src/core/run.ts';
import { Redactor } from '../../src/core/secret.ts';
import { command, file } from '../../src/core/steps/index.ts';
import { runLocal } from '../support/local-role.ts';

/** An OSC that sets the window title, and a CSI that clears the screen. */
const HOSTILE = '\x1b]0;pwn\x07 and \x1b[2J';
/** Raw ESC, BEL, or an 8-bit CSI. */
const RAW = /[\x07\x1b\x9b]/;

const dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-host-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A connection whose every command fails with `stderr`. */
function failingConnection(stderr: string): Connection {
  return {
    hostName: 'web-01',
    roundTrips: 0,
    exec: async () => ({ stdout: '', stderr, exitCode: 1 }),
    close: async () => {},
  };
}

describe('host output is escaped by the engine', () => {
  it('a StepError built from a failed command holds no raw escape sequence', async () => {
    const remote = remoteFor(failingConnection(`E: ${HOSTILE}`), new Redactor());
    const err = await remote.run('apt-get install -y nginx').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    const e = err as StepError;
    expect(e.message).not.toMatch(RAW);
    expect(e.detail.stderr).not.toMatch(RAW);
    expect(e.detail.stderr).toContain('\\x1b]0;pwn\\x07');
  });

  it('a failed step on a real shell: its error shows the sequence as text', async () => {
    const outcome = await runLocal([command.run({ name: 'fails', command: `printf '\\033]0;pwn\\007 \\033[2J' >&2; exit 3` })]);
    const error = outcome.results[0]!.error!;
    expect(error).not.toMatch(RAW);
    expect(error).toContain('\\x1b[2J');
  });

  it('a diff of a file whose old content holds escape sequences', async () => {
    const dest = path.join(dir, 'motd');
    writeFileSync(dest, `welcome\n${HOSTILE}\n`);
    const outcome = await runLocal([file.content({ dest, content: 'welcome\n', mode: '0644' })], { check: true, diff: true });
    const diff = outcome.results[0]!.diff!;
    expect(diff).toContain('-\\x1b]0;pwn\\x07');
    expect(diff).not.toMatch(RAW);
  });

  it('a host that cannot be locked or reached: the JSON result holds no escape sequence', async () => {
    const host = { name: 'web-01', address: '10.0.0.21', privateAddress: '10.0.0.21', port: 22, user: 'root', become: false, groups: ['web'], vars: {} };
    const result = await runPlays({
      inventory: { file: '/x.yml', hosts: new Map([[host.name, host]]), groups: new Map([['web', [host.name]]]), knownHosts: '/kh' },
      plays: [{ name: 'web', hosts: [host], roles: [{ name: 'r', description: '', defaults: {}, steps: () => [] }] }],
      connect: async () => {
        throw new ConnectError('web-01', `locked by ${HOSTILE}`);
      },
      redactor: new Redactor(),
    });
    expect(result.hosts['web-01']!.error).toContain('\\x1b[2J');
    const json = JSON.stringify(result);
    expect(json).not.toMatch(RAW);
    // JSON.stringify would write ESC as \u001b, which a `jq -r` turns back into ESC.
    expect(json).not.toContain('\\u001b');
    expect(json).not.toContain('\\u0007');
  });
});

describe('facts as `provision facts` prints them', () => {
  it('every string, keys included, shows a control character as text', async () => {
    const { safeHostData } = await import('../../src/core/host-text.ts');
    const facts = { hostname: `web${HOSTILE}`, interfaces: { [`eth0${HOSTILE}`]: ['10.0.0.1/24'] }, count: 2, up: true };
    const json = JSON.stringify(safeHostData(facts));
    expect(json).not.toMatch(RAW);
    expect(json).not.toContain('\\u001b');
    expect(JSON.parse(json)).toMatchObject({ count: 2, up: true, interfaces: { 'eth0\\x1b]0;pwn\\x07 and \\x1b[2J': ['10.0.0.1/24'] } });
  });
});

describe('the renderers escape host text again (the last line of defence)', () => {
  // A result as a bug in the engine (or a third-party sink) could hand over: raw sequences everywhere.
  const raw: RunResult = {
    version: 1, ok: false, check: true, durationMs: 5,
    totals: { ok: 0, changed: 1, failed: 1, skipped: 0, unreachable: 1 },
    hosts: {
      'web-01': { ok: 0, changed: 1, failed: 1, skipped: 0, unreachable: false, roundTrips: 1, durationMs: 1 },
      'db-01': { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: true, roundTrips: 0, durationMs: 1, error: HOSTILE },
    },
    steps: [
      { host: 'web-01', role: 'nginx', step: `file ${HOSTILE}`, status: 'changed', durationMs: 1, changes: [`owner ${HOSTILE}`], diff: `--- a\n+++ b\n-${HOSTILE}\n+ok\n` },
      { host: 'web-01', role: 'nginx', step: 'package nginx', status: 'failed', durationMs: 1, error: `apt: ${HOSTILE}` },
    ],
  };

  it('plain lines, the JUnit and HTML reports and the wizard plan', () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const sink = plainRenderer({ color: false, out, err });
    for (const r of raw.steps) sink({ type: 'step', result: r });
    sink({ type: 'host-unreachable', host: 'db-01', error: HOSTILE });
    const printed = `${out.read() ?? ''}${err.read() ?? ''}`;
    expect(printed).toContain('\\x1b]0;pwn\\x07');
    expect(printed).not.toMatch(RAW);
    expect(junitReport(raw)).not.toMatch(RAW);
    expect(htmlReport(raw)).not.toMatch(RAW);
    expect(planSummary(raw)).not.toMatch(RAW);
    expect(planDetails(raw)).not.toMatch(RAW);
  });
});

describe('characters that make host text read otherwise than it is', () => {
  it('bidi overrides, zero-width characters, line separators and lone surrogates are shown escaped', async () => {
    // Fails on the old escaping, which passed them through (a diff line could read backwards in a CI log).
    const { safeHostText } = await import('../../src/core/host-text.ts');
    expect(safeHostText('a\u202Eb\u200Bc\u2028d\uD800e\uFFFFf é')).toBe('a\\u{202e}b\\u{200b}c\\u{2028}d\\u{d800}e\\u{ffff}f é');
  });
});
