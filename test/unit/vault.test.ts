import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerVaultCommands, vaultEdit, vaultEncrypt, vaultInit, vaultSet } from '../../src/cli/commands/vault.ts';
import { InventoryError, InventoryErrors, ScaleupError } from '../../src/core/errors.ts';
import { loadInventory } from '../../src/core/inventory.ts';
import { Secret } from '../../src/core/secret.ts';
import {
  decryptBytes,
  defaultKeyFile,
  defaultSecretsFile,
  emptySecretsText,
  findKeyFile,
  generateIdentityFile,
  keyForEncrypt,
  openSecretsFile,
  parseSecrets,
  randomSecret,
  readIdentityFile,
  setSecretInText,
  writeSecretsFile,
} from '../../src/core/vault.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'scaleup-vault-test-'));
const noEnv = { env: {} as Record<string, string | undefined> };
const hasAge = spawnSync('age', ['--version']).status === 0;

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<ScaleupError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    if (err instanceof ScaleupError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

async function identitySetup(secrets = 'a_secret: "value-one"\n') {
  const dir = tmp();
  const keyFile = path.join(dir, 'prod.agekey');
  const secretsFile = path.join(dir, 'prod.secrets.age');
  const recipient = await generateIdentityFile(keyFile);
  const key = await keyForEncrypt(secretsFile, { ...noEnv, ageKeyFile: keyFile });
  await writeSecretsFile(secretsFile, secrets, key);
  return { dir, keyFile, secretsFile, recipient, key };
}

describe('identity files', () => {
  it('are created 0600 in age-keygen format and never overwritten', async () => {
    const dir = tmp();
    const file = path.join(dir, 'sub', 'x.agekey');
    const recipient = await generateIdentityFile(file, ['lab only']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# lab only\n# created: \S+\n# public key: age1[0-9a-z]+\nAGE-SECRET-KEY-1[0-9A-Z]+\n$/);
    expect(text).toContain(`# public key: ${recipient}`);
    const { identities, recipients } = await readIdentityFile(file);
    expect(recipients).toEqual([recipient]);
    expect(inspect(identities)).not.toContain('AGE-SECRET-KEY');
    const err = await errorOf(generateIdentityFile(file));
    expect(err.message).toMatch(/x\.agekey: age key file already exists; not overwriting it$/);
  });

  it('a malformed identity file names the line, never the key', async () => {
    const dir = tmp();
    const file = path.join(dir, 'bad.agekey');
    writeFileSync(file, '# comment\nAGE-SECRET-KEY-1NOTAKEY\n', { mode: 0o600 });
    const err = await errorOf(readIdentityFile(file));
    expect(err.message).toBe(`${file}:2:1: malformed age identity`);
    writeFileSync(file, 'hunter2\n');
    expect((await errorOf(readIdentityFile(file))).message).toBe(
      `${file}:1:1: not an age identity (expected AGE-SECRET-KEY-1…; plugins are not supported)`,
    );
  });

  it('are refused when the group or others may read or write them, naming the file and the chmod that fixes it', async () => {
    const dir = tmp();
    const file = path.join(dir, 'loose.agekey');
    await generateIdentityFile(file);
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o660]) {
      chmodSync(file, mode);
      const err = await errorOf(readIdentityFile(file));
      expect(err).toBeInstanceOf(InventoryError);
      expect(err.message).toBe(
        `${file}: age key file may be read or changed by other users (mode 0${mode.toString(8)}); make it private: chmod 600 ${file}`,
      );
      expect(err.message).not.toContain('AGE-SECRET-KEY');
    }
    // Through the secrets file it opens, too: no secret is decrypted with a loose key.
    const { keyFile, secretsFile } = await identitySetup();
    chmodSync(keyFile, 0o644);
    expect((await errorOf(openSecretsFile(secretsFile, { ...noEnv, ageKeyFile: keyFile }))).message).toMatch(/chmod 600 /);
    chmodSync(keyFile, 0o400);
    expect(Object.keys((await openSecretsFile(secretsFile, { ...noEnv, ageKeyFile: keyFile })).secrets)).toEqual(['a_secret']);
  });

  it('default names sit beside the inventory', () => {
    expect(defaultKeyFile('inventory/lab.yml')).toBe(path.resolve('inventory/lab.agekey'));
    expect(defaultKeyFile('inventory/lab.secrets.age')).toBe(path.resolve('inventory/lab.agekey'));
    expect(defaultSecretsFile('inventory/prod.yaml')).toBe(path.resolve('inventory/prod.secrets.age'));
  });

  it('key file precedence: --age-key-file > SCALEUP_AGE_KEY_FILE > <inventory>.agekey > <secrets>.agekey', async () => {
    const dir = tmp();
    const s = path.join(dir, 'x.secrets.age');
    expect(findKeyFile(s, { ...noEnv })).toBeUndefined();
    writeFileSync(path.join(dir, 'x.agekey'), '');
    expect(findKeyFile(s, { ...noEnv })).toBe(path.join(dir, 'x.agekey'));
    writeFileSync(path.join(dir, 'inv.agekey'), '');
    expect(findKeyFile(s, { ...noEnv, keyFileBeside: path.join(dir, 'inv.yml') })).toBe(path.join(dir, 'inv.agekey'));
    expect(findKeyFile(s, { env: { SCALEUP_AGE_KEY_FILE: '/e.agekey' }, keyFileBeside: path.join(dir, 'inv.yml') })).toBe('/e.agekey');
    expect(findKeyFile(s, { env: { SCALEUP_AGE_KEY_FILE: '/e.agekey' }, ageKeyFile: '/flag.agekey' })).toBe('/flag.agekey');
  });
});

