// Creating an inventory: every question has a default where one makes sense and is checked as it is
// answered (asked again with the reason). Nothing is written until the last answer; then the secrets
// file and the inventory are written whole (temp file + rename) or not at all.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { confirm, input, select } from '@inquirer/prompts';
import { defaultSecretsFile } from '../../core/vault.ts';
import type { WizardContext } from './context.ts';
import { chooseVaultKey, generateStackSecrets, STACK_SECRETS, writeStackSecrets } from './secrets.ts';
import { TIERS } from './tiers.ts';
import {
  asValidate,
  databaseProblem,
  expandHome,
  hostAddressProblem,
  hostNameProblem,
  keyPathForInventory,
  newInventoryFileProblem,
  portProblem,
  privateKeyProblem,
  suggestAddress,
  suggestInventoryFile,
  suggestVip,
  userProblem,
  vipProblem,
} from './validate.ts';
import { inventoryDocument, writeInventoryFile, type NewHost, type NewInventory } from './write-inventory.ts';

export interface CreatedInventory {
  /** Absolute path of the inventory written. */
  file: string;
  inventory: NewInventory;
}

/** Private keys in ~/.ssh (files whose first line says PRIVATE KEY), the usual ones first. */
export function findPrivateKeys(home = homedir()): string[] {
  const dir = path.join(home, '.ssh');
  if (!existsSync(dir)) return [];
  const preferred = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.pub')) continue;
    try {
      const head = readFileSync(path.join(dir, entry.name), 'utf8').slice(0, 64);
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(head)) found.push(path.join(dir, entry.name));
    } catch {
      // unreadable: not offered
    }
  }
  const rank = (f: string) => {
    const i = preferred.indexOf(path.basename(f));
    return i < 0 ? preferred.length : i;
  };
  return found.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

async function askHosts(ctx: WizardContext): Promise<NewHost[]> {
  const hosts: NewHost[] = [];
  ctx.say(`\nThe hosts: ${TIERS.map((t) => `${t.defaultNames.length} ${t.tier}`).join(', ')}. Press Enter to take the suggestion in (grey).`);
  for (const [tierIndex, t] of TIERS.entries()) {
    ctx.say(ctx.c.bold(`${t.tier}: ${t.label}`));
    for (const [i, defaultName] of t.defaultNames.entries()) {
      const takenNames = hosts.map((h) => h.name);
      const name = (await input({
        message: t.defaultNames.length > 1 ? `Name of ${t.tier} host ${i + 1}` : `Name of the ${t.tier} host`,
        default: takenNames.includes(defaultName) ? undefined : defaultName,
        validate: asValidate((v) => hostNameProblem(v, takenNames)),
      })).trim();
      const inTier = hosts.filter((h) => h.tier === t.tier);
      const firstLb = hosts.find((h) => h.tier === 'lb')?.address;
      const address = (await input({
        message: `${name} address`,
        default: suggestAddress(tierIndex, inTier.at(-1)?.address, firstLb, hosts.map((h) => h.address)),
        validate: asValidate((v) => hostAddressProblem(v, t.tier, hosts, t.tier === 'lb' ? inTier : [])),
      })).trim();
      hosts.push({ tier: t.tier, name, address });
    }
  }
  return hosts;
}

/** The private key: one found in ~/.ssh, the agent, or a file named by the person. Returns an absolute path or undefined (agent). */
async function askPrivateKey(ctx: WizardContext): Promise<string | undefined> {
  const keys = findPrivateKeys();
  const agent = Boolean(process.env.SSH_AUTH_SOCK);
  const choice = await select<string>({
    message: 'SSH key to log in with',
    choices: [
      ...keys.map((k) => ({ name: `~/${path.relative(homedir(), k)}`, value: k })),
      {
        name: 'The ssh-agent',
        value: 'agent',
        disabled: agent ? false : '(no agent: SSH_AUTH_SOCK is not set)',
        description: 'Keys loaded with ssh-add; nothing is written about the key.',
      },
      { name: 'Another key file…', value: 'other' },
    ],
    default: keys[0] ?? (agent ? 'agent' : 'other'),
  });
  if (choice === 'agent') return undefined;
  if (choice !== 'other') return choice;
  const file = await input({ message: 'Private key file', validate: asValidate((v) => privateKeyProblem(v, ctx.cwd)) });
  return path.resolve(ctx.cwd, expandHome(file.trim()));
}

