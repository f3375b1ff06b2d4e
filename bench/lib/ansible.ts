// The Ansible side of the comparison: an inventory written from the running lab, the two
// configurations, the PLAY RECAP parsed back, and the SSH ControlPersist masters Ansible leaves
// behind stopped again (only those in this benchmark's own control-path directories).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface LabHostRow {
  name: string;
  address: string;
}

export interface AnsibleVariant {
  /** Short id, used in file names: `default` or `fast`. */
  id: string;
  label: string;
  /** The ansible.cfg it runs with (ANSIBLE_CONFIG). */
  config: string;
}

export const ANSIBLE_DIR = path.resolve(import.meta.dirname, '..', 'ansible');

export const VARIANTS: AnsibleVariant[] = [
  { id: 'default', label: 'Ansible, default config', config: path.join(ANSIBLE_DIR, 'ansible-default.cfg') },
  { id: 'fast', label: 'Ansible, pipelining + ControlPersist', config: path.join(ANSIBLE_DIR, 'ansible-fast.cfg') },
];

/** INI inventory of the lab hosts, grouped by their tier prefix, with the lab's key and known_hosts. */
export function writeAnsibleInventory(file: string, hosts: LabHostRow[], sshKey: string, knownHosts: string): void {
  const groups = new Map<string, LabHostRow[]>();
  for (const h of hosts) {
    const group = h.name.replace(/-\d+$/, '');
    groups.set(group, [...(groups.get(group) ?? []), h]);
  }
  const lines = ['# Written by bench/run.ts from `provision lab status --json`.'];
  for (const [group, members] of groups) {
    lines.push(`[${group}]`, ...members.map((h) => `${h.name} ansible_host=${h.address}`), '');
  }
  lines.push(
    '[all:vars]',
    'ansible_user=deploy',
    `ansible_ssh_private_key_file=${sshKey}`,
    // Appended to ssh_args (the config's), so the default config keeps Ansible's default ssh_args.
    `ansible_ssh_common_args=-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes`,
    '',
  );
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, lines.join('\n'));
}

export interface Recap {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
  hosts: number;
}

/** Sums the PLAY RECAP lines (`web-01 : ok=17 changed=0 unreachable=0 failed=0 …`) of a log. */
export function parseRecap(log: string): Recap {
  const text = readFileSync(log, 'utf8');
  const recap = text.slice(text.lastIndexOf('PLAY RECAP'));
  const sum: Recap = { ok: 0, changed: 0, failed: 0, unreachable: 0, hosts: 0 };
  for (const m of recap.matchAll(/^\S+\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    sum.hosts++;
    sum.ok += Number(m[1]);
    sum.changed += Number(m[2]);
    sum.unreachable += Number(m[3]);
    sum.failed += Number(m[4]);
  }
  return sum;
}

/** Environment of an ansible-playbook run of `variant`, its masters in `controlDir`. */
export function ansibleEnv(variant: AnsibleVariant, controlDir: string): NodeJS.ProcessEnv {
  mkdirSync(controlDir, { recursive: true });
  return {
    ...process.env,
    ANSIBLE_CONFIG: variant.config,
    // Where the ControlPersist sockets go (only the place: the default config keeps Ansible's default
    // ssh_args, ControlPersist=60s included), so that this benchmark can stop exactly its own masters.
    ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
  };
}

/** Stops the ControlPersist masters whose sockets are in `controlDir` (`ssh -O exit`). */
export function stopControlMasters(controlDir: string): number {
  if (!existsSync(controlDir)) return 0;
  let stopped = 0;
  for (const name of readdirSync(controlDir)) {
    const socket = path.join(controlDir, name);
    try {
      execFileSync('ssh', ['-o', `ControlPath=${socket}`, '-O', 'exit', 'bench-master'], { stdio: 'ignore', timeout: 10_000 });
      stopped++;
    } catch {
      // Already gone: its host was reset, or it timed out by itself.
    }
    rmSync(socket, { force: true });
  }
  return stopped;
}

export function ansibleVersion(): string {
  try {
    return execFileSync('ansible', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return 'not installed';
  }
}
