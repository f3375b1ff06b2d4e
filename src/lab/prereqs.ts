// What the lab needs from the control machine: Linux, root, and a few Debian packages, which it installs
// itself with apt-get when missing (a fresh CI machine lacks mmdebstrap and systemd-container).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LabError } from './errors.ts';
import { run } from './exec.ts';

/** Command → the Debian package that provides it. */
export const REQUIRED_COMMANDS: Record<string, string> = {
  mmdebstrap: 'mmdebstrap',
  'systemd-nspawn': 'systemd-container',
  'dpkg-scanpackages': 'dpkg-dev',
  ip: 'iproute2',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  flock: 'util-linux',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  'apt-get': 'apt',
  // The lab's ACME server and the throwaway CA for its HTTPS.
  pebble: 'pebble',
  'pebble-challtestsrv': 'pebble',
  openssl: 'openssl',
};

/** Throws a one-line LabError unless this is Linux and we are root. */
export function assertLinuxRoot(): void {
  if (process.platform !== 'linux') {
    throw new LabError(`the lab needs Linux (network namespaces, overlayfs); this is ${process.platform}`);
  }
  if (process.getuid?.() !== 0) {
    throw new LabError('the lab needs root (it creates network namespaces, mounts and a bridge): run it with sudo');
  }
}

function onPath(cmd: string): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => {
    try {
      accessSync(join(d, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Debian packages to install for the commands missing on this machine. */
export function missingPackages(has: (cmd: string) => boolean = onPath): string[] {
  const pkgs = Object.entries(REQUIRED_COMMANDS)
    .filter(([cmd]) => !has(cmd))
    .map(([, pkg]) => pkg);
  return [...new Set(pkgs)];
}

/** Installs missing prerequisites with apt-get; returns what was installed (empty when nothing was missing). */
export async function ensurePrerequisites(): Promise<string[]> {
  const missing = missingPackages();
  if (missing.length === 0) return [];
  if (missing.includes('apt')) {
    throw new LabError('the lab needs a Debian-based control machine with apt-get');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['-q', 'update'], { env });
  await run('apt-get', ['-q', '-y', '--no-install-recommends', 'install', ...missing], { env });
  return missing;
}