describe('encrypt and decrypt', () => {
  it('round-trips with an identity file, armored', async () => {
    const { secretsFile, keyFile } = await identitySetup('a_secret: "value-one"\nb_secret: "two-two-two"\n');
    expect(readFileSync(secretsFile, 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(readFileSync(secretsFile, 'utf8')).not.toContain('value-one');
    const opened = await openSecretsFile(secretsFile, { ...noEnv });
    expect(opened.key).toMatchObject({ kind: 'identity', file: keyFile });
    expect(Object.keys(opened.secrets)).toEqual(['a_secret', 'b_secret']);
    expect(opened.secrets.a_secret).toBeInstanceOf(Secret);
    expect(opened.secrets.a_secret!.reveal()).toBe('value-one');
    expect(JSON.stringify(opened.secrets) + inspect(opened.secrets) + inspect(opened.key)).not.toMatch(/value-one|two-two-two|AGE-SECRET/);
  });

  it('round-trips with a passphrase from the environment or the caller (never both asked)', async () => {
    const dir = tmp();
    const file = path.join(dir, 's.age');
    const key = await keyForEncrypt(file, { env: { SCALEUP_VAULT_PASSWORD: 'correct horse' }, scryptWorkFactor: 10 });
    expect(key.kind).toBe('passphrase');
    await writeSecretsFile(file, 'x: "secret-x"\n', key);
    const ask = vi.fn(async () => 'correct horse');
    const viaEnv = await openSecretsFile(file, { env: { SCALEUP_VAULT_PASSWORD: 'correct horse' }, passphrase: ask });
    expect(viaEnv.secrets.x!.reveal()).toBe('secret-x');
    expect(ask).not.toHaveBeenCalled();
    const viaPrompt = await openSecretsFile(file, { ...noEnv, passphrase: ask });
    expect(viaPrompt.secrets.x!.reveal()).toBe('secret-x');
    expect(ask).toHaveBeenCalledTimes(1);
  });

  it('explains each way of failing to decrypt, without a value', async () => {
    const { secretsFile, dir } = await identitySetup();
    const other = path.join(dir, 'other.agekey');
    await generateIdentityFile(other);
    const rel = path.relative(process.cwd(), secretsFile).startsWith('..') ? secretsFile : path.relative(process.cwd(), secretsFile);
    expect((await errorOf(openSecretsFile(secretsFile, { ...noEnv, ageKeyFile: other }))).message).toBe(
      `${rel}: cannot decrypt: the identity in ${other} is not a recipient of this file`,
    );
    chmodSync(dir, 0o755);
    const lonely = path.join(tmp(), 'lonely.secrets.age');
    writeFileSync(lonely, readFileSync(secretsFile));
    expect((await errorOf(openSecretsFile(lonely, { ...noEnv }))).message).toBe(
      `${lonely}: no age identity: pass --age-key-file, set SCALEUP_AGE_KEY_FILE, or create ${path.join(path.dirname(lonely), 'lonely.agekey')} (provision vault init)`,
    );

    const pfile = path.join(dir, 'p.age');
    await writeSecretsFile(pfile, 'x: "y-y-y-y"\n', await keyForEncrypt(pfile, { env: { SCALEUP_VAULT_PASSWORD: 'right' }, scryptWorkFactor: 10 }));
    expect((await errorOf(openSecretsFile(pfile, { env: { SCALEUP_VAULT_PASSWORD: 'wrong' } }))).message).toBe(
      `${pfile}: cannot decrypt: wrong passphrase`,
    );
    expect((await errorOf(openSecretsFile(pfile, { ...noEnv }))).message).toBe(
      `${pfile}: this file is encrypted with a passphrase: set SCALEUP_VAULT_PASSWORD (no terminal to ask on)`,
    );

    const plain = path.join(dir, 'plain.age');
    writeFileSync(plain, 'x: y\n');
    expect((await errorOf(openSecretsFile(plain, { ...noEnv }))).message).toBe(
      `${plain}: not an age-encrypted file (encrypt it with \`provision vault encrypt\`)`,
    );
    expect((await errorOf(openSecretsFile(path.join(dir, 'none.age'), { ...noEnv }))).message).toBe(
      `${path.join(dir, 'none.age')}: secrets file not found (create it with \`provision vault init\`)`,
    );
  });
});

describe('secrets content', () => {
  const file = '/v/prod.secrets.age';

  it('is a map of name → non-empty string; comments and emptiness are fine', () => {
    expect(parseSecrets(emptySecretsText(), file)).toEqual({});
    expect(parseSecrets('', file)).toEqual({});
    expect(parseSecrets('# c\na: "1"\n', file).a!.reveal()).toBe('1');
  });

  it('reports bad content at the decrypted line, never quoting a value', async () => {
    const err = await errorOf(() =>
      parseSecrets('good: "ok-ok"\nport_number: 1234\n"bad-name": "x"\nempty: ""\n', file),
    );
    expect(err).toBeInstanceOf(InventoryErrors);
    expect(err.message).toBe(
      [
        '/v/prod.secrets.age (decrypted):2:14: port_number: a secret must be a string (quote it)',
        '/v/prod.secrets.age (decrypted):3:1: bad-name: invalid secret name: use letters, digits and "_", not starting with a digit',
        '/v/prod.secrets.age (decrypted):4:8: empty: empty secret',
      ].join('\n'),
    );
    const syntax = await errorOf(() => parseSecrets('a: "unterminated-s3cret\n', file));
    expect(syntax.message).not.toContain('s3cret');
    expect(syntax.message).toMatch(/^\/v\/prod\.secrets\.age \(decrypted\):\d+:\d+: YAML syntax error \([A-Z_]+\)$/);
    const dup = await errorOf(() => parseSecrets('a: "one-1"\na: "two-2"\n', file));
    expect(dup.message).toBe('/v/prod.secrets.age (decrypted):2:1: a: duplicate key "a" (each key may appear once in a map)');
    expect((await errorOf(() => parseSecrets('- a\n', file))).message).toBe(
      '/v/prod.secrets.age (decrypted):1:1: expected a map of name: value',
    );
  });

  it('setSecretInText keeps comments and other entries', () => {
    let text = emptySecretsText();
    text = setSecretInText(text, 'b', 'bee-bee', file);
    text = setSecretInText(text, 'a', 'it\'s "quoted": yes', file);
    text = setSecretInText(text, 'b', 'bee-2', file);
    expect(text.startsWith(emptySecretsText().trimEnd())).toBe(true);
    const parsed = parseSecrets(text, file);
    expect(Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v.reveal()]))).toEqual({
      b: 'bee-2',
      a: 'it\'s "quoted": yes',
    });
    expect(() => setSecretInText(text, 'bad name', 'x', file)).toThrow(InventoryError);
  });

  it('writeSecretsFile never writes invalid content', async () => {
    const { secretsFile, key } = await identitySetup();
    const before = readFileSync(secretsFile, 'utf8');
    await expect(writeSecretsFile(secretsFile, 'n: 5\n', key)).rejects.toBeInstanceOf(InventoryError);
    expect(readFileSync(secretsFile, 'utf8')).toBe(before);
  });

  it('randomSecret gives [A-Za-z0-9] of the asked length', () => {
    const all = Array.from({ length: 200 }, () => randomSecret(8));
    for (const s of all) expect(s).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(new Set(all).size).toBe(200);
  });
});

