// What a role is on one host: its variables merged, the steps it asks for (narrowed by --tags), its
// handlers, and the context those steps decide in.
import type { Facts } from './facts/facts.ts';
import type { Host, Inventory, Vars } from './model.ts';
import type { Role, RoleContext } from './role.ts';
import type { Handler, Step, StepContext } from './steps/step.ts';

export interface RolePlan {
  steps: Step[];
  handlers: Record<string, Handler>;
  ctx: StepContext;
}

/** What every role plan of a run shares. */
export interface RolePlanSettings {
  inventory: Inventory;
  hostsIn: (group: string) => Host[];
  /** --tags: only the steps carrying one of them, or every step of a role named by one. */
  tags?: string[];
  diff: boolean;
}

/** Role defaults < the host's merged inventory variables. */
export function roleVars(role: Role, host: Host): Vars {
  return { ...role.defaults, ...host.vars };
}

/** A host's own merged inventory variables, as other hosts' roles read them. */
const hostVars = (host: Host): Vars => host.vars;

/** Whether --tags keeps `step` of `role` (no tags keeps every step; the role's name is a tag of each). */
function taggedIn(tags: string[] | undefined, role: Role, step: Step): boolean {
  if (!tags?.length) return true;
  return tags.some((tag) => tag === role.name || step.tags?.includes(tag));
}

export function planRole(role: Role, host: Host, facts: Facts, settings: RolePlanSettings): RolePlan {
  const vars = roleVars(role, host);
  const roleCtx: RoleContext = {
    host, facts, inventory: settings.inventory, hostsIn: settings.hostsIn, dir: role.home?.dir ?? '', varsOf: hostVars,
  };
  return {
    steps: role.steps(vars as never, roleCtx).filter((s) => taggedIn(settings.tags, role, s)),
    handlers: role.handlers?.(vars as never, roleCtx) ?? {},
    ctx: { host, facts, vars, hostsIn: settings.hostsIn, diff: settings.diff, role: { name: role.name, home: role.home } },
  };
}
