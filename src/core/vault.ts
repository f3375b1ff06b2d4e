// Secrets at rest: a YAML map of name → string, encrypted in age format (the `age-encryption` package,
// interoperable with the `age` CLI and sops). Two ways to hold the key:
//   - an X25519 identity file (the default): decrypts in milliseconds; the file is gitignored (*.agekey);
//   - a passphrase (scrypt): portable, but ~2 s of CPU per decrypt in pure JS (docs/decisions.md).
// The core never prompts: a caller that can ask a person passes a `passphrase` callback.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as age from 'age-encryption';
import { isMap, parseDocument } from 'yaml';
import { InventoryError, type SourceLocation } from './errors.ts';
import { readPrivateFile } from './private-file.ts';
import { VAR_NAME_RE } from './inventory-schema.ts';
import { Secret } from './secret.ts';
import { asciiJson, displayPath, parseYamlBytes, throwIfAny } from './yaml-source.ts';

export const AGE_KEY_FILE_ENV = 'SCALEUP_AGE_KEY_FILE';
export const VAULT_PASSWORD_ENV = 'SCALEUP_VAULT_PASSWORD';

/** How to find the key of a secrets file. Precedence is documented on each field. */
export interface VaultOptions {
  /** `--age-key-file`: the identity file. Wins over SCALEUP_AGE_KEY_FILE and the default file. */
  ageKeyFile?: string;
  /**
   * Asks a person for the passphrase of a passphrase-encrypted file, when SCALEUP_VAULT_PASSWORD is not
   * set. Only the CLI supplies one (on a terminal); without it a missing passphrase is an error.
   */
  passphrase?: () => Promise<string>;
  /** Where SCALEUP_AGE_KEY_FILE and SCALEUP_VAULT_PASSWORD are read from (default: process.env). */
  env?: Record<string, string | undefined>;
  /**
   * The file whose sibling `<base>.agekey` is the default identity file: the inventory (`lab.yml` →
   * `lab.agekey`). Default: derived from the secrets file itself (`lab.secrets.age` → `lab.agekey`).
   */
  keyFileBeside?: string;
  /** scrypt work factor (log2) for new passphrase encryptions; default 18 (age's default). Tests lower it. */
  scryptWorkFactor?: number;
}

/** The key a secrets file is (or will be) encrypted with. Private material is held as Secret. */
export type VaultKey =
  | { kind: 'identity'; file: string; identities: Secret[]; recipients: string[] }
  | { kind: 'passphrase'; passphrase: Secret; scryptWorkFactor?: number };

/** What a secrets file decrypts to. */
export interface OpenedSecrets {
  /** Absolute path of the encrypted file. */
  file: string;
  /** The decrypted YAML text (comments kept, for edit/set). Never print it outside `vault decrypt`. */
  text: string;
  secrets: Record<string, Secret>;
  key: VaultKey;
}

/** `<dir>/<base>` of an inventory or secrets file: `lab.yml`, `lab.secrets.age` → `<dir>/lab`. */
function stem(file: string): string {
  let base = path.basename(file);
  for (const ext of ['.age', '.yml', '.yaml', '.secrets']) if (base.endsWith(ext)) base = base.slice(0, -ext.length);
  return path.join(path.dirname(path.resolve(file)), base);
}

/** The default identity file of an inventory or secrets file: `inventory/lab.yml` → `inventory/lab.agekey`. */
export function defaultKeyFile(file: string): string {
  return `${stem(file)}.agekey`;
}

/** The conventional secrets file of an inventory: `inventory/lab.yml` → `inventory/lab.secrets.age`. */
export function defaultSecretsFile(inventoryFile: string): string {
  return `${stem(inventoryFile)}.secrets.age`;
}

/** The text of a new, empty secrets file: comments only. */
export function emptySecretsText(): string {
  return [
    '# scaleup secrets: one `name: value` per line; values are strings (quote them).',
    '# Each name becomes a variable of every host; inventory vars of the same name override it.',
    '# Edit with: provision vault edit FILE   (or set one value: provision vault set FILE NAME)',
    '',
  ].join('\n');
}

// ---- identity files ----------------------------------------------------------------------------

