// What a run reports about its own workings when asked (`-vv`, `-vvv`): each step's probe and
// decision, each command sent to a host with its round-trip time, and how each connection was set up.
// These events are built only when the run asks for them (RunTrace): a run without tracing pays
// nothing for them. Their text is made safe where they are made: secrets masked (before anything is
// cut, so half a secret is never left to show), control characters escaped, long text shortened.
import { safeHostLine } from './host-text.ts';
import type { Redactor } from './secret.ts';

/** What the run traces: decisions (`-vv`), and commands and connections as well (`-vvv`). */
export interface RunTrace {
  decisions?: boolean;
  commands?: boolean;
}

/** How a connection to a host came to be, as the connection knows it. */
export interface ConnectionSetup {
  /** Opened by this run directly, or held by the connection keeper: kept from an earlier run, or opened by it now. */
  link: 'direct' | 'kept-reused' | 'kept-new';
  /** Where SSH connected (after ~/.ssh/config's HostName). */
  address: string;
  port: number;
  user: string;
  /** The bastion the link goes through (ProxyJump), as written. */
  via?: string;
  /**
   * How the host's key was checked: it matched known_hosts, it was pinned now (--accept-new-host-keys),
   * or the keeper checked it against known_hosts when it opened the link it keeps.
   */
  hostKey: 'verified' | 'pinned' | 'verified-by-keeper';
}

/** How commands reach root on the host. */
export type BecomeMode = 'none' | 'sudo' | 'sudo with password';

export type TraceEvent =
  | {
    type: 'trace-connection';
    host: string;
    /** Absent for a connection that does not describe itself (a local one). */
    setup?: ConnectionSetup;
    become: BecomeMode;
    /** From asking for the connection to having it: TCP, SSH handshake and authentication, or the keeper's answer. */
    connectMs: number;
  }
  | {
    type: 'trace-command';
    host: string;
    /** The command as the engine gave it (before the sudo wrapper), redacted, escaped and maybe shortened. */
    command: string;
    /** Bytes sent on stdin (file contents: never shown). */
    stdinBytes?: number;
    /** Whether it ran through sudo. */
    become: boolean;
    /** The run lock's long-lived command (its time is the wait for the lock, facts included). */
    lock?: boolean;
    exitCode?: number | null;
    /** A timeout or a lost connection, instead of an exit code. */
    error?: string;
    roundTripMs: number;
  }
  | {
    type: 'trace-decision';
    host: string;
    role: string;
    step: string;
    /** What the step checked: its read-only probe, redacted, escaped and maybe shortened. */
    probe: string;
    /** What the probe answered: its exit code and the start of its output (host text, made safe). */
    answer: { exitCode: number; output: string };
    /** What the step decided: the changes it found; [] is "converged". */
    changes: string[];
  };

/** Longest command or probe text a trace shows; the rest is counted, not shown. */
export const TRACED_COMMAND_CHARS = 400;
/** Longest part of a probe's answer a trace shows. */
export const TRACED_ANSWER_CHARS = 160;

/**
 * `text` as a trace shows it, on one line: secrets masked first (a secret cut in two would escape the
 * Redactor), then control characters and line breaks escaped, then cut at `max` characters with a note
 * saying how much was left out.
 */
export function tracedText(text: string, redactor: Redactor, max = TRACED_COMMAND_CHARS): string {
  const shown = safeHostLine(redactor.redact(text));
  if (shown.length <= max) return shown;
  // Never end inside an escape (`\x1b`, `\n`) or a mask (`***`): cut before a trailing partial one.
  const cut = shown.slice(0, max).replace(/\\[^\s]{0,8}$|\*+$/, '');
  return `${cut}… [${shown.length - cut.length} more characters not shown]`;
}

/**
 * A probe's answer as a trace shows it (see tracedText), with every long run of base64 or hex (a
 * file's content as the probe sends it for a diff, a digest of a password hash) left out: the
 * Redactor finds a secret in base64 only where its encoding starts at the secret, and a digest of a
 * password can be guessed at offline, while neither tells a person anything.
 */
export function tracedAnswer(text: string, redactor: Redactor): string {
  const hidden = text.replace(ENCODED_RUN, (run) => `[${run.length} encoded characters not shown]`);
  return tracedText(hidden, redactor, TRACED_ANSWER_CHARS);
}

/** 32 or more characters of base64 (hex included), with its padding. */
const ENCODED_RUN = /[A-Za-z0-9+/]{32,}={0,2}/g;
