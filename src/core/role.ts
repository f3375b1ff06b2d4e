// A role: its variables (declared once, as a zod object), the steps that converge a host, and the
// handlers those steps notify.
import type * as z from 'zod';
import type { Facts } from './facts/facts.ts';
import type { Host, Inventory, Vars } from './model.ts';
import { secretVariables, variableDefaults, type VariablesSchema } from './role-variables.ts';
import type { Handler, Step } from './steps/step.ts';

/** What a role sees besides its variables: the host, its facts, and the inventory (read-only). */
export interface RoleContext {
  host: Host;
  facts: Facts;
  inventory: Inventory;
  /** Hosts of a group in inventory order, [] for an unknown group (e.g. nginx's app upstream). */
  hostsIn(group: string): Host[];
  /** The role's own folder on the control node (its `files/` and `templates/` are below it). */
  dir: string;
  /**
   * Another host's variables (Ansible's `hostvars`): what the inventory sets for it, merged. A value
   * that belongs to another host — the port its service listens on — is read here, never from one's own.
   */
  varsOf(host: Host): Vars;
  /**
   * The project's root on the control node (the folder of scaleup.yml): where a role resolves the
   * paths a person writes relative to their project.
   */
  projectRoot: string;
  /**
   * What the role's `prepare` made for this host's variables, before any host was contacted
   * (absent when the role has no `prepare`, or when steps are only listed, e.g. `--list-tasks`).
   */
  prepared?: unknown;
}

/** What a role's `validate` sees besides the inventory: where the project lives on the control node. */
export interface ValidateContext {
  /** The project's root (the folder of scaleup.yml): where paths a person writes are resolved from. */
  projectRoot: string;
}

/**
 * A problem with the value one host gives one variable (a certificate file that does not match its
 * key): located at the line that sets the variable for that host.
 */
export interface VariableFault {
  host: string;
  variable: string;
  problem: string;
}

/** What a role's preparation sees: where the role and the project live on the control node. */
export interface PrepareContext {
  /** The role's own folder on the control node. */
  dir: string;
  /** The project's root (the folder of scaleup.yml). */
  projectRoot: string;
}

/**
 * Work done once on the control node before any host is contacted (building an artifact). `key`
 * names its inputs: hosts whose preparation has the same key share one run of `run`.
 */
export interface Preparation {
  key: string;
  run(): Promise<unknown>;
}

/**
 * Where a role lives on the control node, set by the role source that loaded it: the role's folder,
 * and the folders its templates are looked up in, first match wins (a project's
 * `templates/<role>/` before the role's own `templates/`).
 */
export interface RoleHome {
  dir: string;
  templateDirs: string[];
}

/**
 * Where a service of a role logs, for `provision logs`: the systemd unit whose journal holds its
 * messages, and the files it writes on hosts without systemd (read with `tail` there).
 */
export interface LogSource {
  /** The unit, as `journalctl -u` takes it: `nginx` or `nginx.service`. */
  unit: string;
  /** Absolute paths read on hosts without a journal; a file missing on the host is skipped. */
  files?: string[];
}

export interface Role<V extends Vars = Vars> {
  name: string;
  /** One line shown in `--help`, the wizard and docs. */
  description: string;
  /**
   * Every variable the role reads, declared once: a zod object whose fields have `.default()`,
   * `.describe()` and, for a secret, `.meta({ secret: true })`. Inventory values are checked against
   * it before any connection; `defaults`, `secrets` and the README table are derived from it.
   * Optional: a role may give plain `defaults` instead (checked by the type of each default).
   */
  variables?: VariablesSchema;
  /** Every variable the role reads, with its default. Inventory vars override these. */
  defaults: V;
  /** Variables the role cannot run without (typically secrets); checked before any connection. */
  required?: (keyof V & string)[];
  /**
   * Variables whose value is a secret. A secret usually arrives as a Secret from the vault, which
   * masks itself; declared here, it is masked in every output even when someone put it in the
   * inventory as plain text (which the CLI warns about), and whatever role default it falls back to.
   */
  secrets?: (keyof V & string)[];
  /** The steps for one host, in order. `vars` = defaults < all < group < host. */
  steps(vars: V, ctx: RoleContext): Step[];
  /**
   * Optional work on the control node before the run connects to any host (Capistrano's build
   * stage): asked for each host the role targets, run once per distinct `key`; what `run` resolves
   * with reaches the host's steps as `ctx.prepared`. A failure stops the run before any host is touched.
   */
  prepare?(vars: V, ctx: PrepareContext): Preparation | undefined;
  /** Handlers by name, e.g. `reload nginx`; steps notify them by that name. */
  handlers?(vars: V, ctx: RoleContext): Record<string, Handler>;
  /**
   * Invariants over the whole inventory, checked before any connection (e.g. the lb pair must
   * have distinct keepalived priorities). Returns problems as messages naming the field, or as a
   * `VariableFault` when one host's value of one variable is at fault: the error then points at the
   * inventory line that sets it.
   */
  validate?(inventory: Inventory, hosts: Host[], ctx: ValidateContext): (string | VariableFault)[];
  /**
   * The tags its steps may carry besides the role's own name (always a tag of each of its steps):
   * `--tags` and `--skip-tags` are checked against them before connecting, and a step carrying a tag
   * not listed here is refused.
   */
  tags?: string[];
  /**
   * The services the role runs and where they log (`provision logs GROUP` shows them); the names may
   * depend on the variables (the app's unit is its `app_name`) and the facts (MariaDB or MySQL).
   */
  logs?(vars: V, ctx: { facts: Facts }): LogSource[];
  /** Set by the role source that loaded the role; a role never sets it itself. */
  readonly home?: RoleHome;
}

/** The variables a schema declares, as a role's steps see them. */
export type VarsOf<S extends VariablesSchema> = Extract<z.output<S>, Vars>;

/** A role written with `variables`: `defaults` (and, unless given, `secrets`) come from the schema. */
export type RoleDeclaration<S extends VariablesSchema> = Omit<Role<VarsOf<S>>, 'variables' | 'defaults' | 'home'> & {
  variables: S;
};

/**
 * Checks a role's shape and keeps its variable type: inferred from `variables` when the role declares
 * them, else given (`defineRole<MyVars>({ defaults: … })`).
 */
export function defineRole<S extends VariablesSchema>(role: RoleDeclaration<S>): Role<VarsOf<S>>;
export function defineRole<V extends Vars>(role: Role<V>): Role<V>;
export function defineRole(role: Role | RoleDeclaration<VariablesSchema>): Role {
  if (!role.variables) return role as Role;
  return {
    ...role,
    defaults: variableDefaults(role.name, role.variables),
    secrets: role.secrets ?? secretVariables(role.variables),
  };
}
