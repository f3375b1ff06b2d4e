// The stack's secrets: generated (never typed, never shown), encrypted with age through the vault
// module, and unlocked once per wizard session.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { password, select } from '@inquirer/prompts';
import { InventoryError } from '../../core/errors.ts';
import { Secret } from '../../core/secret.ts';
import {
  VAULT_PASSWORD_ENV,
  defaultKeyFile,
  emptySecretsText,
  generateIdentityFile,
  openSecretsFile,
  randomSecret,
  readIdentityFile,
  setSecretInText,
  writeSecretsFile,
  type VaultKey,
} from '../../core/vault.ts';
import type { WizardContext } from './context.ts';

/** The secrets the stack's roles need, with the length generated for each. */
export const STACK_SECRETS: readonly { name: string; length: number; what: string }[] = [
  { name: 'mysql_app_password', length: 32, what: 'the app\'s MySQL password' },
  { name: 'haproxy_stats_password', length: 24, what: 'the HAProxy stats page password' },
  // keepalived speaks VRRPv3, which has no password (keepalived_auth_pass is for version 2 only).
];

/** Fresh random values (node:crypto through the vault's generator: [A-Za-z0-9], no modulo bias). */
export function generateStackSecrets(): Record<string, string> {
  return Object.fromEntries(STACK_SECRETS.map((s) => [s.name, randomSecret(s.length)]));
}

/** The decrypted text of a new secrets file holding `values` (the vault's comment header first). */
export function secretsFileText(values: Record<string, string>, file: string): string {
  let text = emptySecretsText();
  for (const [name, value] of Object.entries(values)) text = setSecretInText(text, name, value, file);
  return text;
}

const MIN_PASSPHRASE = 8;

async function askNewPassphrase(ctx: WizardContext): Promise<string> {
  for (;;) {
    const first = await password({
      message: `Vault passphrase (at least ${MIN_PASSPHRASE} characters, not shown)`,
      validate: (v) => v.length >= MIN_PASSPHRASE || `too short: at least ${MIN_PASSPHRASE} characters`,
    });
    const second = await password({ message: 'Type the passphrase again' });
    if (first === second) return first;
    ctx.say(ctx.c.failed('The two passphrases differ; once more.'));
  }
}

/**
 * Asks how the new secrets file is protected: a passphrase (asked twice) or an age key file beside the
 * inventory. Creates the key file when that is chosen and none exists.
 */
export async function chooseVaultKey(ctx: WizardContext, inventoryFile: string): Promise<VaultKey> {
  const keyFile = defaultKeyFile(inventoryFile);
  const keyRel = path.relative(ctx.cwd, keyFile);
  const how = await select({
    message: 'How should the secrets file be protected?',
    choices: [
      {
        name: 'With a passphrase',
        value: 'passphrase' as const,
        description: `You type it when you run provision; CI sets ${VAULT_PASSWORD_ENV}.`,
      },
      {
        name: `With an age key file (${keyRel})`,
        value: 'identity' as const,
        description: existsSync(keyFile)
          ? `Uses the existing ${keyRel}. Keep it secret and out of git.`
          : `Creates ${keyRel} (mode 0600): nothing to type. Keep it secret and out of git.`,
      },
    ],
  });
  if (how === 'passphrase') {
    return { kind: 'passphrase', passphrase: new Secret(await askNewPassphrase(ctx)), scryptWorkFactor: ctx.options.scryptWorkFactor };
  }
  if (!existsSync(keyFile)) {
    await generateIdentityFile(keyFile, [`scaleup: decrypts ${path.basename(inventoryFile, path.extname(inventoryFile))}.secrets.age; keep it out of git`]);
    ctx.say(`Created ${keyRel} (keep it secret; *.agekey belongs in .gitignore).`);
  }
  const { identities, recipients } = await readIdentityFile(keyFile);
  return { kind: 'identity', file: keyFile, identities, recipients };
}

/** Encrypts and writes the secrets file (temp file + rename inside the vault module). */
export async function writeStackSecrets(file: string, values: Record<string, string>, key: VaultKey): Promise<void> {
  await writeSecretsFile(file, secretsFileText(values, file), key);
  if (key.kind === 'passphrase') rememberPassphrase(key.passphrase.reveal());
}

/**
 * Keeps the passphrase for the rest of this process, so the runs the wizard starts can open the
 * secrets file without asking again. SCALEUP_VAULT_PASSWORD is the one channel the project loader
 * reads a passphrase from; it is set in this process only, and the one child a run starts, the
 * connection keeper, gets an allow-listed environment without it (keeperEnvironment).
 */
export function rememberPassphrase(passphrase: string): void {
  process.env[VAULT_PASSWORD_ENV] = passphrase;
}

/**
 * Opens the inventory's secrets file once, asking for the passphrase (again after a wrong one) when it
 * needs one and none is set, so the later runs of the session can decrypt it.
 */
export async function unlockSecrets(ctx: WizardContext, secretsFile: string, inventoryFile: string): Promise<void> {
  if (!existsSync(secretsFile)) return;
  for (;;) {
    let typed: string | undefined;
    try {
      await openSecretsFile(secretsFile, {
        keyFileBeside: inventoryFile,
        passphrase: async () => (typed = await password({ message: `Passphrase of ${path.relative(ctx.cwd, secretsFile)}` })),
      });
      if (typed !== undefined) rememberPassphrase(typed);
      return;
    } catch (err) {
      if (typed !== undefined && err instanceof InventoryError && /wrong passphrase/.test(err.message)) {
        ctx.say(ctx.c.failed('Wrong passphrase; try again (Ctrl-C to leave).'));
        continue;
      }
      throw err;
    }
  }
}
