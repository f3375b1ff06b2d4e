// `provision vault …`: create, encrypt, decrypt, edit and set the age-encrypted secrets file.
// `vault decrypt` is the one place a secret is ever shown; everything else prints names only.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { ScaleupError, UserAbort } from '../../core/errors.ts';
import { VAR_NAME_RE } from '../../core/inventory-schema.ts';
import { readInventory } from '../../core/inventory.ts';
import {
  VAULT_PASSWORD_ENV,
  type VaultKey,
  type VaultOptions,
  defaultKeyFile,
  defaultSecretsFile,
  emptySecretsText,
  generateIdentityFile,
  keyForEncrypt,
  openSecretsFile,
  parseSecrets,
  setSecretInText,
  writeSecretsFile,
} from '../../core/vault.ts';
import { displayPath } from '../../core/yaml-source.ts';

interface KeyFlags {
  ageKeyFile?: string;
  passphrase?: boolean;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

function canAsk(): boolean {
  return Boolean(process.stdin.isTTY) && process.env.CI !== 'true';
}

/**
 * A passphrase callback for the core, or undefined when nobody can be asked (the core then names
 * SCALEUP_VAULT_PASSWORD). A new passphrase is asked twice.
 */
export function passphrasePrompt(isNew: boolean): (() => Promise<string>) | undefined {
  if (!canAsk()) return undefined;
  return async () => {
    const { password } = await import('@inquirer/prompts');
    const first = await password({
      message: isNew ? 'New vault passphrase' : 'Vault passphrase',
      mask: '*',
      validate: (v) => (!isNew || v.length >= 10 ? true : 'use at least 10 characters (or a few random words)'),
    });
    if (isNew) {
      const again = await password({ message: 'Repeat the passphrase', mask: '*' });
      if (again !== first) throw new ScaleupError('the passphrases do not match');
    }
    return first;
  };
}

function vaultOptions(flags: KeyFlags, isNew: boolean): VaultOptions {
  return { ...(flags.ageKeyFile ? { ageKeyFile: flags.ageKeyFile } : {}), passphrase: passphrasePrompt(isNew) };
}

function keyOptions(cmd: Command, withPassphrase: boolean): Command {
  cmd.option('--age-key-file <file>', 'age identity file (default: $SCALEUP_AGE_KEY_FILE, else <name>.agekey beside the file)');
  if (withPassphrase) {
    cmd.addOption(
      new Option('--passphrase', `encrypt with a passphrase instead (asked, or $${VAULT_PASSWORD_ENV})`).conflicts('ageKeyFile'),
    );
  }
  return cmd;
}

function describeKey(key: VaultKey): string {
  return key.kind === 'identity' ? `age identity ${displayPath(key.file)}` : 'a passphrase';
}

/** `vault init`: an identity file (unless a passphrase is wanted) and an empty encrypted secrets file. */
export async function vaultInit(flags: KeyFlags & { inventory?: string; secrets?: string }): Promise<{ secretsFile: string; keyFile?: string }> {
  const inventory = flags.inventory ?? process.env.SCALEUP_INVENTORY;
  if (!inventory) throw new ScaleupError('vault init: pass --inventory FILE (or set SCALEUP_INVENTORY)');
  let declared: string | undefined;
  if (existsSync(inventory)) {
    try {
      declared = readInventory(inventory).secretsFile;
    } catch {
      // An inventory being written may not validate yet: use the conventional name.
    }
  }
  const secretsFile = path.resolve(flags.secrets ?? declared ?? defaultSecretsFile(inventory));
  if (existsSync(secretsFile)) {
    throw new ScaleupError(`${displayPath(secretsFile)} already exists: change it with provision vault edit or vault set`);
  }
  let key: VaultKey;
  let created: string | undefined;
  if (flags.passphrase) {
    key = await keyForEncrypt(secretsFile, { ...vaultOptions(flags, true), mode: 'passphrase' });
  } else {
    const keyFile = path.resolve(flags.ageKeyFile ?? process.env.SCALEUP_AGE_KEY_FILE ?? defaultKeyFile(inventory));
    if (!existsSync(keyFile)) {
      await generateIdentityFile(keyFile);
      created = keyFile;
    }
    key = await keyForEncrypt(secretsFile, { ageKeyFile: keyFile, mode: 'identity' });
  }
  await writeSecretsFile(secretsFile, emptySecretsText(), key);

  if (created) out(`created ${displayPath(created)} (mode 0600): the age identity; keep a copy safe, it is not committed (*.agekey)`);
  out(`created ${displayPath(secretsFile)}, encrypted to ${describeKey(key)}`);
  if (!declared && !flags.secrets && existsSync(inventory)) {
    const rel = path.relative(path.dirname(path.resolve(inventory)), secretsFile);
    out(`add this line to ${displayPath(inventory)}:  secrets: ${rel}`);
  }
  out(`next: provision vault set ${displayPath(secretsFile)} NAME   (value on stdin), or provision vault edit ${displayPath(secretsFile)}`);
  return { secretsFile, ...(created ? { keyFile: created } : {}) };
}

/** `vault encrypt IN [-o OUT]`: a plaintext secrets YAML → an age file. The plaintext is left for you to delete. */
export async function vaultEncrypt(input: string, flags: KeyFlags & { output?: string; force?: boolean }): Promise<string> {
  let text: string;
  try {
    text = readFileSync(input, 'utf8');
  } catch {
    throw new ScaleupError(`cannot read ${input}`);
  }
  const output = path.resolve(flags.output ?? (/\.ya?ml$/.test(input) ? input.replace(/\.ya?ml$/, '.age') : `${input}.age`));
  if (existsSync(output) && !flags.force) throw new ScaleupError(`${displayPath(output)} exists; pass --force to replace it`);
  const names = Object.keys(parseSecrets(text, input));
  const key = await keyForEncrypt(output, { ...vaultOptions(flags, true), mode: flags.passphrase ? 'passphrase' : undefined });
  await writeSecretsFile(output, text, key);
  out(`encrypted ${names.length} secret(s) to ${displayPath(output)} with ${describeKey(key)}; now delete the plaintext ${input}`);
  return output;
}

/** Runs $VISUAL/$EDITOR on `file`; ignores Ctrl-C meanwhile (the editor gets it) so cleanup still runs. */
async function runEditor(file: string): Promise<void> {
  const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
  const ignore = () => {};
  process.on('SIGINT', ignore);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('sh', ['-c', `${editor} "$1"`, 'sh', file], { stdio: 'inherit' });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c));
    });
    if (code !== 0) throw new ScaleupError(`editor (${editor}) exited with status ${code}; the secrets file is unchanged`);
  } finally {
    process.off('SIGINT', ignore);
  }
}

