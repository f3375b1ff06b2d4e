// Time limits of the tests that start processes or drive the wizard, from what they do, not vitest's 5 s default:
// each budget is far above what the thing takes on an idle machine, so that a busy one (every core
// taken by something else) never fails a test, and only a hang does.

/** A short-lived process from start to exit: a shell, `ssh-keygen`, `age`, `pgrep`, `$EDITOR`. Idle: ~10 ms. */
export const PROCESS_MS = 10_000;

/** One script run by a shell already running (test/unit/shell-session.ts): no process started. Idle: < 1 ms. */
export const ROUND_TRIP_MS = 1_000;

/** One start of the CLI, to its exit. Idle: ~0.4 s from the bundle, ~1.5 s through tsx. */
export const CLI_START_MS = 30_000;

/** One question of the wizard answered through @inquirer/testing: keys in, the next screen drawn. Idle: ~80 ms
 * (the first of a file also loads the prompt modules). */
export const PROMPT_MS = 5_000;

/** One case of a property test run in-process (fast-check): make the input, run the code on it. Idle: ~3 ms. */
export const CASE_MS = 200;

export interface Work {
  processes?: number;
  roundTrips?: number;
  cliStarts?: number;
  prompts?: number;
  cases?: number;
  /** Anything else, e.g. a step timeout the test waits out. */
  plusMs?: number;
}

/** A test's time limit from what it runs. */
export function budget(work: Work): number {
  return (work.processes ?? 0) * PROCESS_MS + (work.roundTrips ?? 0) * ROUND_TRIP_MS + (work.cliStarts ?? 0) * CLI_START_MS +
    (work.prompts ?? 0) * PROMPT_MS + (work.cases ?? 0) * CASE_MS + (work.plusMs ?? 0);
}
