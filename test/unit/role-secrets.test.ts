// Secrets given as plain inventory values (issue 12, finding 6): roles declare their secret variables,
// and whatever a host's value of one is — the vault's Secret, or plain text in all/group/host vars or
// a role's default — it is masked in every output, and a run warns that the plain ones belong in the
// vault, naming the variable and where it is set, never the value.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProject, redactorFor } from '../../src/cli/project.ts';
import { readInventory } from '../../src/core/inventory.ts';
import { listRoles, loadRole } from './builtin-roles.ts';
import { resolveSettings } from '../../src/cli/settings.ts';
import { defineRole, type Role } from '../../src/core/role.ts';
import { file } from '../../src/core/steps/index.ts';
import { runLocal } from '../support/local-role.ts';
import { undeclaredVariables } from '../../src/core/undeclared-vars.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-role-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const APP_PW = 'plain-app-password-1';
const STATS_PW = 'plain-stats-pw';
const VRRP_PW = 'vr9';

/** The lab stack with its secrets typed into the inventory: all-level, group-level and host-level. */
const inventoryFile = path.join(dir, 'plain.yml');
writeFileSync(inventoryFile, `connection:
  user: deploy
  become: true
vars:
  vip: 10.77.0.100
  mysql_app_password: "${APP_PW}"
groups:
  lb:
    vars:
      haproxy_stats_password: "${STATS_PW}"
      keepalived_vrrp_version: 2
      keepalived_advert_int: 1
    hosts:
      lb-01: { address: 10.77.0.11, vars: { keepalived_auth_pass: "${VRRP_PW}" } }
      lb-02: { address: 10.77.0.12, vars: { keepalived_auth_pass: "${VRRP_PW}" } }
  web:
    hosts:
      web-01: { address: 10.77.0.21 }
  app:
    hosts:
      app-01: { address: 10.77.0.31 }
  db:
    hosts:
      db-01: { address: 10.77.0.41 }
`);

const allRoles = () => Promise.all(listRoles().map(loadRole));

describe('roles declare their secret variables', () => {
  it('the stack roles name theirs', async () => {
    const declared = Object.fromEntries((await allRoles()).map((r) => [r.name, r.secrets ?? []]));
    expect(declared.app).toEqual(['mysql_app_password']);
    expect(declared.mysql).toEqual(['mysql_app_password', 'mysql_replication_password']);
    expect(declared.haproxy).toEqual(['haproxy_stats_password', 'tls_key', 'acme_account_key']);
    expect(declared.keepalived).toEqual(['keepalived_auth_pass']);
    expect(declared.nginx).toEqual([]);
  });
});

describe('the redactor knows every declared secret, whatever its source', () => {
  it('plain values from all, group and host vars, and a role default', async () => {
    const custom = defineRole<{ api_token: string }>({
      name: 'custom', description: '', defaults: { api_token: 'default-token-xyz' }, secrets: ['api_token'], steps: () => [],
    }) as unknown as Role;
    const redactor = redactorFor(readInventory(inventoryFile), [...(await allRoles()), custom]);
    const text = `db ${APP_PW} stats ${STATS_PW} vrrp "${VRRP_PW}" token default-token-xyz`;
    expect(redactor.redact(text)).toBe('db *** stats *** vrrp "***" token ***');
  });
});

