// Shared helpers of the tests that check what the engine refuses and how it says so: catching the
// ScaleupError a call throws (or a promise rejects with) so that its class and message can be checked.
import { ScaleupError } from '../../src/core/errors.ts';

/** The ScaleupError `fn` throws; any other error is rethrown, and not throwing fails the test. */
export function errorOf(fn: () => unknown): ScaleupError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScaleupError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

/** The ScaleupError `p` rejects with; any other error is rethrown, and resolving fails the test. */
export async function asyncErrorOf(p: Promise<unknown>): Promise<ScaleupError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ScaleupError) return err;
    throw err;
  }
  throw new Error('expected an error');
}
