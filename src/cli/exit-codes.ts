import type { RunResult } from '../core/results.ts';

/** Exit codes, documented in docs/cli.md and docs/ci.md. */
export const EXIT = {
  ok: 0,
  usage: 1,
  stepFailed: 2,
  drift: 3,
  unreachable: 4,
  interrupted: 130,
  /** A bug in scaleup (sysexits' EX_SOFTWARE): one line, the trace in a file. */
  internal: 70,
} as const;

export function exitCodeFor(result: RunResult, detailedExitCode = false): number {
  if (result.interrupted) return EXIT.interrupted;
  if (result.totals.failed > 0) return EXIT.stepFailed;
  if (result.totals.unreachable > 0) return EXIT.unreachable;
  if (detailedExitCode && result.totals.changed > 0) return EXIT.drift;
  return EXIT.ok;
}
