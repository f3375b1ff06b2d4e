// Where --json, --junit and --report are written: the report holds diffs of config files and what
// changed on each host, so it is the person's alone whatever was at that path before.
import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertReportWritable, writeReport } from '../../src/cli/commands/report-file.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-report-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a report file', () => {
  it('is new and private (0600)', () => {
    const target = path.join(dir, 'new.html');
    assertReportWritable('--report', target);
    writeReport('--report', target, '<p>diff</p>');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readFileSync(target, 'utf8')).toBe('<p>diff</p>');
  });

  it('is written into a device as before (--junit /dev/null), not renamed over it', () => {
    assertReportWritable('--junit', '/dev/null');
    writeReport('--junit', '/dev/null', '<testsuites/>');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('replaces an earlier report that others could read with a private one', () => {
    const target = path.join(dir, 'old.json');
    writeFileSync(target, '{}');
    chmodSync(target, 0o666);
    assertReportWritable('--json', target);
    writeReport('--json', target, '{"ok":true}\n');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readFileSync(target, 'utf8')).toBe('{"ok":true}\n');
  });

  it('replaces a link at the path instead of writing through it into the file it names', () => {
    const elsewhere = path.join(dir, 'elsewhere.txt');
    writeFileSync(elsewhere, 'untouched');
    chmodSync(elsewhere, 0o644);
    const target = path.join(dir, 'link.html');
    symlinkSync(elsewhere, target);
    writeReport('--report', target, '<p>report</p>');
    expect(readFileSync(elsewhere, 'utf8')).toBe('untouched');
    expect(lstatSync(target).isFile()).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });
});
