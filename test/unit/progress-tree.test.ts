// The live tree on a real terminal (tmux): what stays under each host once it has ended. A host that
// failed or was lost closes when it stops, showing its error and what it changed, never a stale
// "connecting…" or the step it was on; the others close when the run ends.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root.ts';
import { budget, CLI_START_MS } from './budgets.ts';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const socket = `scaleup-tree-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 'tree').split('\n').map((l) => l.trimEnd()).filter(Boolean);

async function waitForScreen(pattern: RegExp): Promise<string[]> {
  const until = Date.now() + CLI_START_MS;
  for (;;) {
    const lines = screen();
    if (pattern.test(lines.join('\n'))) return lines;
    if (Date.now() > until) throw new Error(`the screen never showed ${pattern}:\n${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The lines of host `name`'s branch: its title line and the `›` lines under it. */
function branch(lines: string[], name: string): string[] {
  const at = lines.findIndex((l) => new RegExp(`^\\S ${name}\\b`).test(l));
  if (at < 0) return [];
  const end = lines.findIndex((l, i) => i > at && !/^\s+›/.test(l));
  return lines.slice(at, end < 0 ? undefined : end);
}

describe.skipIf(!hasTmux)('the live tree', () => {
  afterEach(() => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
  });

  it('leaves under each ended host what is true: counts, changes or the error; nothing stale', async () => {
    const driver = path.join(packageRoot, 'test', 'unit', 'progress-tree-driver.ts');
    const tsx = path.join(packageRoot, 'node_modules', '.bin', 'tsx');
    const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-tree-'));
    const goOn = path.join(dir, 'go-on');
    execFileSync('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'tree', '-x', '120', '-y', '30', `${tsx} ${driver} ${goOn}; sleep 600`], {
      env: { ...process.env, TERM: 'xterm-256color', CI: undefined, NO_COLOR: undefined, TMUX: undefined } as NodeJS.ProcessEnv,
    });

    // While the run goes on: app-01 and db-01 have stopped and are closed already; lb-01 is on its step.
    const during = await waitForScreen(/✖ db-01.*\n.*› unreachable/);
    expect(branch(during, 'app-01')).toEqual([
      '✖ app-01  ok=1 changed=0 failed=1  1.50s',
      '  › app › service app: command failed (exit 1): systemctl restart app',
    ]);
    expect(branch(during, 'db-01')).toEqual([
      '✖ db-01  ok=0 changed=0  1.50s',
      '  › unreachable: cannot connect to 10.0.0.41:22: timed out',
    ]);
    // Its steps began before listr2 started its task: the step shows all the same, not "connecting…".
    expect(branch(during, 'lb-01').slice(1)).toEqual(['  › haproxy › service haproxy']);

    writeFileSync(goOn, '');
    const after = await waitForScreen(/run over/);
    expect(branch(after, 'lb-01')).toEqual(['✔ lb-01  ok=1 changed=1  1.50s', '  › changed haproxy › package haproxy']);
    expect(branch(after, 'app-01')).toHaveLength(2);
    expect(branch(after, 'db-01')).toHaveLength(2);
    expect(branch(after, 'web-01')).toEqual(['✔ web-01', '  › not run']);
    expect(after.join('\n')).not.toMatch(/connecting/);
    expect(after.filter((l) => /lb-01/.test(l))).toHaveLength(1); // the tree was redrawn in place
    rmSync(dir, { recursive: true, force: true });
  }, budget({ cliStarts: 1, plusMs: 5_000 }));
});
