// Starting and stopping one host process tree. Both flavors share the shape:
//   sh (joins the host's cgroups) → exec namespace tool → sh in a private mount namespace (mounts the
//   per-host tmpfs and the overlay, installs the seed) → exec the host's init.
// The overlay lives only in that private mount namespace, so it vanishes with the host's last process:
// a crash leaves no mount behind, and a restart always gets a pristine upper layer.
// Values reach the scripts through the environment, never by splicing them into shell text.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { netnsName, type LabHost } from './addresses.ts';
import { labProcesses } from './cgroups.ts';
import { LabError } from './errors.ts';
import { childrenOf, isRunning, processId, signal, sleep, waitGone, type ProcessId } from './processes.ts';
import type { InitFlavor } from './recipe.ts';
import { INSTALL_SEED } from './seed.ts';

export interface HostLaunchSpec {
  host: LabHost;
  init: InitFlavor;
  /** Base rootfs (overlay lower, read-only). */
  lowerDir: string;
  /** Local apt repo, bind-mounted read-only at /srv/labrepo. */
  repoDir: string;
  /** Per-host runtime dir: rw/ (tmpfs mount point), root/ (merged overlay), seed/, console.log. */
  runDir: string;
  cgroupDirs: string[];
}

/** A started host as recorded in the lab state. */
export interface HostProcess {
  /** The process the launcher became: systemd-nspawn (systemd flavor) or unshare (sysv flavor). */
  launcher: ProcessId;
  /** The process that ends the host when sent SIGTERM: systemd-nspawn, or the host's PID 1 (tini). */
  stopTarget: ProcessId;
}

/** A flavor: the namespace command (run before the inner script) and the inner script's end (exec init). */
export interface HostFlavor {
  /** argv prefix that enters the host's namespaces; the inner `sh -c` follows it. */
  namespaceCommand(netnsPath: string): string[];
  /** Shell run in the private mount namespace after the overlay is mounted and seeded; must exec the init. */
  boot: string;
  /** Whether the stop target is the launcher's child (a PID 1 of a new PID namespace) rather than the launcher. */
  stopTargetIsChild: boolean;
}

const OUTER = String.raw`set -eu
for cg in $LAB_CGROUPS; do echo $$ > "$cg/cgroup.procs"; done
exec "$@"
`;

const MOUNT_OVERLAY = String.raw`set -eu
echo "scaleup-lab: starting $NAME"
mount -t tmpfs -o mode=0755 "scaleup-lab-$NAME" "$RW"
mkdir "$RW/upper" "$RW/work"
mount -t overlay -o "lowerdir=$LOWER,upperdir=$RW/upper,workdir=$RW/work" "scaleup-lab-$NAME" "$ROOT"
`;

export async function launchHost(spec: HostLaunchSpec, flavor: HostFlavor): Promise<HostProcess> {
  const rw = join(spec.runDir, 'rw');
  const root = join(spec.runDir, 'root');
  await mkdir(rw, { recursive: true });
  await mkdir(root, { recursive: true });
  const log = openSync(join(spec.runDir, 'console.log'), 'a');
  let child;
  try {
    const inner = MOUNT_OVERLAY + INSTALL_SEED + flavor.boot;
    const argv = [...flavor.namespaceCommand(`/run/netns/${netnsName(spec.host)}`), '/bin/sh', '-c', inner];
    child = spawn('/bin/sh', ['-c', OUTER, 'launcher', ...argv], {
      detached: true,
      stdio: ['ignore', log, log],
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        LAB_CGROUPS: spec.cgroupDirs.join(' '),
        NAME: spec.host.name,
        NETNS: netnsName(spec.host),
        LOWER: spec.lowerDir,
        REPO: spec.repoDir,
        RW: rw,
        ROOT: root,
        SEED: join(spec.runDir, 'seed'),
        // nspawn would otherwise leave lock files in /run/systemd/nspawn when a host is killed.
        SYSTEMD_NSPAWN_LOCK: '0',
      },
    });
  } finally {
    closeSync(log);
  }
  child.unref();
  const pid = child.pid;
  const launcher = pid === undefined ? null : processId(pid);
  if (!launcher) throw new LabError(`${spec.host.name}: the host's launcher did not start`);
  if (!flavor.stopTargetIsChild) return { launcher, stopTarget: launcher };
  // The PID-namespace init is the launcher's only child; it appears once unshare has forked.
  for (let i = 0; i < 200; i++) {
    const [first] = childrenOf(launcher.pid);
    const init = first === undefined ? null : processId(first);
    if (init) return { launcher, stopTarget: init };
    if (!isRunning(launcher)) break;
    await sleep(10);
  }
  throw new LabError(`${spec.host.name}: the host did not start`, await consoleTail(spec.runDir));
}

/** The end of a host's console log (boot messages, launcher errors). */
export async function consoleTail(runDir: string, lines = 20): Promise<string> {
  const text = await readFile(join(runDir, 'console.log'), 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function hostRunning(p: HostProcess): boolean {
  return isRunning(p.launcher) && isRunning(p.stopTarget);
}

/**
 * Stops a host: SIGTERM to its stop target (only if it is still the process we started), a grace period,
 * then SIGKILL to whatever is left in the host's cgroups. Returns once no process of the host remains.
 */
export async function stopHost(name: string, p: HostProcess | undefined, graceMs: number): Promise<void> {
  if (p && isRunning(p.stopTarget)) {
    signal(p.stopTarget.pid, 'SIGTERM');
    await waitGone([p.stopTarget, p.launcher], graceMs);
  }
  await killCgroup(name);
}

/** SIGKILLs every process in a host's cgroups (all started by the lab) until they are empty. */
export async function killCgroup(name: string | undefined): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const pids = await labProcesses(name);
    if (pids.length === 0) return;
    for (const pid of pids) signal(pid, 'SIGKILL');
    await sleep(50);
  }
  throw new LabError(`processes of ${name ?? 'the lab'} survive SIGKILL: ${(await labProcesses(name)).join(' ')}`);
}
