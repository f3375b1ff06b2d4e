// What makes a pristine host *this* host: a handful of files written into its fresh overlay at every start
// (name, /etc/hosts with all lab hosts, stable machine-id, its cached host key, the lab login key).
import { createHash } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BRIDGE_ADDRESS, type LabHost } from './addresses.ts';
import type { HostKey } from './keys.ts';

export interface SeedInput {
  host: LabHost;
  allHosts: LabHost[];
  hostKey: HostKey;
  /** The lab's public login key line. */
  labPublicKey: string;
}

export function renderEtcHosts(host: LabHost, allHosts: LabHost[]): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    `127.0.1.1\t${host.name}`,
    `${BRIDGE_ADDRESS}\tcontrol`,
    ...allHosts.map((h) => `${h.address}\t${h.name}`),
    '',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    '',
  ];
  return lines.join('\n');
}

/** A machine-id that stays the same across ups and resets, so the journal keeps one directory per host. */
export function machineId(name: string): string {
  return createHash('sha256').update(`scaleup-lab:${name}`).digest('hex').slice(0, 32);
}

/** Writes the seed files into `dir` (a per-host runtime directory). */
export async function writeSeed(dir: string, input: SeedInput): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'hostname'), `${input.host.name}\n`);
  await writeFile(join(dir, 'hosts'), renderEtcHosts(input.host, input.allHosts));
  await writeFile(join(dir, 'machine-id'), `${machineId(input.host.name)}\n`);
  await copyFile(input.hostKey.privateKey, join(dir, 'ssh_host_ed25519_key'));
  await writeFile(join(dir, 'ssh_host_ed25519_key.pub'), `${input.hostKey.publicKey} root@${input.host.name}\n`);
  await writeFile(join(dir, 'authorized_keys'), `${input.labPublicKey}\n`);
}

/** Shell lines that install the seed from `$SEED` into the host root `$ROOT` (run by the host's launcher). */
export const INSTALL_SEED = String.raw`
install -m 0644 "$SEED/hostname" "$ROOT/etc/hostname"
install -m 0644 "$SEED/hosts" "$ROOT/etc/hosts"
install -m 0444 "$SEED/machine-id" "$ROOT/etc/machine-id"
install -m 0600 "$SEED/ssh_host_ed25519_key" "$ROOT/etc/ssh/ssh_host_ed25519_key"
install -m 0644 "$SEED/ssh_host_ed25519_key.pub" "$ROOT/etc/ssh/ssh_host_ed25519_key.pub"
install -m 0600 "$SEED/authorized_keys" "$ROOT/root/.ssh/authorized_keys"
install -m 0600 -o 1000 -g 1000 "$SEED/authorized_keys" "$ROOT/home/deploy/.ssh/authorized_keys"
`;
