// The sysv flavor (`--init sysv`): no systemd anywhere; tini is PID 1 of the host's own PID namespace and
// runs /sbin/init (a small script baked into the sysv base: starts /etc/rc2.d, then waits). Services are
// driven by their /etc/init.d scripts through `service` and invoke-rc.d, as on a non-systemd target.
// The launcher builds the host's root by hand the way a container runtime would: /proc with /proc/sys
// read-only except /proc/sys/net (the host owns its network namespace), read-only /sys, a tmpfs /dev
// with the usual nodes and its own devpts, a tmpfs /run, then pivot_root.
import type { HostFlavor } from './host-launch.ts';

export const sysvFlavor: HostFlavor = {
  namespaceCommand: (netnsPath) => [
    'nsenter',
    `--net=${netnsPath}`,
    '--',
    'unshare',
    '--mount',
    '--uts',
    '--ipc',
    '--pid',
    '--fork',
    '--kill-child',
    '--propagation',
    'private',
    '--',
  ],
  stopTargetIsChild: true,
  boot: String.raw`
mount -t proc -o nosuid,nodev,noexec proc "$ROOT/proc"
mkdir "$RW/proc"
mount -t proc proc "$RW/proc"
mount --bind "$ROOT/proc/sys" "$ROOT/proc/sys"
mount -o remount,bind,ro "$ROOT/proc/sys"
mount --bind "$RW/proc/sys/net" "$ROOT/proc/sys/net"
umount -l "$RW/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$ROOT/sys"
mount -t tmpfs -o mode=0755,nosuid dev "$ROOT/dev"
mknod -m 0666 "$ROOT/dev/null" c 1 3
mknod -m 0666 "$ROOT/dev/zero" c 1 5
mknod -m 0666 "$ROOT/dev/full" c 1 7
mknod -m 0666 "$ROOT/dev/random" c 1 8
mknod -m 0666 "$ROOT/dev/urandom" c 1 9
mknod -m 0666 "$ROOT/dev/tty" c 5 0
ln -s /proc/self/fd "$ROOT/dev/fd"
ln -s /proc/self/fd/0 "$ROOT/dev/stdin"
ln -s /proc/self/fd/1 "$ROOT/dev/stdout"
ln -s /proc/self/fd/2 "$ROOT/dev/stderr"
mkdir "$ROOT/dev/pts" "$ROOT/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$ROOT/dev/pts"
ln -s pts/ptmx "$ROOT/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$ROOT/dev/shm"
mount -t tmpfs -o mode=0755,nosuid,nodev run "$ROOT/run"
mount --bind "$REPO" "$ROOT/srv/labrepo"
mount -o remount,bind,ro "$ROOT/srv/labrepo"
hostname "$NAME"
cd "$ROOT"
pivot_root . mnt
cd /
umount -l /mnt
exec /usr/bin/tini -- /usr/sbin/init
`,
};
