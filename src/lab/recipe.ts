// What goes into a lab host. Caches are keyed by a hash of these lists and of the build scripts, so
// changing any of them rebuilds exactly what depends on it.
import { createHash } from 'node:crypto';

/** The Debian release lab hosts run (the machine's own mirror must carry it). */
export const SUITE = 'bookworm';

export const INIT_FLAVORS = ['systemd', 'sysv'] as const;
export type InitFlavor = (typeof INIT_FLAVORS)[number];

/** In every base rootfs (mmdebstrap `--variant=minbase --include=…`). */
export const BASE_PACKAGES = [
  'openssh-server',
  'python3',
  'sudo',
  'iproute2',
  'procps',
  'curl',
  'ca-certificates',
  'iputils-ping',
  'netbase',
  'tini',
] as const;

/** Added to the base of the systemd flavor. */
export const SYSTEMD_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'libpam-systemd'] as const;

/**
 * Everything the roles install, served to the hosts by the local apt repository (with all dependencies
 * the base lacks). A role that needs another package adds it here; the next `lab up` rebuilds the repo.
 */
export const REPO_PACKAGES = [
  'haproxy',
  'keepalived',
  'nginx',
  'mariadb-server',
  'mariadb-client',
  'nodejs',
  'node-mysql',
  // A Python app on the app tier (python3 itself is in the base): test/fixtures/apps/python-app.
  'python3-pymysql',
  'python3-apt',
  'nftables',
  'rsyslog',
] as const;

export function basePackages(flavor: InitFlavor): string[] {
  return flavor === 'systemd' ? [...BASE_PACKAGES, ...SYSTEMD_PACKAGES] : [...BASE_PACKAGES];
}

/** A short stable hash of anything JSON can hold; names cache directories. */
export function recipeHash(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 12);
}