describe('the lab secrets', () => {
  // The committed lab identity is as git checked it out (0644 under the usual umask); the lab makes it
  // private before use (protectLabAgeKey), and so do these tests.
  beforeEach(() => chmodSync('inventory/lab.agekey', 0o600));

  it('decrypt with the committed lab identity and hold the stack secrets', async () => {
    const head = readFileSync('inventory/lab.agekey', 'utf8').split('\n')[0];
    expect(head).toMatch(/LAB ONLY/);
    const { secrets } = await openSecretsFile('inventory/lab.secrets.age', { ...noEnv });
    expect(Object.keys(secrets).sort()).toEqual(['haproxy_stats_password', 'mysql_app_password', 'mysql_replication_password']);
    expect(secrets.mysql_replication_password!.reveal().length).toBeGreaterThanOrEqual(24);
    expect(secrets.mysql_app_password!.reveal().length).toBeGreaterThanOrEqual(24);
    expect(secrets.haproxy_stats_password!.reveal().length).toBeGreaterThanOrEqual(24);
  });

  it('reach every host of an inventory that names them, as Secret', async () => {
    const dir = tmp();
    const inv = path.join(dir, 'lab.yml');
    writeFileSync(inv, 'secrets: lab.secrets.age\ngroups:\n  db:\n    hosts:\n      db-01: { address: 10.77.0.41 }\n');
    writeFileSync(path.join(dir, 'lab.secrets.age'), readFileSync('inventory/lab.secrets.age'));
    const loaded = await loadInventory(inv, { vault: { ...noEnv, ageKeyFile: 'inventory/lab.agekey' } });
    const v = loaded.hosts.get('db-01')!.vars.mysql_app_password;
    expect(v).toBeInstanceOf(Secret);
    expect(JSON.stringify(loaded.hosts.get('db-01'))).not.toContain((v as Secret).reveal());
  });
});

