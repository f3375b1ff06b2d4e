// The wizard's secrets: generated values, the age key file option, and unlocking a passphrase file.
import { screen } from '@inquirer/testing/vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.ts';
import { openSecretsFile, VAULT_PASSWORD_ENV } from '../../src/core/vault.ts';
import { wizardContext } from '../../src/cli/wizard/context.ts';
import { chooseVaultKey, generateStackSecrets, unlockSecrets, writeStackSecrets } from '../../src/cli/wizard/secrets.ts';
import { collector } from './wizard-harness.ts';
import { budget } from './budgets.ts';

function context(cwd: string) {
  const log = collector();
  return { ctx: wizardContext({ cwd, out: log.out, scryptWorkFactor: 10 }), text: log.text };
}

describe('wizard secrets', () => {
  const saved = process.env[VAULT_PASSWORD_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[VAULT_PASSWORD_ENV];
    else process.env[VAULT_PASSWORD_ENV] = saved;
  });

  it('generates a fresh strong value for each secret the stack needs', () => {
    const a = generateStackSecrets();
    const b = generateStackSecrets();
    expect(Object.keys(a)).toEqual(['mysql_app_password', 'haproxy_stats_password']);
    expect(a.mysql_app_password).not.toBe(b.mysql_app_password);
  });

  it('can protect the secrets with an age key file created beside the inventory (mode 0600)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-secrets-'));
    const { ctx } = context(dir);
    const keyPromise = chooseVaultKey(ctx, path.join(dir, 'site.yml'));
    screen.keypress('down');
    screen.keypress('enter');
    const key = await keyPromise;
    expect(key.kind).toBe('identity');
    expect(statSync(path.join(dir, 'site.agekey')).mode & 0o777).toBe(0o600);
    const values = generateStackSecrets();
    await writeStackSecrets(path.join(dir, 'site.secrets.age'), values, key);
    const opened = await openSecretsFile(path.join(dir, 'site.secrets.age'), { keyFileBeside: path.join(dir, 'site.yml'), env: {} });
    expect(opened.secrets.mysql_app_password!.reveal()).toBe(values.mysql_app_password);
  }, budget({ prompts: 2 }));

  it('asks for the passphrase of an existing file again after a wrong one, and keeps it for the session', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scaleup-secrets-'));
    const file = path.join(dir, 'site.secrets.age');
    await writeStackSecrets(file, { mysql_app_password: 'x'.repeat(32) }, { kind: 'passphrase', passphrase: new Secret('right passphrase'), scryptWorkFactor: 10 });
    delete process.env[VAULT_PASSWORD_ENV];
    const { ctx, text } = context(dir);
    const unlocked = unlockSecrets(ctx, file, path.join(dir, 'site.yml'));
    if (!screen.getScreen()) await screen.next(); // the question may already be drawn
    expect(screen.getScreen()).toContain('Passphrase of site.secrets.age');
    screen.type('wrong passphrase');
    screen.keypress('enter');
    await screen.next();
    expect(text()).toContain('Wrong passphrase; try again');
    screen.type('right passphrase');
    screen.keypress('enter');
    await unlocked;
    expect(process.env[VAULT_PASSWORD_ENV]).toBe('right passphrase');
  }, budget({ prompts: 4 }));
});
