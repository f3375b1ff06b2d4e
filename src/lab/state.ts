// The running lab's state, in /run/scaleup-lab/state.json (so it disappears at reboot, like the lab).
// Written before anything is started and after every host starts, so a crash mid-way leaves enough to
// clean up; teardown also finds leftovers by name and cgroup when the file is gone.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { AcmeServerRecord } from './acme-server.ts';
import type { HostProcess } from './host-launch.ts';
import type { LabPaths } from './paths.ts';
import type { InitFlavor } from './recipe.ts';

export interface HostState {
  name: string;
  address: string;
  /** Absent until the host's process tree has been started. */
  process?: HostProcess;
}

export interface LabState {
  version: 1;
  init: InitFlavor;
  startedAt: string;
  lowerDir: string;
  repoDir: string;
  /** Paths in the checkout that brought the lab up. */
  sshKey: string;
  knownHosts: string;
  inventory: string;
  hosts: HostState[];
  /** The lab's ACME server (pebble), once started. */
  acme?: AcmeServerRecord;
}

export async function readState(paths: LabPaths): Promise<LabState | null> {
  try {
    const state = JSON.parse(await readFile(paths.stateFile, 'utf8')) as LabState;
    return state.version === 1 && Array.isArray(state.hosts) ? state : null;
  } catch {
    return null;
  }
}

export async function writeState(paths: LabPaths, state: LabState): Promise<void> {
  await mkdir(paths.run, { recursive: true, mode: 0o755 });
  const tmp = `${paths.stateFile}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, paths.stateFile);
}

export async function removeState(paths: LabPaths): Promise<void> {
  await rm(paths.stateFile, { force: true });
}
