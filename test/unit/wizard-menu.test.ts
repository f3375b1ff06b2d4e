// Re-entering the wizard on an existing inventory: the menu's actions, through their real prompts.
import { screen } from '@inquirer/testing/vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { KnownHosts } from '../../src/core/connection/known-hosts.ts';
import { readInventory } from '../../src/core/inventory.ts';
import { runWizard } from '../../src/cli/wizard/index.ts';
import type { RunOutcome, RunRequest } from '../../src/cli/wizard/run.ts';
import { inventoryDocument, writeInventoryFile } from '../../src/cli/wizard/write-inventory.ts';
import { siteAnswers } from './wizard-answers.ts';
import { answer, clearAndAnswer, collector, firstPrompt, hostKey, offlineOptions } from './wizard-harness.ts';
import { budget } from './budgets.ts';

describe('wizard: the menu of an existing inventory', () => {
  let cwd: string;
  let file: string;
  let runs: RunRequest[];
  const log = collector();

  beforeEach(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'scaleup-menu-'));
    mkdirSync(path.join(cwd, 'inventory'));
    file = path.join(cwd, 'inventory', 'prod.yml');
    // The five-host site plus web-02, no private key (the ssh-agent).
    writeInventoryFile(file, inventoryDocument(siteAnswers(
      { secretsFile: 'prod.secrets.age' },
      [{ tier: 'web', name: 'web-02', address: '10.0.0.22' }],
    )));
    runs = [];
  });

  const start = () => runWizard({
    cwd,
    out: log.out,
    ...offlineOptions(runs),
  });

  async function choose(menuItem: string): Promise<void> {
    screen.type(menuItem);
    await answer('');
  }

  /** The last answer: the wizard ends instead of asking again. */
  function quit(): void {
    screen.type('Quit');
    screen.keypress('enter');
  }

  it('opens the inventory and applies everything', async () => {
    const done = start();
    await firstPrompt();
    expect(screen.getScreen()).toContain('inventory/prod.yml');
    expect(screen.getScreen()).toContain('6 hosts · lb: lb-01, lb-02 · web: web-01, web-02');
    await answer('');
    expect(screen.getScreen()).toContain('What would you like to do?');
    expect(screen.getScreen()).toContain('Check for drift');
    await answer(''); // Apply everything
    expect(runs).toEqual([{ inventory: file }]);
    await choose('Check');
    expect(runs[1]).toEqual({ inventory: file, purpose: 'drift' });
    quit();
    await expect(done).resolves.toBe(0);
  }, budget({ prompts: 4 }));

  it('re-runs one role on the hosts chosen from a list', async () => {
    const done = start();
    await firstPrompt();
    await answer('');
    await choose('Re-run');
    expect(screen.getScreen()).toContain('Which role?');
    expect(screen.getScreen()).toMatch(/mysql[\s\S]*app[\s\S]*nginx[\s\S]*haproxy[\s\S]*keepalived/); // playbook order
    await choose('nginx');
    expect(screen.getScreen()).toContain('Run nginx on which hosts?');
    screen.keypress('down');
    screen.keypress('space'); // untick web-02
    await answer('');
    expect(runs).toEqual([{ inventory: file, roles: ['nginx'], limit: ['web-01'] }]);
    quit();
    await expect(done).resolves.toBe(0);
  }, budget({ prompts: 6 }));

  it('adds a host to a tier: validated, written, its key trusted; Enter at "Apply everything now?" applies nothing', async () => {
    const done = start();
    await firstPrompt();
    await answer('');
    await choose('Add');
    expect(screen.getScreen()).toContain('Add a host to which tier?');
    await choose('web');
    expect(screen.getScreen()).toContain('(web-03)');
    await answer('');
    await answer('10.0.0.21');
    expect(screen.getScreen()).toContain('10.0.0.21 is already the address of web-01');
    await clearAndAnswer('10.0.0.21', '10.0.0.23');
    expect(screen.getScreen()).toContain("Trust web-03's key?");
    await answer('y');
    expect(screen.getScreen()).toContain('Apply everything now? (y/N)');
    await answer(''); // Enter: the hosts are left alone
    expect(runs).toEqual([]);
    expect(screen.getScreen()).toContain('What would you like to do?');
    const inv = readInventory(file);
    expect(inv.groups.get('web')).toEqual(['web-01', 'web-02', 'web-03']);
    expect(inv.hosts.get('web-03')).toMatchObject({ address: '10.0.0.23', user: 'deploy' });
    expect(new KnownHosts(inv.knownHosts).lookup('10.0.0.23')[0]!.key).toBe(hostKey('web-03').toString('base64'));
    expect(readFileSync(file, 'utf8')).toMatch(/^# scaleup inventory/); // comments kept
    quit();
    await expect(done).resolves.toBe(0);
  }, budget({ processes: 1, prompts: 8 }));

  it('never shows the value of a secret variable set in plain text', async () => {
    // Fails on the old list, which printed every value as it is in the file.
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^vars:\n/m, 'vars:\n  haproxy_stats_password: hunter-two-22\n'));
    const done = start();
    await firstPrompt();
    await answer('');
    await choose('Edit');
    expect(screen.getScreen()).toContain('haproxy_stats_password = ***');
    expect(screen.getScreen()).not.toContain('hunter-two-22');
    await choose('Done');
    quit();
    await expect(done).resolves.toBe(0);
  }, budget({ prompts: 5 }));

  it('edits variables with the same checks as creating', async () => {
    const done = start();
    await firstPrompt();
    await answer('');
    await choose('Edit');
    expect(screen.getScreen()).toContain('vip = "10.0.0.100"');
    await choose('vip');
    await clearAndAnswer('', '10.9.9.9');
    expect(screen.getScreen()).toContain('10.9.9.9 is outside 10.0.0.0/24');
    await clearAndAnswer('10.9.9.9', '10.0.0.101');
    expect(screen.getScreen()).toContain('vip = "10.0.0.101"');
    await choose('app_port');
    await clearAndAnswer('', 'http');
    expect(screen.getScreen()).toContain('http is not a port');
    await clearAndAnswer('http', '8080');
    await choose('Add');
    await answer('mysql_app_password');
    expect(screen.getScreen()).toContain('looks like a secret');
    await clearAndAnswer('mysql_app_password', 'nginx_worker_conections');
    expect(screen.getScreen()).toContain('no role of this project reads nginx_worker_conections (did you mean nginx_worker_connections?)');
    await clearAndAnswer('nginx_worker_conections', 'nginx_client_max_body_size');
    // The question comes from the role's declaration of the variable: its description and default.
    expect(screen.getScreen()).toContain('nginx_client_max_body_size — Largest request body accepted');
    await answer('8m');
    await choose('Add');
    await answer('nginx_worker_connections');
    await answer('0');
    expect(screen.getScreen()).toContain('nginx_worker_connections must be at least 1');
    await clearAndAnswer('0', '2048');
    await choose('Done');
    expect(screen.getScreen()).toContain('Apply the change to the hosts now? (y/N)');
    await answer(''); // Enter: the hosts are left alone
    expect(runs).toEqual([]);
    const vars = readInventory(file).hosts.get('web-01')!.vars;
    expect(vars).toMatchObject({ vip: '10.0.0.101', app_port: 8080, nginx_client_max_body_size: '8m', nginx_worker_connections: 2048 });
    quit();
    await expect(done).resolves.toBe(0);
  }, budget({ prompts: 16 }));
  it('lists the failures of a failed run above the menu it comes back to, escaped, and exits with the run\'s code', async () => {
    const failed: RunOutcome = {
      code: 2,
      failures: [
        { host: 'app-01', role: 'app', step: 'service app', error: 'systemctl exited 1\nJob for app.service failed \u001b[2J\u001b]0;owned\u0007' },
        { host: 'db-01', error: 'unreachable: cannot connect to 10.0.0.41:22: timed out' },
      ],
    };
    const done = runWizard({ cwd, out: log.out, ...offlineOptions(runs, [failed]) });
    await firstPrompt();
    await answer('');
    await answer(''); // Apply everything
    expect(runs).toEqual([{ inventory: file }]);
    // Back in the menu, not out of the wizard; what failed is listed above it.
    expect(screen.getScreen()).toContain('What would you like to do?');
    const shown = log.text().slice(log.text().lastIndexOf('The run failed'));
    expect(shown).toContain([
      'The run failed on 2 hosts:',
      '  app-01  app › service app: systemctl exited 1',
      '            Job for app.service failed \\x1b[2J\\x1b]0;owned\\x07',
      '  db-01   unreachable: cannot connect to 10.0.0.41:22: timed out',
      'Fix the cause (the role, a variable, the host), then apply again.',
    ].join('\n'));
    expect(log.text()).not.toContain('\u001b');
    // A run that then succeeds clears the list.
    await answer(''); // Apply everything again (the default is the last action)
    expect(runs).toHaveLength(2);
    expect(log.text().split('The run failed')).toHaveLength(2);
    quit();
    await expect(done).resolves.toBe(0);
  }, budget({ prompts: 4 }));

  it('quits with the failed run\'s exit code', async () => {
    const done = runWizard({ cwd, out: log.out, ...offlineOptions(runs, [{ code: 2, failures: [{ host: 'web-01', role: 'nginx', step: 'service nginx', error: 'exit 1' }] }]) });
    await firstPrompt();
    await answer('');
    await answer('');
    quit();
    await expect(done).resolves.toBe(2);
  }, budget({ prompts: 3 }));
});
