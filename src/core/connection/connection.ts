import type { ExecResult } from '../steps/step.ts';
import type { ConnectionSetup } from '../trace.ts';

/** A live session to one host. The engine opens one per host and reuses it for the whole run. */
export interface Connection {
  readonly hostName: string;
  /**
   * Runs `command` through `sh -c` (under `sudo -n` when the host uses become, unless `become: false`
   * for commands that need no privilege). Resolves with any exit code.
   */
  exec(command: string, options?: { stdin?: string | Buffer; timeoutMs?: number; become?: boolean }): Promise<ExecResult>;
  /** How many exec round trips this connection has made (reported in --json, for the benchmark). */
  readonly roundTrips: number;
  /** True when the SSH connection was kept from an earlier run (see kept/keeper.ts). */
  readonly reused?: boolean;
  /** How the connection was set up (address, user, kept or new, host key), for `-vvv`. */
  readonly setup?: ConnectionSetup;
  /**
   * Holds the host's run lock until close(); rejects with LockedError when another run holds it.
   * With `thenRun`, runs that unprivileged script once the lock is held, on the same channel (no
   * extra round trip), and resolves with its stdout.
   */
  lock?(holder: string, thenRun?: string): Promise<string | undefined>;
  /**
   * Starts `command` and hands its stdout to `onOutput` as it comes (`journalctl -f`), until `stop()`.
   * The command must end by itself when its stdin closes: stop() only closes it (a channel's close
   * does not signal the remote process, see logs-script.ts). Its stderr is not kept: redirect it.
   */
  follow?(command: string, onOutput: (text: string) => void, options?: { become?: boolean }): Promise<FollowedCommand>;
  close(): Promise<void>;
}

/** A command left running on a host (Connection.follow). */
export interface FollowedCommand {
  /** Closes the command's stdin and the channel. */
  stop(): void;
  /** Resolves once the channel closed (the command ended, or stop() was called). */
  readonly ended: Promise<void>;
}
