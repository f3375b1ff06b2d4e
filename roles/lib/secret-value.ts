// A secret variable reaches a role as a Secret (from the vault) or, in a lab inventory, as a plain
// string. Roles keep it wrapped and unwrap it only where it must reach the host.
import { Secret, StepError, type VarValue } from 'scaleup';

/** The variable as a Secret; throws naming the variable when it is unset or empty. */
export function secretVar(value: VarValue | undefined, name: string): Secret {
  if (value instanceof Secret) {
    if (value.reveal() === '') throw new StepError(`variable '${name}' is empty`);
    return value;
  }
  if (typeof value === 'string' && value !== '') return new Secret(value);
  throw new StepError(`variable '${name}' is not set (put it in the secrets file)`);
}

/** The variable's text if it is set, else undefined: for checks of its shape, never for output. */
export function secretText(value: VarValue | undefined): string | undefined {
  if (value instanceof Secret) return value.reveal();
  if (typeof value === 'string') return value;
  return undefined;
}