/**
 * Creates an X25519 identity file (mode 0600, refuses to overwrite) in age-keygen's format, readable
 * by `age -d -i FILE`. Returns the public recipient (`age1…`).
 */
export async function generateIdentityFile(file: string, comment: string[] = []): Promise<string> {
  const identity = await age.generateIdentity();
  const recipient = await age.identityToRecipient(identity);
  const text = [
    ...comment.map((c) => `# ${c}`),
    `# created: ${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
    `# public key: ${recipient}`,
    identity,
    '',
  ].join('\n');
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  try {
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new InventoryError('age key file already exists; not overwriting it', { file: displayPath(file) });
    }
    throw err;
  }
  chmodSync(file, 0o600); // exactly 0600 whatever the umask: ssh-style tools warn about anything else
  return recipient;
}

/** Reads an identity file (`AGE-SECRET-KEY-1…` lines; `#` comments). Errors never quote a key. */
export async function readIdentityFile(file: string): Promise<{ identities: Secret[]; recipients: string[] }> {
  const display = displayPath(file);
  let text: string;
  try {
    // Refused when others may read or change it, as OpenSSH refuses such a private key. The lab's
    // committed key (inventory/lab.agekey, a public test key) is no exception: git keeps no modes, so
    // `provision lab up` makes it 0600 before the lab uses it.
    text = readPrivateFile(file, (reason) => new InventoryError(`age key file ${reason}`, { file: display }), display).toString('utf8');
  } catch (err) {
    if (err instanceof InventoryError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InventoryError(
      `cannot read age key file: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code)}`,
      { file: display },
    );
  }
  const identities: Secret[] = [];
  const recipients: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where: SourceLocation = { file: display, line: i + 1, column: 1 };
    if (!/^AGE-SECRET-KEY-(PQ-)?1[A-Z0-9]+$/.test(line)) {
      throw new InventoryError('not an age identity (expected AGE-SECRET-KEY-1…; plugins are not supported)', where);
    }
    try {
      recipients.push(await age.identityToRecipient(line));
    } catch {
      throw new InventoryError('malformed age identity', where);
    }
    identities.push(new Secret(line));
  }
  if (identities.length === 0) throw new InventoryError('no age identity in the file', { file: display });
  return { identities, recipients };
}

// ---- keys ------------------------------------------------------------------------------------------

/** The age header of an encrypted file (armored or binary), as text; throws if it is not an age file. */
function ageBytes(raw: Uint8Array, display: string): Uint8Array {
  const head = new TextDecoder().decode(raw.subarray(0, 64));
  let bytes = raw;
  if (head.trimStart().startsWith('-----BEGIN AGE ENCRYPTED FILE-----')) {
    try {
      bytes = age.armor.decode(new TextDecoder().decode(raw));
    } catch (err) {
      throw new InventoryError(`damaged age file (armor: ${(err as Error).message})`, { file: display });
    }
  }
  if (!new TextDecoder().decode(bytes.subarray(0, 22)).startsWith('age-encryption.org/v1\n')) {
    throw new InventoryError('not an age-encrypted file (encrypt it with `provision vault encrypt`)', { file: display });
  }
  return bytes;
}

/** Whether an age file is encrypted to a passphrase (scrypt stanza) rather than to recipients. */
function isPassphraseFile(bytes: Uint8Array): boolean {
  const header = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 4096)).split('\n--- ')[0]!;
  return header.split('\n').some((l) => l.startsWith('-> scrypt '));
}

async function identityKey(file: string): Promise<VaultKey> {
  const { identities, recipients } = await readIdentityFile(file);
  return { kind: 'identity', file: path.resolve(file), identities, recipients };
}

/**
 * The identity file to use: --age-key-file, else SCALEUP_AGE_KEY_FILE, else `<inventory>.agekey` beside the
 * inventory, else `<name>.agekey` beside the secrets file — the first that exists.
 */
export function findKeyFile(secretsFile: string, options: VaultOptions): string | undefined {
  const env = options.env ?? process.env;
  if (options.ageKeyFile) return path.resolve(options.ageKeyFile);
  if (env[AGE_KEY_FILE_ENV]) return path.resolve(env[AGE_KEY_FILE_ENV]!);
  const candidates = [options.keyFileBeside, secretsFile].filter((f): f is string => !!f).map(defaultKeyFile);
  return candidates.find((f) => existsSync(f));
}

