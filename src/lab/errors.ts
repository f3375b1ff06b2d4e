import { ScaleupError } from '../core/errors.ts';

/** The lab could not be built, started, reached or torn down. Shown to the person without a stack trace. */
export class LabError extends ScaleupError {
  constructor(
    message: string,
    /** The command that failed and the tail of what it printed, when there is one. */
    readonly detail?: string,
  ) {
    super(message);
  }
}
