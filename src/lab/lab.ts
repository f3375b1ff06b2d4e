// The lab commands as lists of steps. The CLI shows them (listr2); this module never prints.
import { labAcmeServerSpec, startAcmeServer } from './acme-server.ts';
import { labHost, type LabHost } from './addresses.ts';
import { ensureAptRepo } from './apt-repo.ts';
import { LabError } from './errors.ts';
import { type HostProcess } from './host-launch.ts';
import {
  hostContextFromState,
  readLabPublicKey,
  startHost,
  stopAndRenewHost,
  waitForHost,
  type HostContext,
} from './host.ts';
import { labInventory } from './inventory.ts';
import { raiseKernelLimits } from './kernel-limits.ts';
import { ensureHostKey, ensureLabKey, protectLabAgeKey, writeKnownHosts } from './keys.ts';
import { createHostNetwork, ensureBridge } from './network.ts';
import type { LabPaths } from './paths.ts';
import { ensurePrerequisites } from './prereqs.ts';
import type { InitFlavor } from './recipe.ts';
import { ensureBaseRootfs } from './rootfs.ts';
import { readState, writeState, type LabState } from './state.ts';
import { teardownLab } from './teardown.ts';

export interface StepReport {
  /** A short note shown beside the step's title ("cached", "built in 31 s"). */
  note(text: string): void;
}

export interface LabStep {
  title: string;
  run?: (report: StepReport) => Promise<void>;
  /** Sub-steps run at the same time (one per host). */
  concurrent?: () => LabStep[];
}

export interface UpOptions {
  hosts: LabHost[];
  init: InitFlavor;
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** SSH deadline: boots share two cores, so allow more time the more hosts start together. */
export function sshTimeoutMs(hostCount: number): number {
  return 60_000 + hostCount * 3_000;
}

/**
 * Saves the state after each change, one write at a time (hosts start concurrently).
 */
function stateSaver(paths: LabPaths, state: LabState): () => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  return () => (chain = chain.then(() => writeState(paths, state)));
}

export function upSteps(paths: LabPaths, opts: UpOptions): LabStep[] {
  const { hosts, init } = opts;
  let lowerDir = '';
  let repoDir = '';
  let ctx: HostContext | undefined;
  let state: LabState | undefined;
  let save: () => Promise<void> = async () => undefined;
  const procs = new Map<string, HostProcess>();

  return [
    {
      title: 'Prerequisites',
      run: async (r) => {
        const installed = await ensurePrerequisites();
        r.note(installed.length ? `installed ${installed.join(', ')}` : 'present');
      },
    },
    {
      title: 'Tear down any leftover lab',
      run: async (r) => {
        const t0 = Date.now();
        const done = await teardownLab(paths);
        r.note(done.found ? `removed ${done.hosts} host(s) in ${seconds(t0)}` : 'none');
      },
    },
    {
      title: `Base rootfs (${init})`,
      run: async (r) => {
        const t0 = Date.now();
        const res = await ensureBaseRootfs(paths, init);
        lowerDir = res.dir;
        r.note(res.built ? `built in ${seconds(t0)}` : 'cached');
      },
    },
    {
      title: 'Local apt repository',
      run: async (r) => {
        const t0 = Date.now();
        const res = await ensureAptRepo(paths, init, lowerDir);
        repoDir = res.dir;
        r.note(res.built ? `built in ${seconds(t0)}` : 'cached');
      },
    },
    {
      title: 'SSH keys and known_hosts',
      run: async () => {
        const labPublicKey = await ensureLabKey(paths);
        await protectLabAgeKey(paths);
        const keys = await Promise.all(hosts.map((h) => ensureHostKey(paths, h.name)));
        await writeKnownHosts(
          paths,
          hosts.map((h, i) => ({ address: h.address, publicKey: keys[i]!.publicKey })),
        );
        ctx = { paths, init, lowerDir, repoDir, allHosts: hosts, labPublicKey };
      },
    },
    {
      title: 'Network',
      run: async (r) => {
        state = {
          version: 1,
          init,
          startedAt: new Date().toISOString(),
          lowerDir,
          repoDir,
          sshKey: paths.sshKey,
          knownHosts: paths.knownHosts,
          inventory: await labInventory(paths, hosts),
          hosts: hosts.map((h) => ({ name: h.name, address: h.address })),
        };
        save = stateSaver(paths, state);
        await save();
        const raised = await raiseKernelLimits(paths, hosts.length);
        await ensureBridge();
        for (const h of hosts) await createHostNetwork(h);
        r.note(`${hosts.length} namespace(s) on the bridge${raised.length ? `; raised ${raised.join(', ')}` : ''}`);
      },
    },
    {
      // On the bridge address, so it needs the bridge; before the hosts, so a run can issue at once.
      title: 'ACME server (pebble)',
      run: async (r) => {
        state!.acme = await startAcmeServer(labAcmeServerSpec(paths));
        await save();
        r.note(state!.acme.directoryUrl);
      },
    },
    {
      title: 'Start hosts',
      concurrent: () =>
        hosts.map((h) => ({
          title: `${h.name} ${h.address}`,
          run: async () => {
            const proc = await startHost(ctx!, h);
            procs.set(h.name, proc);
            state!.hosts.find((s) => s.name === h.name)!.process = proc;
            await save();
          },
        })),
    },
    {
      title: 'Wait for SSH',
      concurrent: () =>
        hosts.map((h) => ({
          title: `${h.name} ${h.address}`,
          run: async (r) => {
            const t0 = Date.now();
            await waitForHost(ctx!, h, procs.get(h.name)!, sshTimeoutMs(hosts.length));
            r.note(seconds(t0));
          },
        })),
    },
  ];
}

export function downSteps(paths: LabPaths): LabStep[] {
  return [
    {
      title: 'Tear down the lab',
      run: async (r) => {
        const t0 = Date.now();
        const done = await teardownLab(paths);
        r.note(done.found ? `${done.hosts} host(s) removed in ${seconds(t0)}` : 'no lab was running');
      },
    },
  ];
}

/** Pristine rootfs (and network namespace) for the named hosts; same addresses and host keys. */
export async function resetSteps(paths: LabPaths, names: string[]): Promise<LabStep[]> {
  const state = await readState(paths);
  if (!state) throw new LabError('no lab is running (start one with `provision lab up`)');
  const known = new Set(state.hosts.map((h) => h.name));
  const targets = names.map(labHost);
  const unknown = targets.filter((h) => !known.has(h.name)).map((h) => h.name);
  if (unknown.length) {
    throw new LabError(`not in the running lab: ${unknown.join(', ')} (it has ${[...known].join(', ')})`);
  }
  const ctx = hostContextFromState(paths, state, await readLabPublicKey(state.sshKey));
  const save = stateSaver(paths, state);
  return [
    {
      title: 'Reset hosts',
      concurrent: () =>
        targets.map((h) => ({
          title: `${h.name} ${h.address}`,
          run: async (r) => {
            const t0 = Date.now();
            const entry = state.hosts.find((s) => s.name === h.name)!;
            await stopAndRenewHost(h, entry.process);
            delete entry.process;
            await save();
            const proc = await startHost(ctx, h);
            entry.process = proc;
            await save();
            await waitForHost(ctx, h, proc, sshTimeoutMs(targets.length));
            r.note(seconds(t0));
          },
        })),
    },
  ];
}