/**
 * `vault edit FILE`: decrypt into a 0600 file in a private (0700) temp dir, run the editor, validate,
 * re-encrypt with the same key, and remove the temp dir whatever happens.
 */
export async function vaultEdit(file: string, flags: KeyFlags): Promise<boolean> {
  const opened = await openSecretsFile(file, vaultOptions(flags, false));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scaleup-vault-'));
  const tmp = path.join(dir, `${path.basename(file).replace(/\.age$/, '')}.yml`);
  const cleanup = () => {
    try {
      writeFileSync(tmp, Buffer.alloc(statSync(tmp).size)); // best effort: do not leave plaintext blocks behind
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);
  try {
    writeFileSync(tmp, opened.text, { mode: 0o600, flag: 'wx' });
    for (;;) {
      await runEditor(tmp);
      const edited = readFileSync(tmp, 'utf8');
      if (edited === opened.text) {
        out(`no change: ${displayPath(opened.file)} left as it was`);
        return false;
      }
      try {
        parseSecrets(edited, opened.file);
      } catch (err) {
        if (!(err instanceof ScaleupError) || !canAsk()) {
          throw err instanceof ScaleupError
            ? new ScaleupError(`${err.message}\nthe edit was discarded; ${displayPath(opened.file)} is unchanged`)
            : err;
        }
        process.stderr.write(`${err.message}\n`);
        const { confirm } = await import('@inquirer/prompts');
        if (!(await confirm({ message: 'Edit again? (no discards the changes)', default: true }))) {
          throw new UserAbort(`edit discarded; ${displayPath(opened.file)} is unchanged`);
        }
        continue;
      }
      await writeSecretsFile(opened.file, edited, opened.key);
      out(`saved ${displayPath(opened.file)} (${Object.keys(parseSecrets(edited, opened.file)).length} secrets)`);
      return true;
    }
  } finally {
    cleanup();
    process.off('exit', cleanup);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `vault set FILE NAME`: the value from stdin (one trailing newline dropped), or asked masked on a terminal. */
export async function vaultSet(file: string, name: string, flags: KeyFlags, value?: string): Promise<void> {
  if (!VAR_NAME_RE.test(name)) {
    throw new ScaleupError(`invalid secret name ${JSON.stringify(name)}: use letters, digits and "_", not starting with a digit`);
  }
  const opened = await openSecretsFile(file, vaultOptions(flags, false));
  let v = value;
  if (v === undefined) {
    if (canAsk()) {
      const { password } = await import('@inquirer/prompts');
      v = await password({ message: `Value for ${name}`, mask: '*' });
    } else {
      v = (await readStdin()).replace(/\r?\n$/, '');
    }
  }
  if (v === '') throw new ScaleupError(`empty value for ${name}: nothing written`);
  const text = setSecretInText(opened.text, name, v, opened.file);
  await writeSecretsFile(opened.file, text, opened.key);
  out(`set ${name} in ${displayPath(opened.file)}`);
}

export function registerVaultCommands(program: Command): void {
  const vault = program
    .command('vault')
    .description('Manage the age-encrypted secrets file (identity file by default, passphrase optional)')
    .addHelpText(
      'after',
      `
Keys: --age-key-file, else $SCALEUP_AGE_KEY_FILE, else <inventory>.agekey beside the inventory.
A passphrase-encrypted file reads $${VAULT_PASSWORD_ENV} (or asks on a terminal).

Examples:
  provision vault init -i inventory/prod.yml
  printf %s "$DB_PASSWORD" | provision vault set inventory/prod.secrets.age mysql_app_password
  provision vault edit inventory/prod.secrets.age
  provision vault decrypt inventory/prod.secrets.age`,
    );

  keyOptions(
    vault
      .command('init')
      .description('Create an age identity (mode 0600) and an empty encrypted secrets file for an inventory')
      .option('-i, --inventory <file>', 'the inventory (default: $SCALEUP_INVENTORY)')
      .option('--secrets <file>', "secrets file to create (default: the inventory's `secrets:`, else <inventory>.secrets.age)"),
    true,
  )
    .addHelpText('after', '\nExamples:\n  provision vault init -i inventory/prod.yml')
    .action(async (flags: KeyFlags & { inventory?: string; secrets?: string }) => {
      await vaultInit(flags);
    });

  keyOptions(
    vault
      .command('encrypt')
      .description('Encrypt a plaintext secrets YAML (name: value) into an age file')
      .argument('<in>', 'plaintext YAML file')
      .option('-o, --output <file>', 'encrypted file (default: IN with .yml replaced by .age)')
      .option('--force', 'replace an existing output file'),
    true,
  )
    .addHelpText('after', '\nExamples:\n  provision vault encrypt prod.secrets.yml -o inventory/prod.secrets.age && shred -u prod.secrets.yml')
    .action(async (input: string, flags: KeyFlags & { output?: string; force?: boolean }) => {
      await vaultEncrypt(input, flags);
    });

  keyOptions(
    vault
      .command('decrypt')
      .description('Print the decrypted secrets (YAML) on stdout: the one command that shows secret values')
      .argument('<file>', 'encrypted secrets file'),
    false,
  )
    .addHelpText('after', '\nExamples:\n  provision vault decrypt inventory/lab.secrets.age')
    .action(async (file: string, flags: KeyFlags) => {
      const opened = await openSecretsFile(file, vaultOptions(flags, false));
      process.stdout.write(opened.text.endsWith('\n') || opened.text === '' ? opened.text : `${opened.text}\n`);
    });

  keyOptions(
    vault
      .command('edit')
      .description('Edit the secrets in $VISUAL/$EDITOR (a private temp file, removed after) and re-encrypt')
      .argument('<file>', 'encrypted secrets file'),
    false,
  )
    .addHelpText('after', '\nExamples:\n  EDITOR=nano provision vault edit inventory/lab.secrets.age')
    .action(async (file: string, flags: KeyFlags) => {
      await vaultEdit(file, flags);
    });

  keyOptions(
    vault
      .command('set')
      .description('Set one secret; the value is read from stdin (asked, masked, on a terminal)')
      .argument('<file>', 'encrypted secrets file')
      .argument('<name>', 'secret name (a variable name)'),
    false,
  )
    .addHelpText('after', '\nExamples:\n  openssl rand -base64 24 | provision vault set inventory/lab.secrets.age haproxy_stats_password')
    .action(async (file: string, name: string, flags: KeyFlags) => {
      await vaultSet(file, name, flags);
    });
}