async function passphraseKey(display: string, options: VaultOptions, why: string): Promise<VaultKey> {
  const env = options.env ?? process.env;
  let value = env[VAULT_PASSWORD_ENV];
  if (value === undefined || value === '') {
    if (!options.passphrase) {
      throw new InventoryError(`${why}: set ${VAULT_PASSWORD_ENV} (no terminal to ask on)`, { file: display });
    }
    value = await options.passphrase();
  }
  if (value === '') throw new InventoryError('empty passphrase', { file: display });
  return { kind: 'passphrase', passphrase: new Secret(value), scryptWorkFactor: options.scryptWorkFactor };
}

/**
 * The key for a new encryption of `secretsFile`: a passphrase when asked for (`mode: 'passphrase'`), or
 * when no identity file is configured or found but SCALEUP_VAULT_PASSWORD is set; else the identity file.
 */
export async function keyForEncrypt(
  secretsFile: string,
  options: VaultOptions & { mode?: 'identity' | 'passphrase' },
): Promise<VaultKey> {
  const display = displayPath(secretsFile);
  const env = options.env ?? process.env;
  if (options.mode === 'passphrase') return passphraseKey(display, options, 'a passphrase is needed');
  const keyFile = findKeyFile(secretsFile, options);
  if (keyFile) return identityKey(keyFile);
  if (options.mode !== 'identity' && env[VAULT_PASSWORD_ENV]) return passphraseKey(display, options, '');
  throw noKeyError(secretsFile, options);
}

function noKeyError(secretsFile: string, options: VaultOptions): InventoryError {
  const fallback = displayPath(defaultKeyFile(options.keyFileBeside ?? secretsFile));
  return new InventoryError(
    `no age identity: pass --age-key-file, set ${AGE_KEY_FILE_ENV}, or create ${fallback} (provision vault init)`,
    { file: displayPath(secretsFile) },
  );
}

/** The key that opens an existing encrypted file: its header says whether it wants a passphrase. */
export async function keyForDecrypt(secretsFile: string, bytes: Uint8Array, options: VaultOptions): Promise<VaultKey> {
  const display = displayPath(secretsFile);
  if (isPassphraseFile(bytes)) return passphraseKey(display, options, 'this file is encrypted with a passphrase');
  const keyFile = findKeyFile(secretsFile, options);
  if (!keyFile) throw noKeyError(secretsFile, options);
  return identityKey(keyFile);
}

// ---- encrypt / decrypt -------------------------------------------------------------------------------

/** Encrypts text to `key`, ASCII-armored (a text file that diffs and commits cleanly; `age -d` reads it). */
export async function encryptText(text: string, key: VaultKey): Promise<string> {
  const e = new age.Encrypter();
  if (key.kind === 'passphrase') {
    if (key.scryptWorkFactor !== undefined) e.setScryptWorkFactor(key.scryptWorkFactor);
    e.setPassphrase(key.passphrase.reveal());
  } else {
    for (const r of key.recipients) e.addRecipient(r);
  }
  return age.armor.encode(await e.encrypt(text));
}

/** Decrypts an age file's bytes (armored or binary) with `key`. */
export async function decryptBytes(raw: Uint8Array, key: VaultKey, file: string): Promise<Uint8Array> {
  const display = displayPath(file);
  const bytes = ageBytes(raw, display);
  const d = new age.Decrypter();
  if (key.kind === 'passphrase') d.addPassphrase(key.passphrase.reveal());
  else for (const id of key.identities) d.addIdentity(id.reveal());
  try {
    // Stream in, stream out: given bytes, the library collects its output with `new Response()`,
    // which loads Node's fetch implementation (undici) — ~20 ms of every run, for a few hundred bytes.
    const out = await d.decrypt(new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(bytes), c.close()) }));
    const chunks: Uint8Array[] = [];
    for await (const chunk of out) chunks.push(chunk);
    return new Uint8Array(Buffer.concat(chunks));
  } catch (err) {
    const msg = (err as Error).message;
    if (/no identity matched/.test(msg)) {
      throw new InventoryError(
        key.kind === 'passphrase'
          ? 'cannot decrypt: wrong passphrase'
          : `cannot decrypt: the identity in ${displayPath(key.file)} is not a recipient of this file`,
        { file: display },
      );
    }
    throw new InventoryError(`cannot decrypt: damaged age file (${msg})`, { file: display });
  }
}