/** Asks everything; returns the answers, or undefined when the person declines to write them. */
export async function askInventory(ctx: WizardContext): Promise<{ file: string; inventory: NewInventory } | undefined> {
  const fileAnswer = (await input({
    message: 'Where should the new inventory be written?',
    default: suggestInventoryFile(ctx.cwd),
    validate: asValidate((v) => newInventoryFileProblem(v, ctx.cwd)),
  })).trim();
  const file = path.resolve(ctx.cwd, expandHome(fileAnswer));
  const dir = path.dirname(file);

  const hosts = await askHosts(ctx);

  ctx.say(ctx.c.bold('\nHow to log in'));
  const user = (await input({ message: 'SSH user', default: 'deploy', validate: asValidate(userProblem) })).trim();
  const become = user === 'root'
    ? false
    : await confirm({ message: `Use sudo to configure the hosts (${user} needs passwordless sudo)?`, default: true });
  const port = Number((await input({ message: 'SSH port', default: '22', validate: asValidate(portProblem) })).trim());
  const keyAbs = await askPrivateKey(ctx);

  ctx.say(ctx.c.bold('\nThe stack'));
  const lbHosts = hosts.filter((h) => h.tier === 'lb');
  const vip = (await input({
    message: 'Virtual IP (VIP) the clients use',
    default: suggestVip(lbHosts.map((h) => h.address), hosts.map((h) => h.address)),
    validate: asValidate((v) => vipProblem(v, lbHosts, hosts)),
  })).trim();
  const appPort = Number((await input({ message: 'Port the app listens on', default: '3000', validate: asValidate(portProblem) })).trim());
  const database = (await input({ message: 'Name of the app\'s database', default: 'app', validate: asValidate(databaseProblem) })).trim();

  const inventory: NewInventory = {
    hosts,
    user,
    port,
    become,
    ...(keyAbs ? { privateKey: keyPathForInventory(keyAbs, dir) } : {}),
    knownHosts: 'known_hosts',
    secretsFile: path.basename(defaultSecretsFile(file)),
    vip,
    appPort,
    database,
  };

  ctx.say(`\n${ctx.c.bold(`This will be ${ctx.show(file)}:`)}\n`);
  ctx.say(inventoryDocument(inventory).replace(/^/gm, '  '));
  const go = await confirm({ message: `Write ${ctx.show(file)} and its encrypted secrets file?`, default: true });
  return go ? { file, inventory } : undefined;
}

/** The whole creation: questions, secrets, then the two files. */
export async function createInventory(ctx: WizardContext): Promise<CreatedInventory | undefined> {
  const answers = await askInventory(ctx);
  if (!answers) {
    ctx.say('Nothing was written.');
    return undefined;
  }
  const { file, inventory } = answers;
  const secretsFile = defaultSecretsFile(file);
  ctx.say(`\nThe stack needs ${STACK_SECRETS.length} secrets: ${STACK_SECRETS.map((s) => s.what).join(', ')}.`);
  ctx.say('They are generated at random and written encrypted; they are never shown.');
  const key = await chooseVaultKey(ctx, file);

  // From here on nothing asks a question, so Ctrl-C cannot leave one file without the other.
  await writeStackSecrets(secretsFile, generateStackSecrets(), key);
  writeInventoryFile(file, inventoryDocument(inventory));
  ctx.say(ctx.c.ok(`Wrote ${ctx.show(file)} and ${ctx.show(secretsFile)}`) +
    ` (see or change a secret: provision vault edit ${ctx.show(secretsFile)}).`);
  return { file, inventory };
}
