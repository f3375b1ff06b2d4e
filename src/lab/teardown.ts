// Removing a lab: every process, cgroup, mount, namespace, veth and the bridge it created. Driven by the
// state file when there is one, and by what is found on the machine (lab cgroups, `lab-*` namespaces,
// `slab*` veths, mounts under /run/scaleup-lab) so it also cleans up after a crash. Safe to run twice.
import { readdir, rmdir } from 'node:fs/promises';
import { labAcmeServerSpec, stopAcmeServer } from './acme-server.ts';
import { join } from 'node:path';
import { labCgroupHosts, removeCgroups } from './cgroups.ts';
import { restoreKernelLimits } from './kernel-limits.ts';
import { killCgroup } from './host-launch.ts';
import { STOP_GRACE_MS } from './host.ts';
import { labNetnsNames, labVethNames, removeLabNetwork, bridgeExists } from './network.ts';
import { removeTree } from './fs-util.ts';
import type { LabPaths } from './paths.ts';
import { isRunning, signal, waitGone } from './processes.ts';
import { readState, removeState } from './state.ts';

export interface TeardownSummary {
  /** Hosts found (from the state file, cgroups or namespaces). */
  hosts: number;
  /** Whether anything at all was found. */
  found: boolean;
}

export async function teardownLab(paths: LabPaths): Promise<TeardownSummary> {
  const state = await readState(paths);
  const names = new Set<string>([
    ...(state?.hosts.map((h) => h.name) ?? []),
    ...(await labCgroupHosts()),
    ...(await labNetnsNames()).map((ns) => ns.slice('lab-'.length)),
  ]);
  const found =
    names.size > 0 || state !== null || (await bridgeExists()) || (await labVethNames()).length > 0;

  // Polite first: SIGTERM to every host we started (only if the PID is still that process), all at once.
  const procs = (state?.hosts ?? []).flatMap((h) => (h.process ? [h.process] : []));
  const stopping = procs.filter((p) => isRunning(p.stopTarget));
  for (const p of stopping) signal(p.stopTarget.pid, 'SIGTERM');
  await waitGone(stopping.flatMap((p) => [p.stopTarget, p.launcher]), STOP_GRACE_MS);
  // Then whatever remains in the lab's cgroups, which only the lab's launchers ever joined.
  await killCgroup(undefined);
  await removeCgroups();

  // The ACME server: exactly the two processes the state recorded (pebble, challtestsrv), then its files.
  await stopAcmeServer(state?.acme, labAcmeServerSpec(paths).dir);

  await removeLabNetwork();
  await removeNspawnLeftovers([...names]);
  await restoreKernelLimits(paths);
  await removeState(paths);
  await removeTree(paths.run);
  return { hosts: names.size, found };
}

/** systemd-nspawn keeps a per-machine directory under /run/systemd/nspawn; a killed one leaves it. */
async function removeNspawnLeftovers(names: string[]): Promise<void> {
  const base = '/run/systemd/nspawn';
  for (const sub of await readdir(base).catch(() => [] as string[])) {
    for (const name of names) await removeTree(join(base, sub, `lab-${name}`));
    await rmdir(join(base, sub)).catch(() => undefined); // only if now empty
  }
  await rmdir(base).catch(() => undefined);
}
