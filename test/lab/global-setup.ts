// Brings the five-host lab up once for all lab suites (after a `lab down`, so a crashed run never leaks
// into this one) and down at the end, then checks that nothing is left behind.
// SCALEUP_LAB_KEEP=1: reuse a running lab and leave it up (for developers iterating on lab suites).
// SCALEUP_LAB_INIT=sysv: run the suites against the sysv flavor (default systemd).
// Needs root (network namespaces, mounts).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
/** The CLI entry the lab suites drive (override to test another build of it). */
const PROVISION = process.env.SCALEUP_PROVISION_BIN ?? join(PROJECT_ROOT, 'bin/provision.js');
const keep = process.env.SCALEUP_LAB_KEEP === '1';
export const LAB_SUITE_HOSTS = 'lb-01,lb-02,web-01,web-02,app-01,app-02,db-01,db-02';

/** Runs `provision ARGS…`; `show` streams its output (progress of a cold build takes a minute). */
export function provision(args: string[], show = false): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [PROVISION, ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    stdio: show ? ['ignore', 'inherit', 'inherit'] : 'pipe',
    env: { ...process.env, CI: 'true' },
    timeout: 900_000,
  });
}

function mustProvision(args: string[]): void {
  const res = provision(args, true);
  if (res.status !== 0) throw new Error(`provision ${args.join(' ')} failed (exit ${res.status})`);
}

/** What a lab could leave on the machine; empty when it is fully gone. */
export function labLeftovers(): string[] {
  const left: string[] = [];
  const netns = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('lab-')) : [];
  if (netns.length) left.push(`network namespaces: ${netns.join(' ')}`);
  const links = readdirSync('/sys/class/net').filter((n) => n === 'scaleup-br0' || /^slab\d+$/.test(n));
  if (links.length) left.push(`links: ${links.join(' ')}`);
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((l) => l.includes('scaleup-lab') || l.includes('/run/netns/lab-'));
  if (mounts.length) left.push(`mounts: ${mounts.join('; ')}`);
  const cgroups = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified', '/sys/fs/cgroup']
    .map((r) => join(r, 'scaleup-lab'))
    .filter(existsSync);
  if (cgroups.length) left.push(`cgroups: ${cgroups.join(' ')}`);
  const procs = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        // A host, or the lab's ACME server (pebble's config, challtestsrv's DNS on the bridge address).
        return cmdline.includes('--machine=lab-') || cmdline.includes('/run/scaleup-lab/acme/') || cmdline.includes('10.77.0.1:8053');
      } catch {
        return false;
      }
    });
  if (procs.length) left.push(`processes: ${procs.join(' ')}`);
  if (existsSync('/run/scaleup-lab')) left.push('runtime dir: /run/scaleup-lab');
  return left;
}

export function setup(): void {
  if (process.getuid?.() !== 0) throw new Error('the lab suites need root: run `sudo npx vitest run --project lab`');
  // The suites decrypt the lab secrets with the committed identity, which scaleup refuses unless it is
  // private; git keeps no modes (`lab up` does the same, but a kept lab may skip it).
  chmodSync(join(PROJECT_ROOT, 'inventory', 'lab.agekey'), 0o600);
  if (keep && provision(['lab', 'status']).status === 0) return;
  mustProvision(['lab', 'down']);
  // The five stack hosts plus a second web, app and db host, for the scale-out, fault and replica suites.
  mustProvision(['lab', 'up', '--init', process.env.SCALEUP_LAB_INIT ?? 'systemd', '--hosts', LAB_SUITE_HOSTS]);
  // Every suite starts from the five-host stack of inventory/lab.yml, converged.
  mustProvision(['apply', '-i', 'inventory/lab.yml', '--yes']);
}

export function teardown(): void {
  if (keep) return;
  mustProvision(['lab', 'down']);
  const left = labLeftovers();
  if (left.length) throw new Error(`lab down left things behind:\n  ${left.join('\n  ')}`);
}
