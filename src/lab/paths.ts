// Where the lab keeps things. Three places with three lifetimes:
//   cache   (/var/cache/scaleup-lab, or $SCALEUP_LAB_CACHE): base rootfs, apt repo, host keys; survives reboots
//   run     (/run/scaleup-lab): state of the running lab (PIDs, per-host dirs); gone at reboot, like the lab
//   .lab/   (project root, gitignored): the lab SSH key, known_hosts, generated inventory for custom host sets
import { packageRoot as projectRoot } from '../package-root.ts';
import { join, resolve } from 'node:path';

export interface LabPaths {
  cache: string;
  run: string;
  stateFile: string;
  lockFile: string;
  projectRoot: string;
  labDir: string;
  sshKey: string;
  knownHosts: string;
  /** The committed inventory of the five default hosts. */
  inventory: string;
  /** The committed age identity that decrypts the lab's secrets (a public test key). */
  ageKey: string;
  /** Written by `lab up` for any other host set. */
  generatedInventory: string;
}

const PROJECT_ROOT = projectRoot;

export function labPaths(env: NodeJS.ProcessEnv = process.env): LabPaths {
  const cache = env.SCALEUP_LAB_CACHE ? resolve(env.SCALEUP_LAB_CACHE) : '/var/cache/scaleup-lab';
  const run = '/run/scaleup-lab';
  const labDir = join(PROJECT_ROOT, '.lab');
  return {
    cache,
    run,
    stateFile: join(run, 'state.json'),
    lockFile: '/run/scaleup-lab.lock',
    projectRoot: PROJECT_ROOT,
    labDir,
    sshKey: join(labDir, 'id_ed25519'),
    knownHosts: join(labDir, 'known_hosts'),
    inventory: join(PROJECT_ROOT, 'inventory', 'lab.yml'),
    ageKey: join(PROJECT_ROOT, 'inventory', 'lab.agekey'),
    generatedInventory: join(labDir, 'inventory.yml'),
  };
}

/** Per-host runtime directory: mount points for the host's tmpfs and merged root, its seed and its log. */
export function hostRunDir(paths: LabPaths, name: string): string {
  return join(paths.run, 'hosts', name);
}
