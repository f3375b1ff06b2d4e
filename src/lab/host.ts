// Starting one lab host from its parts: seed files, cgroups, launcher of the chosen flavor. Shared by
// `lab up` and `lab reset`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labHost, type LabHost } from './addresses.ts';
import { createHostCgroups, removeCgroups } from './cgroups.ts';
import { consoleTail, hostRunning, launchHost, stopHost, type HostFlavor, type HostProcess } from './host-launch.ts';
import { systemdFlavor } from './host-systemd.ts';
import { sysvFlavor } from './host-sysv.ts';
import { ensureHostKey } from './keys.ts';
import { createHostNetwork } from './network.ts';
import { hostRunDir, type LabPaths } from './paths.ts';
import type { InitFlavor } from './recipe.ts';
import { writeSeed } from './seed.ts';
import { waitForSsh } from './ssh-ready.ts';
import type { LabState } from './state.ts';

export const FLAVORS: Record<InitFlavor, HostFlavor> = { systemd: systemdFlavor, sysv: sysvFlavor };

/** Grace period for a host to power off on SIGTERM before its cgroup is SIGKILLed. */
export const STOP_GRACE_MS = 15_000;

/** What every host of one lab shares. */
export interface HostContext {
  paths: LabPaths;
  init: InitFlavor;
  lowerDir: string;
  repoDir: string;
  allHosts: LabHost[];
  labPublicKey: string;
}

export function hostContextFromState(paths: LabPaths, state: LabState, labPublicKey: string): HostContext {
  return {
    paths,
    init: state.init,
    lowerDir: state.lowerDir,
    repoDir: state.repoDir,
    allHosts: state.hosts.map((h) => labHost(h.name)),
    labPublicKey,
  };
}

export async function readLabPublicKey(sshKey: string): Promise<string> {
  return (await readFile(`${sshKey}.pub`, 'utf8')).trim();
}

/** Writes the host's seed, puts it in its own cgroups and launches it (its network must exist). */
export async function startHost(ctx: HostContext, host: LabHost): Promise<HostProcess> {
  const runDir = hostRunDir(ctx.paths, host.name);
  await writeSeed(join(runDir, 'seed'), {
    host,
    allHosts: ctx.allHosts,
    hostKey: await ensureHostKey(ctx.paths, host.name),
    labPublicKey: ctx.labPublicKey,
  });
  const cgroupDirs = await createHostCgroups(host.name);
  return launchHost(
    { host, init: ctx.init, lowerDir: ctx.lowerDir, repoDir: ctx.repoDir, runDir, cgroupDirs },
    FLAVORS[ctx.init],
  );
}

/** Waits until the host answers SSH; fails early with its console if it dies while booting. */
export async function waitForHost(ctx: HostContext, host: LabHost, proc: HostProcess, timeoutMs: number) {
  await waitForSsh(ctx.paths, host.address, {
    timeoutMs,
    alive: () => hostRunning(proc),
    describeDeath: () => consoleTail(hostRunDir(ctx.paths, host.name)),
  });
}

/** Stops a host and gives it a fresh network namespace: what a reset starts from. */
export async function stopAndRenewHost(host: LabHost, proc: HostProcess | undefined): Promise<void> {
  await stopHost(host.name, proc, STOP_GRACE_MS);
  await removeCgroups(host.name);
  await createHostNetwork(host);
}
