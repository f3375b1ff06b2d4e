// The systemd flavor (default): systemd-nspawn boots the host's systemd as PID 1 inside the host's
// pre-made network namespace. Flags that matter on a machine whose PID 1 is not systemd:
//   --register=no --keep-unit   no machined/system bus to talk to (else "Failed to open system bus");
//                               nspawn stays in the cgroup the launcher put it in
//   --private-network + --network-namespace-path
//                               both: the path alone leaves the container without CAP_NET_ADMIN and
//                               with a read-only /proc/sys (no VIP, no ip_nonlocal_bind)
//   --console=passive           boot messages go to the host's console.log, nothing reads stdin
// SIGTERM to systemd-nspawn powers the host off (about 2 s).
import type { HostFlavor } from './host-launch.ts';

export const systemdFlavor: HostFlavor = {
  namespaceCommand: () => ['unshare', '--mount', '--propagation', 'private', '--'],
  stopTargetIsChild: false,
  boot: String.raw`
exec systemd-nspawn --quiet --boot --register=no --keep-unit --console=passive \
  --directory="$ROOT" --machine="lab-$NAME" --hostname="$NAME" \
  --private-network --network-namespace-path="/run/netns/$NETNS" \
  --bind-ro="$REPO:/srv/labrepo" \
  --resolv-conf=off --timezone=off --link-journal=no
`,
};
