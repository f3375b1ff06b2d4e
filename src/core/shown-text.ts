// What the engine hands out as text — results, error messages, diffs, the lines of a StepError — is
// made safe here, in one place: secrets masked first (so that escaping cannot hide one from the
// Redactor), then the control characters a host may send made visible (src/core/host-text.ts). Host
// output reaches that text through stderr, a validate command's output, a lock holder's description,
// change summaries (an owner read by stat) and diffs (a file's old content).
import { safeHostLine, safeHostText } from './host-text.ts';
import type { StepResult } from './results.ts';
import { redactDiff, type Redactor } from './secret.ts';

/** Text of several lines (an error with stderr): secrets masked, control characters visible. */
export function shownText(text: string, redactor: Redactor): string {
  return safeHostText(redactor.redact(text));
}

/** One line (a step name, a change summary): line breaks escaped as well. */
export function shownLine(text: string, redactor: Redactor): string {
  return safeHostLine(redactor.redact(text));
}

/** A step's result as it is recorded, emitted and stored (--json, --junit): every text in it made safe. */
export function shownResult(r: StepResult, redactor: Redactor): StepResult {
  return {
    ...r,
    // A step's name is built from role variables (a path, a package…): it can hold a secret too.
    step: shownLine(r.step, redactor),
    ...(r.changes ? { changes: r.changes.map((c) => shownLine(c, redactor)) } : {}),
    ...(r.diff !== undefined ? { diff: safeHostText(redactDiff(r.diff, redactor)) } : {}),
    ...(r.error !== undefined ? { error: shownText(r.error, redactor) } : {}),
  };
}
