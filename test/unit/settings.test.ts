// A run's settings: flag > environment > scaleup.yml > default; scaleup.yml's paths are relative to
// its folder (the project root, found upwards from the working directory), never to the working directory.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/cli/settings.ts';
import { InventoryError } from '../../src/core/errors.ts';

function projectWith(config: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-settings-'));
  writeFileSync(path.join(dir, 'scaleup.yml'), config);
  mkdirSync(path.join(dir, 'deep', 'er'), { recursive: true });
  return dir;
}

const CONFIG = 'inventory: inventory/prod.yml\nplaybook: plays/site.yml\nforks: 4\nroles_path: [../shared]\nssh_persist: 0\nconnect_timeout: 3\n';

describe('settings', () => {
  it('come from scaleup.yml, found from a folder below it, with its paths relative to it', () => {
    const dir = projectWith(CONFIG);
    const s = resolveSettings({}, {}, path.join(dir, 'deep', 'er'));
    expect(s.project.root).toBe(dir);
    expect(s).toMatchObject({
      inventory: path.join(dir, 'inventory/prod.yml'),
      playbook: path.join(dir, 'plays/site.yml'),
      forks: 4,
      rolesPath: [path.resolve(dir, '../shared')],
      sshPersistSeconds: 0,
      connectTimeoutSeconds: 3,
    });
  });

  it('an environment variable beats scaleup.yml, a flag beats both; their paths are relative to the working directory', () => {
    const dir = projectWith(CONFIG);
    const cwd = path.join(dir, 'deep');
    const env = { SCALEUP_INVENTORY: 'env.yml', SCALEUP_PLAYBOOK: 'env-play.yml', SCALEUP_FORKS: '7', SCALEUP_ROLES_PATH: 'a:b', SCALEUP_SSH_PERSIST: '30', SCALEUP_CONNECT_TIMEOUT: '5' };
    expect(resolveSettings({}, env, cwd)).toMatchObject({
      inventory: path.join(cwd, 'env.yml'), playbook: path.join(cwd, 'env-play.yml'), forks: 7,
      rolesPath: [path.join(cwd, 'a'), path.join(cwd, 'b')], sshPersistSeconds: 30, connectTimeoutSeconds: 5,
    });
    expect(resolveSettings({ inventory: 'flag.yml', playbook: 'p.yml', forks: 2, sshPersist: 1, connectTimeout: 9 }, env, cwd)).toMatchObject({
      inventory: path.join(cwd, 'flag.yml'), playbook: path.join(cwd, 'p.yml'), forks: 2, sshPersistSeconds: 1, connectTimeoutSeconds: 9,
    });
  });

  it('without scaleup.yml: the working directory is the root, and the defaults hold', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'scaleup-none-'));
    expect(resolveSettings({}, {}, cwd)).toMatchObject({
      inventory: undefined, playbook: path.join(cwd, 'playbooks/site.yml'), forks: 10, rolesPath: [], sshPersistSeconds: 60, connectTimeoutSeconds: 10,
    });
  });

  it('a bad setting names scaleup.yml, the line and the field', () => {
    const dir = projectWith('inventory: inventory/prod.yml\nforks: 0\nrole_path: [x]\n');
    let err: unknown;
    try {
      resolveSettings({}, {}, dir);
    } catch (e) {
      err = e;
    }
    expect(String((err as Error).message)).toMatch(/scaleup\.yml:2:8: forks: expected a whole number of hosts from 1 to 500/);
    expect(String((err as Error).message)).toMatch(/scaleup\.yml:3:1: role_path: unknown key \(did you mean "roles_path"\?\)/);
  });

  it('a bad environment value is refused, naming the variable', () => {
    expect(() => resolveSettings({}, { SCALEUP_FORKS: 'many' }, mkdtempSync(path.join(tmpdir(), 'scaleup-env-')))).toThrow(InventoryError);
    expect(() => resolveSettings({}, { SCALEUP_FORKS: 'many' }, mkdtempSync(path.join(tmpdir(), 'scaleup-env-')))).toThrow(/SCALEUP_FORKS: 'many' is not a whole number/);
  });
});
