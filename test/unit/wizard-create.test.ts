// The create flow of the wizard, driven through its real prompts (@inquirer/testing): defaults,
// answers re-asked with the reason, the files written, host keys pinned, and Ctrl-C.
import { screen } from '@inquirer/testing/vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KnownHosts } from '../../src/core/connection/known-hosts.ts';
import { loadInventory } from '../../src/core/inventory.ts';
import { VAULT_PASSWORD_ENV } from '../../src/core/vault.ts';
import { runWizard } from '../../src/cli/wizard/index.ts';
import type { RunOutcome, RunRequest } from '../../src/cli/wizard/run.ts';
import { answer, clearAndAnswer, collector, firstPrompt, hostKey, offlineOptions } from './wizard-harness.ts';
import { budget } from './budgets.ts';

describe('wizard: creating an inventory', () => {
  let cwd: string;
  let keyFile: string;
  let runs: RunRequest[];
  const savedPassword = process.env[VAULT_PASSWORD_ENV];

  beforeEach(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'scaleup-wizard-'));
    mkdirSync(path.join(cwd, 'keys'));
    keyFile = path.join(cwd, 'keys', 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    runs = [];
    delete process.env[VAULT_PASSWORD_ENV];
  }, budget({ processes: 1 }));
  afterEach(() => {
    if (savedPassword === undefined) delete process.env[VAULT_PASSWORD_ENV];
    else process.env[VAULT_PASSWORD_ENV] = savedPassword;
  });

  const options = (out: Writable, outcomes: RunOutcome[] = []) => ({
    cwd,
    out,
    scryptWorkFactor: 10,
    ...offlineOptions(runs, outcomes),
  });

  it('asks with defaults, re-asks bad answers with the reason, writes the inventory, secrets and pinned keys; a failed first apply goes on in the menu', async () => {
    const log = collector();
    const failedOnApp: RunOutcome = { code: 2, failures: [{ host: 'app-01', role: 'app', step: 'service app', error: 'systemctl exited 1' }] };
    const done = runWizard(options(log.out, [failedOnApp]));
    await firstPrompt();

    // No inventory/ yet: straight to creating one.
    expect(screen.getScreen()).toContain('Where should the new inventory be written?');
    expect(screen.getScreen()).toContain('inventory/site.yml');
    await answer('');

    expect(screen.getScreen()).toContain('Name of lb host 1');
    await answer(''); // lb-01
    await answer('10.0.0.300');
    expect(screen.getScreen()).toContain('10.0.0.300 is not a valid IPv4 address');
    await clearAndAnswer('10.0.0.300', '10.0.0.11');

    await answer(''); // lb-02
    expect(screen.getScreen()).toContain('(10.0.0.12)'); // suggested: next to lb-01
    await answer('10.0.0.11');
    expect(screen.getScreen()).toContain('10.0.0.11 is already the address of lb-01');
    await clearAndAnswer('10.0.0.11', '10.0.1.12');
    expect(screen.getScreen()).toContain('not in 10.0.0.0/24 with lb-01');
    await clearAndAnswer('10.0.1.12', '');

    await answer('lb-01');
    expect(screen.getScreen()).toContain('lb-01 is already the name of another host');
    await clearAndAnswer('lb-01', ''); // web-01
    expect(screen.getScreen()).toContain('(10.0.0.21)');
    await answer('');
    await answer(''); // app-01
    await answer(''); // 10.0.0.31
    await answer(''); // db-01
    await answer(''); // 10.0.0.41

    expect(screen.getScreen()).toContain('SSH user');
    await answer('');
    expect(screen.getScreen()).toContain('Use sudo');
    await answer('');
    await answer('70000');
    expect(screen.getScreen()).toContain('port 70000 is out of range');
    await clearAndAnswer('70000', '2222');

    expect(screen.getScreen()).toContain('SSH key to log in with');
    screen.type('Another');
    await answer('');
    await answer('keys/id_ed25519.pub');
    expect(screen.getScreen()).toContain('is a public key');
    await clearAndAnswer('keys/id_ed25519.pub', 'keys/id_ed25519');

    expect(screen.getScreen()).toContain('(10.0.0.100)');
    await answer('10.0.5.100');
    expect(screen.getScreen()).toContain('10.0.5.100 is outside 10.0.0.0/24, the network of the load balancers');
    await clearAndAnswer('10.0.5.100', '10.0.0.21');
    expect(screen.getScreen()).toContain("10.0.0.21 is web-01's address");
    await clearAndAnswer('10.0.0.21', '');

    await answer('0');
    expect(screen.getScreen()).toContain('port 0 is out of range');
    await clearAndAnswer('0', '');
    await answer('my-db');
    expect(screen.getScreen()).toContain('a database name has');
    await clearAndAnswer('my-db', 'shop');

    expect(screen.getScreen()).toContain('Write inventory/site.yml and its encrypted secrets file?');
    await answer('');
    expect(screen.getScreen()).toContain('How should the secrets file be protected?');
    await answer(''); // passphrase
    await answer('short');
    expect(screen.getScreen()).toContain('too short');
    await clearAndAnswer('short', 'correct horse');
    await answer('correct horse');

    // Host keys: the fingerprint is shown, each asked; lb-02 is refused.
    expect(screen.getScreen()).toContain("Trust lb-01's key?");
    expect(log.text()).toMatch(/lb-01 +10\.0\.0\.11 +256 SHA256:\S+ \(ED25519\)/);
    await answer('y');
    await answer('n');
    await answer('y');
    await answer('y');
    await answer('y');
    expect(screen.getScreen()).toContain('Check what the hosts need now? (the plan comes before any change)');
    await answer('');
    const file = path.join(cwd, 'inventory', 'site.yml');
    expect(runs).toEqual([{ inventory: file }]);
    // The first apply failed on app-01: the wizard goes on in the menu of the new inventory, the failure listed above it.
    expect(screen.getScreen()).toContain('What would you like to do?');
    expect(log.text()).toContain('The run failed on 1 host:\n  app-01  app › service app: systemctl exited 1\n');
    screen.type('Quit');
    screen.keypress('enter');
    await expect(done).resolves.toBe(2);

    const text = readFileSync(file, 'utf8');
    expect(text).toContain('lb-01: { address: 10.0.0.11 }');
    expect(text).toContain('private_key: ../keys/id_ed25519');
    expect(text).toContain('secrets: site.secrets.age');
    expect(text).not.toMatch(/password:|auth_pass:/); // the secrets are not in the inventory

    const inv = await loadInventory(file, { vault: { passphrase: async () => 'correct horse', env: {} } });
    expect([...inv.groups]).toEqual([['lb', ['lb-01', 'lb-02']], ['web', ['web-01']], ['app', ['app-01']], ['db', ['db-01']]]);
    const web = inv.hosts.get('web-01')!;
    expect(web).toMatchObject({ address: '10.0.0.21', port: 2222, user: 'deploy', become: true, privateKey: keyFile });
    expect(web.vars).toMatchObject({ vip: '10.0.0.100', app_port: 3000, mysql_app_database: 'shop' });
    const secrets = Object.fromEntries(Object.entries(inv.secrets!).map(([k, v]) => [k, v.reveal()]));
    expect(secrets.mysql_app_password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(secrets.haproxy_stats_password).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(Object.keys(secrets).sort()).toEqual(['haproxy_stats_password', 'mysql_app_password']);
    // Never echoed.
    for (const v of Object.values(secrets)) expect(log.text() + (await screen.getFullOutput())).not.toContain(v);

    const known = new KnownHosts(inv.knownHosts);
    expect(known.lookup('[10.0.0.11]:2222')).toHaveLength(1);
    expect(known.lookup('[10.0.0.12]:2222')).toHaveLength(0);
    expect(known.lookup('[10.0.0.41]:2222')[0]!.key).toBe(hostKey('db-01').toString('base64'));
    expect(log.text()).toContain('Not trusted or not reached: lb-02');
    // No temp file left beside the inventory.
    expect(readdirSync(path.join(cwd, 'inventory')).sort()).toEqual(['known_hosts', 'site.secrets.age', 'site.yml']);
  }, budget({ processes: 6, prompts: 42 }));

  it('Ctrl-C at a question exits 130 and writes nothing', async () => {
    const log = collector();
    const done = runWizard(options(log.out));
    await firstPrompt();
    await answer('');
    await answer('');
    await answer('10.0.0.11');
    screen.keypress({ name: 'c', ctrl: true });
    await expect(done).resolves.toBe(130);
    expect(log.text()).toContain('Left the wizard.');
    expect(existsSync(path.join(cwd, 'inventory'))).toBe(false);
  }, budget({ processes: 1, prompts: 5 }));

  it('offers the existing inventories first, and refuses to create over one', async () => {
    mkdirSync(path.join(cwd, 'inventory'));
    writeFileSync(path.join(cwd, 'inventory', 'site.yml'), 'groups:\n  web:\n    hosts:\n      web-01: { address: 10.0.0.21 }\n');
    const log = collector();
    const done = runWizard(options(log.out));
    await firstPrompt();
    expect(screen.getScreen()).toContain('inventory/site.yml');
    expect(screen.getScreen()).toContain('1 host · web: web-01');
    screen.type('Create');
    await answer('');
    expect(screen.getScreen()).toContain('(inventory/site-2.yml)');
    await answer('inventory/site.yml');
    expect(screen.getScreen()).toContain('inventory/site.yml already exists');
    screen.keypress({ name: 'c', ctrl: true });
    await expect(done).resolves.toBe(130);
  }, budget({ processes: 1, prompts: 4 }));
});
