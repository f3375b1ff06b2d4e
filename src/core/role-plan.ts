// What a role is on one host: its variables merged, the steps it asks for (narrowed by --tags), its
// handlers, and the context those steps decide in.
import { StepError } from './errors.ts';
import type { Facts } from './facts/facts.ts';
import type { Host, Inventory, Vars } from './model.ts';
import type { Role, RoleContext } from './role.ts';
import type { Handler, Step, StepContext } from './steps/step.ts';
import type { PreparedRoles } from './role-preparation.ts';

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
  /** --skip-tags: not the steps carrying one of them (nor any step of a role named by one). */
  skipTags?: string[];
  diff: boolean;
  /** The project's root on the control node (roles resolve a person's relative paths from it). */
  projectRoot?: string;
  /** What the roles' `prepare` made before connecting (absent when steps are only listed). */
  prepared?: PreparedRoles;
}

/** Role defaults < the host's merged inventory variables. */
export function roleVars(role: Role, host: Host): Vars {
  return { ...role.defaults, ...host.vars };
}

/** A host's own merged inventory variables, as other hosts' roles read them. */
const hostVars = (host: Host): Vars => host.vars;

/** The tags of a step: its own and its role's name. A tag the role does not declare is refused. */
function tagsOf(role: Role, step: Step): string[] {
  for (const tag of step.tags ?? []) {
    if (!(role.tags ?? []).includes(tag)) {
      throw new StepError(`role ${role.name}: step '${step.name}' has the tag '${tag}', which the role does not declare in its tags`);
    }
  }
  return [role.name, ...(step.tags ?? [])];
}

/** Whether --tags and --skip-tags keep `step` of `role` (no --tags keeps every step). */
function taggedIn(settings: RolePlanSettings, role: Role, step: Step): boolean {
  const tags = tagsOf(role, step);
  if (settings.skipTags?.some((t) => tags.includes(t))) return false;
  return !settings.tags?.length || settings.tags.some((t) => tags.includes(t));
}

export function planRole(role: Role, host: Host, facts: Facts, settings: RolePlanSettings): RolePlan {
  const vars = roleVars(role, host);
  const roleCtx: RoleContext = {
    host, facts, inventory: settings.inventory, hostsIn: settings.hostsIn, dir: role.home?.dir ?? '', varsOf: hostVars,
    projectRoot: settings.projectRoot ?? process.cwd(),
    prepared: settings.prepared?.preparedFor(role.name, host.name),
  };
  return {
    steps: role.steps(vars as never, roleCtx).filter((s) => taggedIn(settings, role, s)),
    handlers: role.handlers?.(vars as never, roleCtx) ?? {},
    ctx: { host, facts, vars, hostsIn: settings.hostsIn, diff: settings.diff, role: { name: role.name, home: role.home } },
  };
}