describe('a project whose secrets are plain inventory values', () => {
  it('warns once per variable, naming it and where it is set, never the value', async () => {
    const project = await loadProject({ settings: resolveSettings({ inventory: inventoryFile, playbook: 'playbooks/site.yml' }), acceptNewHostKeys: false });
    const warnings = project.warnings;
    expect(warnings).toHaveLength(3);
    const [app, stats, vrrp] = ['mysql_app_password', 'haproxy_stats_password', 'keepalived_auth_pass'].map((n) => warnings.find((w) => w.startsWith(`${n} `)));
    expect(app).toMatch(new RegExp(`plain\\.yml:6:\\d+ \\(vars\\.mysql_app_password\\)`));
    expect(stats).toMatch(/plain\.yml:10:\d+ \(groups\.lb\.vars\.haproxy_stats_password\)/);
    // Set in two places: one warning naming both.
    expect(vrrp).toMatch(/plain\.yml:14:\d+ \(groups\.lb\.hosts\.lb-01\.vars\.keepalived_auth_pass\), \S*plain\.yml:15:\d+ \(groups\.lb\.hosts\.lb-02\.vars\.keepalived_auth_pass\)/);
    for (const w of warnings) {
      expect(w).toMatch(/provision vault (init|set) /);
      for (const value of [APP_PW, STATS_PW, VRRP_PW]) expect(w).not.toContain(value);
    }
  });

  it('masks them in --diff and in the --json result', async () => {
    const project = await loadProject({ settings: resolveSettings({ inventory: inventoryFile, playbook: 'playbooks/site.yml' }), acceptNewHostKeys: false });
    const dest = path.join(dir, 'app.conf');
    writeFileSync(dest, `password=${VRRP_PW}\n`);
    const outcome = await runLocal(
      [file.content({ dest, content: `password=${APP_PW}\nstats=${STATS_PW}\n`, mode: '0644' })],
      { check: true, diff: true, redactor: project.redactor },
    );
    const json = JSON.stringify(outcome.results);
    expect(outcome.results[0]!.diff).toContain('+password=***');
    for (const value of [APP_PW, STATS_PW, `=${VRRP_PW}`]) expect(json).not.toContain(value);
  });

  it('a warning is printed once per process (the wizard loads the project twice)', async () => {
    const { warn } = await import('../../src/cli/warn.ts');
    const lines: string[] = [];
    warn('x is a secret but is stored in plain text', (l) => lines.push(l));
    warn('x is a secret but is stored in plain text', (l) => lines.push(l));
    expect(lines).toEqual(['warning: x is a secret but is stored in plain text']);
  });
});

describe('inventory variables no role reads', () => {
  it('are named with where they are set and the declared name they are closest to', async () => {
    const roles = await allRoles();
    const inv = readInventory(path.join(process.cwd(), 'inventory/example.yml'));
    expect(undeclaredVariables(inv, roles)).toEqual([]);
    inv.hosts.get('lb-01')!.vars.baseline_ops_usr = 'ops';
    inv.hosts.get('lb-01')!.vars.ansible_python_interpreter = '/usr/bin/python3';
    inv.hosts.get('lb-01')!.vars.become_password = 'x';
    expect(undeclaredVariables(inv, roles)).toEqual([
      { name: 'baseline_ops_usr', location: expect.objectContaining({ file: expect.stringMatching(/example\.yml$/) }), hint: 'baseline_ops_user' },
    ]);
  });
});

describe('a sudo password in plain text (become_password, ansible_become_password)', () => {
  const SUDO_PW = 'plain-sudo-pw-77';
  const ini = path.join(dir, 'sudo.ini');
  writeFileSync(ini, `[web]\nweb-01 ansible_host=10.0.0.1 ansible_user=deploy ansible_become=true\n\n[web:vars]\nansible_become_password=${SUDO_PW}\n`);
  const yml = path.join(dir, 'sudo.yml');
  writeFileSync(yml, `connection: { user: deploy, become: true }\ngroups:\n  web:\n    hosts:\n      web-01: { address: 10.0.0.1, vars: { become_password: "${SUDO_PW}" } }\n`);

  it('is masked by the run\'s redactor, though no role declares it', () => {
    for (const file of [ini, yml]) expect(redactorFor(readInventory(file), []).redact(`sudo said ${SUDO_PW}`)).toBe('sudo said ***');
  });

  it('is warned about like every other plain secret, with where it is set and never the value', async () => {
    const { plainTextSecrets } = await import('../../src/core/role-secrets.ts');
    const [iniPlain] = plainTextSecrets(readInventory(ini), []);
    expect(iniPlain).toMatchObject({ name: 'become_password', locations: [expect.objectContaining({ file: expect.stringMatching(/sudo\.ini$/), line: 5 })] });
    const [ymlPlain] = plainTextSecrets(readInventory(yml), []);
    expect(ymlPlain).toMatchObject({ name: 'become_password', locations: [expect.objectContaining({ line: 5 })] });
    expect(JSON.stringify([iniPlain, ymlPlain])).not.toContain(SUDO_PW);
  });
});