function readEncrypted(file: string): Uint8Array {
  const display = displayPath(file);
  try {
    const st = statSync(file);
    if (st.size > 2 * 1024 * 1024) throw new InventoryError('secrets file is over 2 MiB', { file: display });
    return readFileSync(file);
  } catch (err) {
    if (err instanceof InventoryError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InventoryError(
      code === 'ENOENT'
        ? 'secrets file not found (create it with `provision vault init`)'
        : `cannot read secrets file: ${String(code)}`,
      { file: display },
    );
  }
}

/** Decrypts and validates a secrets file. */
export async function openSecretsFile(file: string, options: VaultOptions = {}): Promise<OpenedSecrets> {
  const abs = path.resolve(file);
  const raw = readEncrypted(abs);
  const key = await keyForDecrypt(abs, ageBytes(raw, displayPath(abs)), options);
  const plain = await decryptBytes(raw, key, abs);
  const secrets = parseSecrets(plain, abs);
  return { file: abs, text: new TextDecoder().decode(plain), secrets, key };
}

/**
 * Validates decrypted secrets text: a map of variable name → string (empty is allowed). Messages point
 * at `FILE (decrypted):line:col` and never quote a value.
 */
export function parseSecrets(plain: Uint8Array | string, file: string): Record<string, Secret> {
  const display = `${displayPath(file)} (decrypted)`;
  const bytes = typeof plain === 'string' ? new TextEncoder().encode(plain) : plain;
  const src = parseYamlBytes(bytes, file, { kind: 'secrets file', allowEmpty: true, quiet: true, display });
  const out: Record<string, Secret> = {};
  if (src.data === undefined) return out;
  if (typeof src.data !== 'object' || Array.isArray(src.data)) {
    throw src.error([], 'expected a map of name: value');
  }
  const errors: InventoryError[] = [];
  for (const [name, value] of Object.entries(src.data as Record<string, unknown>)) {
    if (!VAR_NAME_RE.test(name)) {
      errors.push(src.error([name], 'invalid secret name: use letters, digits and "_", not starting with a digit', 'key'));
    } else if (typeof value !== 'string') {
      errors.push(src.error([name], 'a secret must be a string (quote it)'));
    } else if (value === '') {
      errors.push(src.error([name], 'empty secret'));
    } else {
      out[name] = new Secret(value);
    }
  }
  throwIfAny(errors);
  return out;
}

/**
 * Encrypts `text` (validated first: a bad file is never written) and replaces `file` atomically
 * (temp file beside it, then rename).
 */
export async function writeSecretsFile(file: string, text: string, key: VaultKey): Promise<void> {
  const abs = path.resolve(file);
  parseSecrets(text, abs);
  const armored = await encryptText(text, key);
  mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, armored, { mode: 0o644, flag: 'wx' });
    renameSync(tmp, abs);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Sets one secret in decrypted text, keeping the other entries and the comments. */
export function setSecretInText(text: string, name: string, value: string, file: string): string {
  const display = `${displayPath(file)} (decrypted)`;
  if (!VAR_NAME_RE.test(name)) {
    throw new InventoryError('invalid secret name: use letters, digits and "_", not starting with a digit', {
      file: display,
      field: asciiJson(name),
    });
  }
  parseSecrets(text, file);
  const doc = parseDocument(text);
  if (isMap(doc.contents) && doc.contents.flow && doc.contents.items.length === 0) doc.contents.flow = false;
  doc.set(name, value);
  return doc.toString({ lineWidth: 0 });
}

/** Generates a strong random secret: `length` characters from [A-Za-z0-9] (no shell or YAML specials). */
export function randomSecret(length = 32): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += alphabet[b % 62]; // 248 = 4·62: no modulo bias
    }
  }
  return out;
}
