// The few error classes the engine throws. Each carries the context a person needs to act on it;
// only src/cli/ turns them into messages and exit codes.

/** Base class: an error caused by the user's input or environment, shown without a stack trace. */
export class ScaleupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
  /** Dotted path of the offending field, e.g. `groups.web.hosts.web-01.address`. */
  field?: string;
}

/** Bad inventory, playbook, or variables: nothing on any host was touched. */
export class InventoryError extends ScaleupError {
  constructor(
    readonly reason: string,
    readonly location: SourceLocation,
  ) {
    super(InventoryError.format(reason, location));
  }

  static format(reason: string, loc: SourceLocation): string {
    const where = [loc.file, loc.line, loc.column].filter((p) => p !== undefined).join(':');
    return loc.field ? `${where}: ${loc.field}: ${reason}` : `${where}: ${reason}`;
  }
}

/** Several inventory errors found in one pass; reported together. */
export class InventoryErrors extends ScaleupError {
  constructor(readonly errors: InventoryError[]) {
    super(errors.map((e) => e.message).join('\n'));
  }
}

/** A host could not be reached or authenticated (includes host-key refusal). */
export class ConnectError extends ScaleupError {
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`${host}: ${reason}`);
  }
}

/** Another run holds the host's lock: this run did not touch the host. */
export class LockedError extends ConnectError {}

/** A step failed on a host. `command` and `stderr` are already redacted, and escaped (host-text.ts). */
export class StepError extends ScaleupError {
  constructor(
    message: string,
    readonly detail: { host?: string; role?: string; step?: string; command?: string; exitCode?: number | null; stderr?: string } = {},
  ) {
    super(message);
  }
}

/** A rendered file failed its `validate` command; the live file was left untouched. */
export class ValidationError extends StepError {}

/** The person stopped the run (Ctrl-C, or answered no). */
export class UserAbort extends ScaleupError {
  constructor(message = 'aborted') {
    super(message);
  }
}
