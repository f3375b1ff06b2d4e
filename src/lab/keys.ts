// SSH identities: the lab key (one per project checkout, in .lab/) that root and deploy accept on every
// host, and each host's own ed25519 host key (cached per host name, so known_hosts stays valid across ups
// and resets).
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { run } from './exec.ts';
import type { LabPaths } from './paths.ts';

export interface HostKey {
  /** The private key file, copied into the host as /etc/ssh/ssh_host_ed25519_key. */
  privateKey: string;
  /** `ssh-ed25519 AAAA…` */
  publicKey: string;
}

async function generate(file: string, comment: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await rm(file, { force: true });
  await rm(`${file}.pub`, { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  await chmod(file, 0o600);
}

/** The lab's login key (`.lab/id_ed25519`), generated once and kept. Returns the public key line. */
export async function ensureLabKey(paths: LabPaths): Promise<string> {
  if (!existsSync(paths.sshKey) || !existsSync(`${paths.sshKey}.pub`)) {
    await generate(paths.sshKey, 'scaleup-lab');
  }
  return (await readFile(`${paths.sshKey}.pub`, 'utf8')).trim();
}

/**
 * Makes the committed lab age identity private (0600). Git keeps no file modes, so a checkout leaves
 * it as the umask says (0644), and scaleup refuses an identity others may read, lab key or not.
 */
export async function protectLabAgeKey(paths: LabPaths): Promise<void> {
  if (existsSync(paths.ageKey)) await chmod(paths.ageKey, 0o600);
}

/** A host's ed25519 host key from the cache, generated the first time the host name is used. */
export async function ensureHostKey(paths: LabPaths, name: string): Promise<HostKey> {
  const privateKey = join(paths.cache, 'hostkeys', name, 'ssh_host_ed25519_key');
  if (!existsSync(privateKey) || !existsSync(`${privateKey}.pub`)) await generate(privateKey, `root@${name}`);
  const [type, key] = (await readFile(`${privateKey}.pub`, 'utf8')).trim().split(/\s+/);
  return { privateKey, publicKey: `${type} ${key}` };
}

/** OpenSSH known_hosts text: one `ADDRESS ssh-ed25519 AAAA…` line per host. */
export function renderKnownHosts(entries: { address: string; publicKey: string }[]): string {
  return entries.map((e) => `${e.address} ${e.publicKey}\n`).join('');
}

export async function writeKnownHosts(paths: LabPaths, entries: { address: string; publicKey: string }[]) {
  await mkdir(paths.labDir, { recursive: true, mode: 0o700 });
  await writeFile(paths.knownHosts, renderKnownHosts(entries), { mode: 0o644 });
}
