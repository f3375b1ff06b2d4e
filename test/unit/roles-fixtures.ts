// Shared fixtures of the role tests: the lab inventory (five hosts, or seven with web-02/app-02),
// facts as the lab hosts report them, and a fake host that records what a step would write.
import type { Facts } from '../../src/core/facts/facts.ts';
import type { Host, Inventory, Vars } from '../../src/core/model.ts';
import type { Role, RoleContext } from '../../src/core/role.ts';
import { roleVars } from '../../src/core/role-plan.ts';
import { hostsInGroup } from '../../src/core/host-groups.ts';
import { atHome } from './builtin-roles.ts';
import { Secret } from '../../src/core/secret.ts';
import type { Handler, Remote, Step, StepContext } from '../../src/core/steps/step.ts';

export const secrets = {
  mysql_app_password: new Secret("app-pa$$'word\"`x`"),
  haproxy_stats_password: new Secret('stats-pw with spaces'),
};

const LAB: [string, string, string][] = [
  ['lb-01', '10.77.0.11', 'lb'],
  ['lb-02', '10.77.0.12', 'lb'],
  ['web-01', '10.77.0.21', 'web'],
  ['app-01', '10.77.0.31', 'app'],
  ['db-01', '10.77.0.41', 'db'],
];
const SCALED: [string, string, string][] = [
  ['web-02', '10.77.0.22', 'web'],
  ['app-02', '10.77.0.32', 'app'],
];

/** The lab inventory; `scaled` adds web-02 and app-02. `hostVars` overrides per host. */
export function labInventory(options: { scaled?: boolean; all?: Vars; hostVars?: Record<string, Vars> } = {}): Inventory {
  const rows = options.scaled ? [...LAB, ...SCALED] : LAB;
  const all: Vars = { vip: '10.77.0.100', ...secrets, ...options.all };
  const hosts = new Map<string, Host>();
  const groups = new Map<string, string[]>();
  for (const group of ['lb', 'web', 'app', 'db']) groups.set(group, []);
  // Groups in the order of the lab file; hosts in each group in inventory order.
  const ordered = [...rows].sort((a, b) => ['lb', 'web', 'app', 'db'].indexOf(a[2]) - ['lb', 'web', 'app', 'db'].indexOf(b[2]));
  for (const [name, address, group] of ordered) {
    hosts.set(name, {
      name, address, privateAddress: address, port: 22, user: 'root', become: false, groups: [group],
      vars: { ...all, ...options.hostVars?.[name] },
    });
    groups.get(group)!.push(name);
  }
  return { file: '/lab/inventory.yml', hosts, groups, knownHosts: '/lab/known_hosts' };
}

/** Facts as a lab host reports them: Debian 12, eth0 holding its address. */
export function labFacts(host: Host, initSystem: Facts['initSystem'] = 'systemd', osId = 'debian'): Facts {
  return {
    osId, osVersion: '12', osCodename: 'bookworm', initSystem, packageManager: 'apt', architecture: 'x86_64',
    hostname: host.name, interfaces: { eth0: [`${host.address}/24`] },
  };
}

export interface RoleOnHost {
  steps: Step[];
  handlers: Record<string, Handler>;
  ctx: StepContext;
}

/** What the engine builds for `role` on `hostName`: its steps, handlers and step context. */
export function roleOn<V extends Vars>(role: Role<V>, inventory: Inventory, hostName: string, options: { initSystem?: Facts['initSystem']; osId?: string; prepared?: unknown } = {}): RoleOnHost {
  const host = inventory.hosts.get(hostName);
  if (!host) throw new Error(`no host ${hostName}`);
  const facts = labFacts(host, options.initSystem, options.osId);
  const home = atHome(role as unknown as Role).home!;
  const hostsIn = hostsInGroup(inventory);
  const vars = roleVars(role as unknown as Role, host);
  const roleCtx: RoleContext = { host, facts, inventory, hostsIn, dir: home.dir, varsOf: (h) => h.vars, projectRoot: process.cwd(), prepared: options.prepared };
  return {
    steps: role.steps(vars as never, roleCtx),
    handlers: role.handlers?.(vars as never, roleCtx) ?? {},
    ctx: { host, facts, vars, hostsIn, diff: false, role: { name: role.name, home } },
  };
}

export interface Recorded {
  command: string;
  stdin?: string;
}

/** A host that accepts every command and records it (with its stdin). */
export function recordingRemote(): Remote & { calls: Recorded[] } {
  const calls: Recorded[] = [];
  const exec = async (command: string, options?: { stdin?: string | Buffer }) => {
    calls.push({ command, stdin: options?.stdin?.toString() });
    return { stdout: '', stderr: '', exitCode: 0 };
  };
  return { calls, exec, run: exec };
}

export function stepNamed(run: RoleOnHost, name: string): Step {
  const step = run.steps.find((s) => s.name === name);
  if (!step) throw new Error(`no step '${name}'; steps are:\n${run.steps.map((s) => s.name).join('\n')}`);
  return step;
}

/** The file a file/template step writes on a host that does not have it yet, and the write script. */
export async function written(run: RoleOnHost, dest: string): Promise<{ content: string; script: string }> {
  const step = run.steps.find((s) => s.name === `template ${dest}` || s.name === `file ${dest}`);
  if (!step) throw new Error(`no file step for ${dest}; steps are:\n${run.steps.map((s) => s.name).join('\n')}`);
  const changes = await step.decide({ stdout: 'exists=0\n', exitCode: 0 }, run.ctx);
  const remote = recordingRemote();
  await step.apply(remote, changes, run.ctx);
  const call = remote.calls.at(-1)!;
  return { content: call.stdin ?? '', script: call.command };
}
