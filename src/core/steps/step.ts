// The contract every step kind fulfils (after pyinfra's operations and Ansible's module contract).
//
// A step is checked in two halves so that all the checks of a role on a host travel in ONE exec:
//   probe   — a read-only shell snippet; the engine batches the probes of many steps into one script;
//   decide  — a pure function of the probe's output that returns the changes still needed ([] = converged).
// Only `apply` may modify the host, and only the executor calls it. `--check` stops after `decide`.
import type { Facts } from '../facts/facts.ts';
import type { Host, Vars } from '../model.ts';
import type { RoleHome } from '../role.ts';

/**
 * One thing a step would change, e.g. "install nginx" or "update /etc/nginx/nginx.conf". A step kind
 * that needs data to act extends it (the packages to install, the SQL to run): `apply` acts on that
 * data, never on `summary`, which is for people only.
 */
export interface Change {
  /** Short human description, e.g. `content`, `mode 0644 → 0640`, `install haproxy`. */
  summary: string;
  /** Unified diff for files, when --diff is on (already redacted by the engine before display). */
  diff?: string;
}

/** What a probe snippet printed and how it exited. */
export interface ProbeOutput {
  stdout: string;
  exitCode: number;
}

/** Runs commands on the host. Given only to `apply` (and handlers) — never to `decide`. */
export interface Remote {
  /** Runs `command` with `sh -c` (through sudo when the host uses become). Never throws on exit code. */
  exec(command: string, options?: { stdin?: string | Buffer; timeoutMs?: number }): Promise<ExecResult>;
  /** Like exec, but throws StepError with the (redacted) command and stderr when exit code ≠ 0. */
  run(command: string, options?: { stdin?: string | Buffer; timeoutMs?: number }): Promise<ExecResult>;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** Everything a step may read while deciding: no way to touch the host. */
export interface StepContext {
  host: Host;
  facts: Facts;
  /** The role's variables (role defaults < all < group < host), secrets as Secret. */
  vars: Vars;
  /** Hosts of a group in inventory order ([] for an unknown group). */
  hostsIn(group: string): Host[];
  /** --diff: steps that can, include a unified diff in their changes. */
  diff: boolean;
  /** The role's name and where it lives (its templates are found there); absent for a role built in memory. */
  role?: { name: string; home?: RoleHome };
}

export interface Step<C extends Change = Change> {
  /** Kind and target, e.g. `template /etc/nginx/nginx.conf`; unique within a role. */
  name: string;
  /** Handlers to notify when this step changed something. */
  notify?: string[];
  /** Tags for --tags selection (the role name is always an implicit tag). */
  tags?: string[];
  /**
   * The paths (with everything below them) that are ALL this step's probe reads and its apply changes:
   * file steps declare theirs. After such a step changed something, a later step that declares paths
   * apart from these keeps its probe answer; the others are checked again before they are decided.
   * Without `paths` a step may read or change anything. Paths are compared as written (not resolved
   * through symbolic links), so a step that reaches a file through a link must not declare it.
   */
  paths?: string[];
  /**
   * Read-only shell snippet whose output `decide` parses. It runs in a subshell with stdin closed;
   * it must not write anything on the host. May depend on the context (e.g. --diff prints content).
   */
  probe(ctx: StepContext): string;
  /**
   * The same question as `probe`, asked so that one command answers it for every step of a batch
   * that asks one of its kind (all packages from one dpkg-query, all units from one systemctl show):
   * a batch answers the step from that command, with what `probe` would have printed. Undefined when
   * this step, in this context, must run its own probe.
   */
  shared?(ctx: StepContext): SharedProbe | undefined;
  /** Pure: the changes still needed given the probe's output. [] means converged (status ok). */
  decide(output: ProbeOutput, ctx: StepContext): C[] | Promise<C[]>;
  /** Makes the changes `decide` returned. Throws StepError (or ValidationError) on failure. */
  apply(remote: Remote, changes: C[], ctx: StepContext): Promise<void>;
}

/** A question many steps ask with different keys, answered for all of them by one command (Step.shared). */
export interface SharedProbe {
  kind: SharedProbeKind;
  /** What this step asks about: package names, unit names, paths. */
  keys: string[];
}

/** How one command answers the shared probes of a kind: pyinfra's facts, asked once per batch. */
export interface SharedProbeKind {
  /** Probes of the same kind (compared by name) share one command in a batch. */
  name: string;
  /** A read-only command answering every key (each given once, in the order first asked). */
  command(keys: string[]): string;
  /** What a step's own probe would have printed for `keys`, from that command's output. */
  answer(output: ProbeOutput, keys: string[], allKeys: string[]): ProbeOutput;
}

/** A handler is a step that always runs when notified, e.g. `reload nginx`. */
export type Handler = Step;
