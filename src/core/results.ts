// What a run produces: events while it goes (for the reporters) and a result at the end (for the
// recap, --json, --junit and the exit code).
import type { TraceEvent } from './trace.ts';

export type StepStatus = 'ok' | 'changed' | 'failed' | 'skipped';

export interface StepResult {
  host: string;
  role: string;
  step: string;
  status: StepStatus;
  /** When the step began, in ms from the run's start (a timeline of the run; --report draws it). */
  startMs?: number;
  durationMs: number;
  /** What changed (or would change, in check mode). */
  changes?: string[];
  /** Unified diffs, redacted, when --diff is on. */
  diff?: string;
  /** Failure message, redacted. */
  error?: string;
  handler?: boolean;
}

/**
 * What a host spent before its first role, from the run's start: `connect` (SSH handshake),
 * `facts` (run lock taken and facts gathered, one round trip), `probes` (every role's probes, one
 * round trip). A phase that failed is marked so; the host's `error` says why.
 */
export interface HostPhase {
  name: 'connect' | 'facts' | 'probes';
  startMs: number;
  durationMs: number;
  failed?: boolean;
}

export interface HostTotals {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: boolean;
  /** SSH exec round trips made to the host (facts, probes, applies, handlers). */
  roundTrips: number;
  /** Whether the run found an SSH connection kept from an earlier run ('reused') or opened one. */
  connection?: 'new' | 'reused';
  durationMs: number;
  /** Its connect, facts and probes phases, in the order they ran (as far as the host got). */
  phases?: HostPhase[];
  /** Why the host was unreachable or stopped, if it was. */
  error?: string;
}

export interface RunResult {
  version: 1;
  ok: boolean;
  check: boolean;
  /** When the run began (ISO 8601); every `startMs` is an offset from it. */
  startedAt?: string;
  durationMs: number;
  totals: { ok: number; changed: number; failed: number; skipped: number; unreachable: number };
  hosts: Record<string, HostTotals>;
  steps: StepResult[];
  /** Set when the run was stopped (Ctrl-C) before it finished. */
  interrupted?: boolean;
  /** The run's `-e` variables (secrets redacted), when it had any. */
  extraVars?: Record<string, unknown>;
}

export type RunEvent =
  | { type: 'play'; name: string; hosts: string[] }
  | { type: 'host-start'; host: string }
  | { type: 'role-start'; host: string; role: string }
  | { type: 'step-start'; host: string; role: string; step: string }
  | { type: 'step'; result: StepResult }
  | { type: 'host-unreachable'; host: string; error: string }
  | { type: 'host-done'; host: string; totals: HostTotals }
  // Only when the run traces (trace.ts): probes and decisions, commands, connections.
  | TraceEvent;

export type EventSink = (event: RunEvent) => void;

export function emptyTotals(): HostTotals {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, roundTrips: 0, durationMs: 0 };
}
