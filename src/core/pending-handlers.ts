// The handlers a host still owes a role: a change records the handlers it notifies on the host before
// it is made, and they are cleared once they have run. A run that loses the host in between leaves
// them there, and the next run runs them even though it finds nothing left to change.
import type { Connection } from './connection/connection.ts';
import { quote } from './quote.ts';

/**
 * Where a host keeps the handlers notified by changes whose handlers have not run yet. Root's, under
 * /run: a reboot restarts every service with its new config anyway, so it may forget them.
 */
export const PENDING_HANDLERS_DIR = '/run/scaleup/pending-handlers';

const pendingFile = (role: string) => `${PENDING_HANDLERS_DIR}/${role}`;

/**
 * Read-only probe printing the role's pending handlers, one per line (nothing when none). With the
 * shell's own `read`: every role asks on every run, and a `cat` would be a process each time.
 */
export function pendingHandlersProbe(role: string): string {
  const f = quote(pendingFile(role));
  return `if [ -f ${f} ]; then while IFS= read -r l || [ -n "$l" ]; do printf '%s\n' "$l"; done < ${f}; fi; true`;
}

/** A role's list of pending handlers on one host, as this run last read or wrote it. */
export class PendingHandlers {
  #recorded: string[] = [];

  constructor(
    private readonly conn: Connection,
    private readonly role: string,
    private readonly timeoutMs: number | undefined,
  ) {}

  /** What the host's list holds now. */
  get recorded(): readonly string[] {
    return this.#recorded;
  }

  /** Takes the list from what pendingHandlersProbe printed. */
  read(probeStdout: string): void {
    this.#recorded = [...new Set(probeStdout.split('\n').filter(Boolean))];
  }

  /** Before a change that notifies them: makes the host's list hold `names` unless it holds them all. */
  async include(names: string[]): Promise<void> {
    if (names.every((h) => this.#recorded.includes(h))) return;
    await this.#write(names);
    this.#recorded = names;
  }

  /** After the handlers ran: the list keeps only those that did not (unless it holds just those). */
  async leaveOnly(unrun: string[]): Promise<void> {
    if (this.#recorded.length && this.#recorded.join('\n') !== unrun.join('\n')) await this.#write(unrun);
  }

  /** Replaces the host's list (best effort: a host we may not write to keeps none). */
  async #write(names: string[]): Promise<void> {
    const file = quote(pendingFile(this.role));
    const command = names.length
      ? `umask 077 && mkdir -p ${quote(PENDING_HANDLERS_DIR)} && printf '%s\\n' ${names.map(quote).join(' ')} > ${file}.tmp && mv -f ${file}.tmp ${file}`
      : `rm -f ${file}`;
    await this.conn.exec(command, { timeoutMs: this.timeoutMs });
  }
}
