// The wizard end to end, as a person uses it: the real `provision` binary in a real terminal (tmux),
// keys typed, the screen read back. It creates an inventory for the lab in a temp folder, generates the
// secrets, trusts the lab's host keys (checking the fingerprints it shows against the lab's own record),
// then plans and applies the whole stack, and verifies it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KnownHosts } from '../../src/core/connection/known-hosts.ts';
import { loadInventory } from '../../src/core/inventory.ts';
import { PROJECT_ROOT } from './global-setup.ts';
import { labKey, labKnownHosts } from './lab-paths.ts';
import { apply } from './support.ts';

const HOSTS = [
  { name: 'lb-01', address: '10.77.0.11' },
  { name: 'lb-02', address: '10.77.0.12' },
  { name: 'web-01', address: '10.77.0.21' },
  { name: 'app-01', address: '10.77.0.31' },
  { name: 'db-01', address: '10.77.0.41' },
];
const VIP = '10.77.0.100';
const PASSPHRASE = 'lab wizard passphrase';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/** A private tmux server (its own socket), so the session gets this process's environment, not a running server's. */
class Terminal {
  /** A file the command writes its exit code to: waiting stops early once it exists. */
  constructor(readonly exitFile: string) {}

  readonly socket = `scaleup-wizard-e2e-${process.pid}`;
  readonly session = 'wizard';

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  start(command: string, env: Record<string, string | undefined>): void {
    execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-s', this.session, '-x', '200', '-y', '50', command], {
      env: env as NodeJS.ProcessEnv,
    });
  }

  /** What the terminal shows now (the visible 200×50 screen). */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', this.session);
  }

  /** Everything printed so far, scrollback included. */
  history(): string {
    return this.tmux('capture-pane', '-p', '-S', '-', '-t', this.session);
  }

  type(text: string): void {
    this.tmux('send-keys', '-t', this.session, '-l', text);
  }

  key(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.session, ...keys);
  }

  /**
   * Waits until the screen (or, with `inHistory`, everything printed so far) matches; returns what
   * matched. Fails with the screen when it never does, or as soon as the command has exited.
   */
  async waitFor(pattern: RegExp, timeoutMs = 30_000, inHistory = false): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const screen = inHistory ? this.history() : this.screen();
      if (pattern.test(screen)) return screen;
      if (existsSync(this.exitFile)) {
        throw new Error(`provision exited (${readFileSync(this.exitFile, 'utf8').trim()}) before ${pattern}; it printed:\n${this.history().slice(-4000)}`);
      }
      if (Date.now() > until) throw new Error(`timed out waiting for ${pattern}; the screen shows:\n${screen}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Waits for the active question (inquirer draws it as `? message`), then answers it. */
  async answer(question: RegExp, text = '', timeoutMs?: number): Promise<string> {
    const screen = await this.waitFor(new RegExp(`^\\? ${question.source}`, 'm'), timeoutMs);
    if (text) this.type(text);
    // Let select prompts' type-to-jump settle before Enter.
    await new Promise((r) => setTimeout(r, 300));
    this.key('Enter');
    return screen;
  }

  stop(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

/** The fingerprint the lab recorded for a host (`ssh-keygen -l -F`), to compare with what the wizard shows. */
function labFingerprint(address: string): string {
  const out = execFileSync('ssh-keygen', ['-l', '-F', address, '-f', labKnownHosts], { encoding: 'utf8' });
  const m = /SHA256:\S+/.exec(out);
  if (!m) throw new Error(`no key for ${address} in ${labKnownHosts}`);
  return m[0];
}

describe.skipIf(!hasTmux)('the wizard in a terminal', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-wizard-e2e-'));
  const inventoryFile = path.join(dir, 'site.yml');
  const exitFile = path.join(dir, 'exit-code');
  const term = new Terminal(exitFile);

  let passed = false;

  afterAll(async () => {
    // The wizard's inventory has its own secrets and no firewall_admin_sources: the suites after this
    // one start from the stack as inventory/lab.yml describes it.
    const back = await apply([]);
    expect(back.code, back.stderr).toBe(0);
    // Kept only when the test failed, with what the terminal showed; the folder holds lab secrets.
    if (passed) rmSync(dir, { recursive: true, force: true });
    else {
      try {
        writeFileSync(path.join(dir, 'terminal.txt'), term.history());
        console.error(`wizard e2e: the terminal's output is in ${path.join(dir, 'terminal.txt')}`);
      } catch {
        // the session is already gone
      }
    }
    term.stop();
  });

  it('creates an inventory for the lab, trusts its host keys, applies the stack and verifies it', async () => {
    const env: Record<string, string | undefined> = { ...process.env, TERM: 'xterm-256color' };
    for (const name of ['CI', 'NO_COLOR', 'SCALEUP_VAULT_PASSWORD', 'SCALEUP_INVENTORY', 'SCALEUP_AGE_KEY_FILE', 'SSH_AUTH_SOCK', 'TMUX']) delete env[name];
    const bin = path.join(PROJECT_ROOT, 'bin', 'provision.js');
    term.start(`cd ${PROJECT_ROOT} && ${process.execPath} ${bin}; echo $? > ${exitFile}; sleep 3600`, env);

    // Start: the project has inventories, so the wizard offers them; create a new one instead.
    const first = await term.waitFor(/^\? (Which inventory\?|Where should the new inventory)/m);
    if (/Which inventory\?/.test(first)) await term.answer(/Which inventory\?/, 'Create');
    await term.answer(/Where should the new inventory be written\?/, inventoryFile);

    for (const host of HOSTS) {
      const tierHosts = HOSTS.filter((h) => h.name.split('-')[0] === host.name.split('-')[0]);
      const nameQuestion = tierHosts.length > 1
        ? new RegExp(`Name of ${host.name.split('-')[0]} host ${tierHosts.indexOf(host) + 1} \\(${host.name}\\)`)
        : new RegExp(`Name of the ${host.name.split('-')[0]} host \\(${host.name}\\)`);
      await term.answer(nameQuestion); // the suggested name
      await term.answer(new RegExp(`${host.name} address`), host.address);
    }

    await term.answer(/SSH user/, 'deploy');
    await term.answer(/Use sudo/);
    await term.answer(/SSH port \(22\)/);
    await term.answer(/SSH key to log in with/, 'Another');
    await term.answer(/Private key file/, labKey);
    await term.answer(new RegExp(`Virtual IP \\(VIP\\) the clients use \\(${VIP.replace(/\./g, '\\.')}\\)`), VIP);
    await term.answer(/Port the app listens on \(3000\)/);
    await term.answer(/Name of the app's database \(app\)/);
    await term.answer(/Write .*site\.yml and its encrypted secrets file\?/);
    await term.answer(/How should the secrets file be protected\?/); // a passphrase
    await term.answer(/Vault passphrase/, PASSPHRASE);
    await term.answer(/Type the passphrase again/, PASSPHRASE);

    // Host keys: the fingerprint shown is the one the lab generated; trust each.
    for (const host of HOSTS) {
      const screen = await term.answer(new RegExp(`Trust ${host.name}'s key\\?`), 'y', 60_000);
      const line = screen.split('\n').find((l) => new RegExp(`^\\s+\\? ${host.name}\\s+${host.address.replace(/\./g, '\\.')}\\s`).test(l));
      expect(line, `fingerprint line of ${host.name}`).toContain(`${labFingerprint(host.address)} (ED25519)`);
    }
    await term.answer(/Check what the hosts need and set the stack up now\?/);

    // The plan (check mode), its detail, then apply.
    const planned = await term.waitFor(/^\? (Apply \d+ changes? on|Run `provision verify`)/m, 300_000);
    if (/^\? Apply/m.test(planned)) {
      expect(term.history()).toMatch(/Plan: \d+ changes? on \d of 5 hosts \(check mode: nothing has been changed\)/);
      await term.answer(/Apply \d+ changes?/, 'Show');
      await term.waitFor(/── (lb|web|app|db)-0\d ──/, 30_000, true); // scrolled past: read the history
      await term.waitFor(/^\? Apply \d+ changes?/m);
      await term.answer(/Apply \d+ changes?/, 'Apply');
    }

    // Applying takes minutes on fresh hosts; then the wizard offers `provision verify`, or ends.
    const until = Date.now() + 1_800_000;
    let verifyOffered = false;
    while (!existsSync(exitFile) && Date.now() < until) {
      if (!verifyOffered && /^\? Run `provision verify`/m.test(term.screen())) {
        await term.answer(/Run `provision verify`/, 'y');
        verifyOffered = true;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const history = term.history();
    expect(existsSync(exitFile), `the wizard did not finish; the terminal shows:\n${history.slice(-4000)}`).toBe(true);
    expect(readFileSync(exitFile, 'utf8').trim(), history.slice(-4000)).toBe('0');
    expect(history).toMatch(/RECAP[\s\S]*total\s+ok=\d+\s+changed=\d+\s+failed=0\s+skipped=\d+\s+unreachable=0/);
    expect(history).not.toMatch(/internal error|    at .+\.ts:\d+/); // no stack trace

    // What was written.
    const text = readFileSync(inventoryFile, 'utf8');
    for (const h of HOSTS) expect(text).toContain(`${h.name}: { address: ${h.address} }`);
    expect(text).toContain(`vip: ${VIP}`);
    const inv = await loadInventory(inventoryFile, { vault: { passphrase: async () => PASSPHRASE, env: {} } });
    expect(Object.keys(inv.secrets ?? {}).sort()).toEqual(['haproxy_stats_password', 'mysql_app_password']);
    for (const secret of Object.values(inv.secrets!)) expect(history).not.toContain(secret.reveal());
    const known = new KnownHosts(inv.knownHosts);
    for (const h of HOSTS) expect(known.lookup(h.address), h.name).toHaveLength(1);

    // The stack answers on the VIP.
    const page = spawnSync('curl', ['-fsS', '--max-time', '5', `http://${VIP}/`], { encoding: 'utf8' });
    expect(page.status, page.stderr).toBe(0);
    passed = true;
  }, 2_400_000);
});
