// A real bug (an error that is no ScaleupError) is one line on stderr and exit 70; the full trace
// goes to a new private file. Driven in-process through main(), with the inventory loader replaced
// by one that fails the way a bug does.
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const bug = vi.hoisted(() => new TypeError("Cannot read properties of undefined (reading 'hosts')", { cause: new Error('the cause') }));
vi.mock('../../src/core/inventory.ts', async (original) => ({
  ...(await original<typeof import('../../src/core/inventory.ts')>()),
  loadInventory: async () => {
    throw bug;
  },
}));

const { main } = await import('../../src/cli/main.ts');
const { internalErrorLine, saveTrace } = await import('../../src/cli/internal-error.ts');

describe('an internal error', () => {
  let traces: string;
  let stderr: string;
  const savedTmp = process.env.TMPDIR;
  beforeEach(() => {
    traces = mkdtempSync(path.join(tmpdir(), 'scaleup-traces-'));
    process.env.TMPDIR = traces;
    stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  });

  it('prints one line naming the trace file, exits 70, and the file (0600) holds the whole trace', async () => {
    const code = await main(['node', 'provision', 'graph', '-i', 'inventory/lab.yml']);
    expect(code).toBe(70);
    const line = /^internal error: Cannot read properties of undefined \(reading 'hosts'\) \(full trace in (\S+)\)\n$/.exec(stderr);
    expect(line, stderr).not.toBeNull();
    const file = line![1]!;
    expect(path.dirname(file)).toBe(traces);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const trace = readFileSync(file, 'utf8');
    expect(trace).toContain('command: provision graph -i inventory/lab.yml');
    expect(trace).toMatch(/TypeError: Cannot read properties of undefined[^]*\n\s+at /);
    expect(trace).toContain('the cause');
  });

  it('each trace gets a new file of its own', () => {
    const a = saveTrace(bug, ['node', 'provision'], traces);
    const b = saveTrace(bug, ['node', 'provision'], traces);
    expect(a).not.toBe(b);
    expect(readdirSync(traces).sort()).toEqual([path.basename(a), path.basename(b)].sort());
  });

  it('still one line when the trace cannot be saved', () => {
    const closed = path.join(traces, 'missing');
    expect(internalErrorLine(bug, ['node', 'provision'], closed)).toMatch(/^internal error: Cannot read .* \(the trace could not be saved: ENOENT[^\n]*\)$/);
  });
});