describe.skipIf(!hasAge)('interoperability with the age CLI', () => {
  it('age -d reads what we write, and we read what age -e writes', async () => {
    const { secretsFile, keyFile, recipient, dir } = await identitySetup('k: "from-node"\n');
    expect(execFileSync('age', ['-d', '-i', keyFile, secretsFile], { encoding: 'utf8' })).toBe('k: "from-node"\n');
    const fromCli = path.join(dir, 'cli.age');
    execFileSync('age', ['-e', '-r', recipient, '-o', fromCli], { input: 'k: "from-go"\n' });
    const opened = await openSecretsFile(fromCli, { ...noEnv, ageKeyFile: keyFile });
    expect(opened.secrets.k!.reveal()).toBe('from-go');
    const key = await keyForEncrypt(fromCli, { ...noEnv, ageKeyFile: keyFile });
    expect(new TextDecoder().decode(await decryptBytes(readFileSync(fromCli), key, fromCli))).toBe('k: "from-go"\n');
  });
});

describe('provision vault (CLI)', () => {
  let output: string[];
  const saved = { ...process.env };
  beforeEach(() => {
    output = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
    delete process.env.SCALEUP_AGE_KEY_FILE;
    delete process.env.SCALEUP_VAULT_PASSWORD;
    delete process.env.SCALEUP_INVENTORY;
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.env = { ...saved };
  });

  it('init creates a 0600 identity and an empty encrypted file, and says which line to add', async () => {
    const dir = tmp();
    const inv = path.join(dir, 'prod.yml');
    writeFileSync(inv, 'groups:\n  web:\n    hosts:\n      web-01: { address: 10.0.0.2 }\n');
    const result = await vaultInit({ inventory: inv });
    expect(result).toEqual({ secretsFile: path.join(dir, 'prod.secrets.age'), keyFile: path.join(dir, 'prod.agekey') });
    expect(statSync(result.keyFile!).mode & 0o777).toBe(0o600);
    expect((await openSecretsFile(result.secretsFile, { ...noEnv })).secrets).toEqual({});
    expect(output.join('')).toContain(`add this line to ${inv}:  secrets: prod.secrets.age`);
    const again = await errorOf(vaultInit({ inventory: inv }));
    expect(again.message).toBe(`${path.join(dir, 'prod.secrets.age')} already exists: change it with provision vault edit or vault set`);
  });

  it('init without an inventory or a passphrase source is a clear error', async () => {
    expect((await errorOf(vaultInit({}))).message).toBe('vault init: pass --inventory FILE (or set SCALEUP_INVENTORY)');
    const dir = tmp();
    const err = await errorOf(vaultInit({ inventory: path.join(dir, 'x.yml'), passphrase: true }));
    expect(err.message).toBe(
      `${path.join(dir, 'x.secrets.age')}: a passphrase is needed: set SCALEUP_VAULT_PASSWORD (no terminal to ask on)`,
    );
  });

  it('set, decrypt and encrypt through the command tree', async () => {
    const { secretsFile, keyFile, dir } = await identitySetup();
    await vaultSet(secretsFile, 'db_password', { ageKeyFile: keyFile }, 'p@ss w0rd "x"');
    expect((await openSecretsFile(secretsFile, { ...noEnv, ageKeyFile: keyFile })).secrets.db_password!.reveal()).toBe('p@ss w0rd "x"');
    expect(output.join('')).not.toContain('p@ss');

    const program = new Command('provision').exitOverride();
    registerVaultCommands(program);
    output = [];
    await program.parseAsync(['node', 'provision', 'vault', 'decrypt', '--age-key-file', keyFile, secretsFile]);
    expect(output.join('')).toBe('a_secret: "value-one"\ndb_password: p@ss w0rd "x"\n');

    const plain = path.join(dir, 'more.yml');
    writeFileSync(plain, 'one: "1111"\n');
    const out = await vaultEncrypt(plain, { ageKeyFile: keyFile });
    expect(out).toBe(path.join(dir, 'more.age'));
    expect((await openSecretsFile(out, { ...noEnv, ageKeyFile: keyFile })).secrets.one!.reveal()).toBe('1111');
    expect((await errorOf(vaultEncrypt(plain, { ageKeyFile: keyFile }))).message).toBe(`${out} exists; pass --force to replace it`);
  });

  it('edit runs $EDITOR on a 0600 file in a private dir, re-encrypts, and removes the temp', async () => {
    const { secretsFile, keyFile, dir } = await identitySetup();
    const record = path.join(dir, 'record');
    const editor = path.join(dir, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\nstat -c %a "$1" > ${record}\nstat -c %a "$(dirname "$1")" >> ${record}\necho "$1" >> ${record}\nprintf 'added: "new-value"\\n' >> "$1"\n`);
    chmodSync(editor, 0o755);
    process.env.EDITOR = editor;
    delete process.env.VISUAL;
    expect(await vaultEdit(secretsFile, { ageKeyFile: keyFile })).toBe(true);
    const [fileMode, dirMode, tempPath] = readFileSync(record, 'utf8').trim().split('\n');
    expect([fileMode, dirMode]).toEqual(['600', '700']);
    expect(existsSync(path.dirname(tempPath!))).toBe(false);
    const opened = await openSecretsFile(secretsFile, { ...noEnv, ageKeyFile: keyFile });
    expect(opened.secrets.added!.reveal()).toBe('new-value');
    expect(opened.secrets.a_secret!.reveal()).toBe('value-one');
  });

  it('edit that breaks the file leaves the secrets unchanged (and cleans up)', async () => {
    const { secretsFile, keyFile, dir } = await identitySetup();
    const before = readFileSync(secretsFile, 'utf8');
    const record = path.join(dir, 'record');
    const editor = path.join(dir, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\necho "$1" > ${record}\nprintf 'n: 5\\n' >> "$1"\n`);
    chmodSync(editor, 0o755);
    process.env.EDITOR = editor;
    delete process.env.VISUAL;
    const err = await errorOf(vaultEdit(secretsFile, { ageKeyFile: keyFile }));
    expect(err.message).toMatch(/n: a secret must be a string \(quote it\)\nthe edit was discarded; .* is unchanged$/);
    expect(readFileSync(secretsFile, 'utf8')).toBe(before);
    expect(existsSync(path.dirname(readFileSync(record, 'utf8').trim()))).toBe(false);

    process.env.EDITOR = 'false';
    expect((await errorOf(vaultEdit(secretsFile, { ageKeyFile: keyFile }))).message).toMatch(/editor \(false\) exited with status 1/);
    process.env.EDITOR = 'true';
    expect(await vaultEdit(secretsFile, { ageKeyFile: keyFile })).toBe(false);
    expect(readFileSync(secretsFile, 'utf8')).toBe(before);
  });
});
