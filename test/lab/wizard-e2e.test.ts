// The wizard end to end, as a person uses it: the real `provision` binary in a real terminal (tmux),
// keys typed, the screen read back. It creates an inventory for the lab in a temp folder, generates the
// secrets, trusts the lab's host keys (checking the fingerprints it shows against the lab's own record),
// then plans and applies the whole stack, and verifies it. Then, in a project of its own whose one role
// fails on purpose: Enter at the plan applies nothing, a failed run comes back to the menu with the
// failure listed, and the live tree leaves nothing stale under a host that ended.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KnownHosts } from '../../src/core/connection/known-hosts.ts';
import { loadInventory } from '../../src/core/inventory.ts';
import { PROJECT_ROOT } from './global-setup.ts';
import { labKey, labKnownHosts } from './lab-paths.ts';
import { apply, LAB_ADDRESSES, onHost } from './support.ts';

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

let terminals = 0;

/** A private tmux server (its own socket), so the session gets this process's environment, not a running server's. */
class Terminal {
  /** A file the command writes its exit code to: waiting stops early once it exists. */
  constructor(readonly exitFile: string) {}

  readonly socket = `scaleup-wizard-e2e-${process.pid}-${++terminals}`;
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
    await term.answer(/Check what the hosts need now\?/);

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
    expect(history).not.toMatch(/connecting/); // every host of both trees ended with its counts, nothing stale

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

/** The line under `host` in the last live tree on `screen` (listr2 draws `✔ host …` / `✖ host …`, then `› …` lines). */
function treeBranch(screen: string, host: string): string[] {
  const lines = screen.split('\n');
  const at = lines.map((l) => new RegExp(`^[✔✖] ${host}\\b`).test(l)).lastIndexOf(true);
  if (at < 0) return [];
  const branch = [lines[at]!];
  for (const l of lines.slice(at + 1)) {
    if (!/^\s+›/.test(l)) break;
    branch.push(l);
  }
  return branch;
}

describe.skipIf(!hasTmux)('the wizard in a terminal, when a run fails', () => {
  // A project of the test's own: one role that marks web-01 (a file under /run) and then fails, a host
  // that refuses connections, and the lab's key. Nothing of the stack changes; the mark is removed.
  const project = mkdtempSync(path.join(tmpdir(), 'scaleup-wizard-fail-'));
  const exitFile = path.join(project, 'exit-code');
  const MARK = '/run/scaleup-wizard-e2e-ran';
  const term = new Terminal(exitFile);

  afterAll(async () => {
    await onHost('web-01', `rm -f ${MARK}`);
    term.stop();
    rmSync(project, { recursive: true, force: true });
  });

  it('Enter at the plan applies nothing; a failed run comes back to the menu with the failure listed; no stale line in the tree', async () => {
    mkdirSync(path.join(project, 'roles', 'failing'), { recursive: true });
    mkdirSync(path.join(project, 'playbooks'));
    mkdirSync(path.join(project, 'inventory'));
    writeFileSync(path.join(project, 'scaleup.yml'), 'inventory: inventory/site.yml\nplaybook: playbooks/site.yml\nssh_persist: 0\n');
    writeFileSync(path.join(project, 'playbooks', 'site.yml'), '- name: Fails on purpose\n  hosts: web\n  roles: [failing]\n');
    writeFileSync(path.join(project, 'roles', 'failing', 'index.ts'), [
      `import { command, defineRole } from 'scaleup';`,
      `export default defineRole({`,
      `  name: 'failing',`,
      `  description: 'Marks the host, then fails',`,
      `  defaults: {},`,
      `  steps: () => [command.run({ name: 'mark the host, then exit 1', command: 'date > ${MARK}; echo "no luck" >&2; exit 1' })],`,
      `});`,
      '',
    ].join('\n'));
    writeFileSync(path.join(project, 'inventory', 'site.yml'), [
      'connection:',
      '  user: deploy',
      '  become: true',
      `  private_key: ${labKey}`,
      `  known_hosts: ${labKnownHosts}`,
      'groups:',
      '  web:',
      '    hosts:',
      `      web-01: { address: ${LAB_ADDRESSES['web-01']} }`,
      '      web-99: { address: 127.0.0.1, port: 1 }',
      '',
    ].join('\n'));
    await onHost('web-01', `rm -f ${MARK}`);

    const env: Record<string, string | undefined> = { ...process.env, TERM: 'xterm-256color' };
    for (const name of ['CI', 'NO_COLOR', 'SCALEUP_VAULT_PASSWORD', 'SCALEUP_INVENTORY', 'SCALEUP_PLAYBOOK', 'SCALEUP_AGE_KEY_FILE', 'SSH_AUTH_SOCK', 'TMUX']) delete env[name];
    const bin = path.join(PROJECT_ROOT, 'bin', 'provision.js');
    term.start(`cd ${project} && ${process.execPath} ${bin}; echo $? > ${exitFile}; sleep 3600`, env);

    await term.answer(/Which inventory\?/); // inventory/site.yml, the first
    await term.answer(/What would you like to do\?/); // Apply everything

    // The check: web-99 refuses; its branch shows the error and nothing else (no "connecting…").
    await term.waitFor(/Fix what is shown above/, 120_000, true);
    const checked = await term.waitFor(/^\? What would you like to do\?/m, 30_000);
    expect(treeBranch(term.history(), 'web-99')).toEqual([
      expect.stringMatching(/^✖ web-99 {2}ok=0 changed=0 {2}\d+\.\d\ds$/),
      expect.stringMatching(/^ {2}› unreachable: cannot connect to 127\.0\.0\.1:1/),
    ]);
    expect(term.history()).not.toMatch(/connecting/);
    expect(checked).toMatch(/web-99\s+unreachable: cannot connect/);

    // Only web-01: the role, one host ticked of two.
    const chooseWeb01 = async () => {
      await term.answer(/What would you like to do\?/, 'Re-run');
      await term.answer(/Which role\?/);
      await term.waitFor(/^\? Run failing on which hosts\?/m);
      term.key('Down');
      term.key('Space'); // untick web-99
      await term.answer(/Run failing on which hosts\?/);
    };
    await chooseWeb01();
    const plan = await term.waitFor(/^\? Apply 1 change on 1 of 1 host\?/m, 120_000);
    // The plan shown is the one that runs: web-01, the role's one step.
    expect(plan).toMatch(/Plan: 1 change on 1 of 1 host/);
    expect(plan).toMatch(/web-01\s+1 to change\n\s+failing\s+mark the host, then exit 1/);
    expect(plan).toMatch(/❯ Do not apply/); // the cursor is on No
    await term.answer(/Apply 1 change on 1 of 1 host\?/); // Enter
    await term.waitFor(/Nothing was applied\./, 30_000, true);
    await term.waitFor(/^\? What would you like to do\?/m);
    expect((await onHost('web-01', `test -e ${MARK}`)).exitCode, 'Enter applied the plan').toBe(1);

    // Now applied: the step fails on web-01, and the wizard comes back to its menu with the failure.
    await chooseWeb01();
    await term.answer(/Apply 1 change on 1 of 1 host\?/, 'Apply', 120_000);
    await term.waitFor(/The run failed on 1 host:/, 120_000, true);
    const after = await term.waitFor(/^\? What would you like to do\?/m, 30_000);
    const history = term.history();
    expect(history).toMatch(/RECAP\n[\s\S]*web-01\s+ok=0\s+changed=0\s+failed=1/);
    // Host, role, step, the error and, indented, the rest of it (the command's stderr).
    expect(history).toMatch(/The run failed on 1 host:\n {2}web-01 {2}failing › mark the host, then exit 1: command failed \(exit 1\): [\s\S]*?\n {12}no luck\n/);
    expect(history).toMatch(/Fix the cause \(the role, a variable, the host\), then apply again\./);
    expect(after).toMatch(/^\? What would you like to do\?/m);
    expect(treeBranch(history, 'web-01')[0]).toMatch(/^✖ web-01 {2}ok=0 changed=0 failed=1 {2}\d+\.\d\ds$/);
    expect(history).not.toMatch(/connecting/);
    expect((await onHost('web-01', `test -e ${MARK}`)).exitCode).toBe(0);

    await term.answer(/What would you like to do\?/, 'Quit');
    const until = Date.now() + 30_000;
    while (!existsSync(exitFile) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(exitFile, 'utf8').trim()).toBe('2'); // the failed run's code
  }, 600_000);
});
