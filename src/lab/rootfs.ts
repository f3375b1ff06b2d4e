// The base root filesystem every host of a flavor shares read-only (the overlay's lower layer): Debian
// minbase from the machine's own mirror, plus what makes it a lab host. Built once by mmdebstrap, cached.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { machineDebianSources } from './apt-sources.ts';
import { run } from './exec.ts';
import { removeTree } from './fs-util.ts';
import type { LabPaths } from './paths.ts';
import { SUITE, basePackages, recipeHash, type InitFlavor } from './recipe.ts';

/** Run by mmdebstrap's customize hook with the new root as $1; shared by both flavors. */
const COMMON_CUSTOMIZE = String.raw`set -eu
R="$1"
# apt: the hosts have no route out; their only source is the lab repo bind-mounted at /srv/labrepo.
rm -f "$R/etc/apt/sources.list" "$R"/etc/apt/sources.list.d/*
echo 'deb [trusted=yes] file:/srv/labrepo ./' > "$R/etc/apt/sources.list.d/scaleup-lab.list"
printf 'Acquire::Languages "none";\n' > "$R/etc/apt/apt.conf.d/90scaleup-lab"
rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin
mkdir -p "$R/var/lib/apt/lists/partial" "$R/srv/labrepo"
# ssh: host keys are per host (seeded at start, cached so known_hosts stays valid); ed25519 only.
rm -f "$R"/etc/ssh/ssh_host_*
printf 'HostKey /etc/ssh/ssh_host_ed25519_key\n' > "$R/etc/ssh/sshd_config.d/scaleup-lab.conf"
# users: root and deploy (passwordless sudo) log in with the lab key, seeded at start.
chroot "$R" useradd --create-home --shell /bin/bash --uid 1000 --user-group deploy
printf 'deploy ALL=(ALL) NOPASSWD:ALL\n' > "$R/etc/sudoers.d/deploy"
chmod 0440 "$R/etc/sudoers.d/deploy"
install -d -m 0700 "$R/root/.ssh"
install -d -m 0700 -o 1000 -g 1000 "$R/home/deploy/.ssh"
# identity: mmdebstrap copied this machine's hostname and resolver; a host gets its own (no DNS in the lab).
: > "$R/etc/machine-id"
echo lab > "$R/etc/hostname"
rm -f "$R/etc/resolv.conf"
: > "$R/etc/resolv.conf"
`;

const SYSTEMD_CUSTOMIZE = String.raw`
# Nothing periodic that would wake 5–50 idle hosts at once; no consoles nobody reads.
chroot "$R" systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
  fstrim.timer e2scrub_reap.service systemd-pstore.service console-getty.service getty@tty1.service
chroot "$R" systemctl enable ssh.service
`;

const SYSV_CUSTOMIZE = String.raw`
# invoke-rc.d (used by every maintainer script) starts services only with /sbin/init present and a
# runlevel it can read; tini runs /sbin/init as the single child of PID 1.
printf '#!/bin/sh\necho "N 2"\n' > "$R/usr/sbin/runlevel"
chmod 0755 "$R/usr/sbin/runlevel"
cat > "$R/usr/sbin/init" <<'EOF'
#!/bin/sh
# scaleup lab, sysv flavor: started by tini (PID 1). Starts the runlevel-2 services, then waits;
# SIGTERM (forwarded by tini) ends the host.
mkdir -p /run/lock /run/sshd
chmod 1777 /run/lock
for s in /etc/rc2.d/S*; do
  [ -x "$s" ] && "$s" start
done
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
EOF
chmod 0755 "$R/usr/sbin/init"
`;

export function customizeScript(flavor: InitFlavor): string {
  return COMMON_CUSTOMIZE + (flavor === 'systemd' ? SYSTEMD_CUSTOMIZE : SYSV_CUSTOMIZE);
}

export function baseRootfsKey(flavor: InitFlavor): string {
  return recipeHash('rootfs', 1, SUITE, flavor, basePackages(flavor), customizeScript(flavor));
}

export function baseRootfsDir(paths: LabPaths, flavor: InitFlavor): string {
  return join(paths.cache, 'rootfs', `${flavor}-${baseRootfsKey(flavor)}`);
}

export interface CacheResult {
  dir: string;
  built: boolean;
}

/** Returns the cached base rootfs for `flavor`, building it first if missing (older builds are removed). */
export async function ensureBaseRootfs(paths: LabPaths, flavor: InitFlavor): Promise<CacheResult> {
  const dir = baseRootfsDir(paths, flavor);
  // Builds land under a temporary name and are renamed into place: the directory exists only when complete.
  if (existsSync(dir)) return { dir, built: false };
  const parent = join(paths.cache, 'rootfs');
  await mkdir(parent, { recursive: true });
  for (const name of await readdir(parent)) {
    if (name.startsWith(`${flavor}-`)) await removeTree(join(parent, name));
  }
  const tmp = `${dir}.tmp`;
  const sources = `${dir}.sources`;
  const hook = `${dir}.customize.sh`;
  await writeFile(sources, await machineDebianSources(SUITE));
  await writeFile(hook, customizeScript(flavor));
  await removeTree(tmp);
  try {
    await run('mmdebstrap', [
      '--mode=root',
      '--variant=minbase',
      `--include=${basePackages(flavor).join(',')}`,
      '--customize-hook=sh "$SCALEUP_LAB_CUSTOMIZE" "$1"',
      SUITE,
      tmp,
      sources,
    ], { env: { ...process.env, SCALEUP_LAB_CUSTOMIZE: hook } });
    await rename(tmp, dir);
  } finally {
    await removeTree(tmp);
    await removeTree(sources);
    await removeTree(hook);
  }
  return { dir, built: true };
}
