// The steps a role would run on a host, listed without connecting (`--list-tasks`). A role builds its
// steps from the host's variables and its facts; the facts need a connection, so the role is asked
// with assumed facts (a Debian 12 host under systemd), and the facts it reads are recorded. Each fact
// it read is then changed alone (systemd → sysv, …) and the role asked again: a step that comes and
// goes with a fact is marked as depending on it, and the steps only another value would bring are
// counted. A role that cannot build its steps without a connection (it throws) says so.
import type { Facts } from './facts/facts.ts';
import type { Host, Inventory } from './model.ts';
import type { Role } from './role.ts';
import { planRole, type RolePlanSettings } from './role-plan.ts';

/** What `--list-tasks` assumes a host's facts are: Debian 12 under systemd, its private address on eth0. */
export function assumedFacts(host: Host): Facts {
  return {
    osId: 'debian', osVersion: '12', osCodename: 'bookworm', initSystem: 'systemd', packageManager: 'apt',
    architecture: 'x86_64', hostname: host.name, interfaces: { eth0: [`${host.privateAddress}/24`] },
  };
}

/** Another value of each fact, to see which steps depend on it. */
function otherFacts(host: Host): Facts {
  return {
    osId: 'ubuntu', osVersion: '24.04', osCodename: 'noble', initSystem: 'sysv', packageManager: 'unknown',
    architecture: 'aarch64', hostname: `${host.name}-renamed`, interfaces: { ens3: [`${host.privateAddress}/24`] },
  };
}

export interface ListedStep {
  name: string;
  /** The role's name, then the step's own tags (as `--tags` matches them). */
  tags: string[];
  /** The facts whose value decides whether the step is there (or what it is called). */
  dependsOn: string[];
}

export interface ListedRole {
  role: string;
  steps: ListedStep[];
  handlers: string[];
  /** The facts the role read, with the value assumed. */
  factsRead: Partial<Facts>;
  /** Steps the role would add on a host whose facts differ from the assumed ones. */
  otherSteps: number;
  /** Why the role could not build its steps here (it needs something only a connection gives). */
  error?: string;
}

/** Facts that record which of them were read. */
function watchedFacts(facts: Facts, read: Set<keyof Facts>): Facts {
  return new Proxy(facts, {
    get(target, key, receiver) {
      if (typeof key === 'string' && key in target) read.add(key as keyof Facts);
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

/** The steps (after --tags and --skip-tags) and handlers of `role` on `host`, built with assumed facts. */
export function listRoleSteps(role: Role, host: Host, settings: Omit<RolePlanSettings, 'diff'>): ListedRole {
  const plan = { ...settings, diff: false };
  const assumed = assumedFacts(host);
  const read = new Set<keyof Facts>();
  let main;
  try {
    main = planRole(role, host, watchedFacts(assumed, read), plan);
  } catch (err) {
    return { role: role.name, steps: [], handlers: [], factsRead: {}, otherSteps: 0, error: err instanceof Error ? err.message : String(err) };
  }
  const names = main.steps.map((s) => s.name);
  const dependsOn = new Map<string, string[]>(names.map((n) => [n, []]));
  const others = new Set<string>();
  const other = otherFacts(host);
  for (const key of read) {
    let varied: string[];
    try {
      varied = planRole(role, host, { ...assumed, [key]: other[key] }, plan).steps.map((s) => s.name);
    } catch {
      // The role refuses that value (a system it does not support): no step to compare with.
      continue;
    }
    for (const n of names) if (!varied.includes(n)) dependsOn.get(n)!.push(key);
    for (const n of varied) if (!names.includes(n)) others.add(n);
  }
  return {
    role: role.name,
    steps: main.steps.map((s) => ({ name: s.name, tags: [role.name, ...(s.tags ?? [])], dependsOn: dependsOn.get(s.name)! })),
    handlers: Object.values(main.handlers).map((h) => h.name),
    factsRead: Object.fromEntries([...read].map((k) => [k, assumed[k]])) as Partial<Facts>,
    otherSteps: others.size,
  };
}

/** One play's listing: for each host, its roles' steps. */
export function listPlayTasks(inventory: Inventory, hosts: Host[], roles: Role[], settings: Omit<RolePlanSettings, 'diff' | 'inventory'>): Map<string, ListedRole[]> {
  return new Map(hosts.map((h) => [h.name, roles.map((r) => listRoleSteps(r, h, { ...settings, inventory }))]));
}
