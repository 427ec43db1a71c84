import { TidelineError } from '../../shared/errors.js';

/**
 * A stack prop or context parameter is invalid. Raised while the app is built (before any
 * template exists), naming the prop, the rule it breaks and the value given.
 */
export class StackConfigError extends TidelineError {
  constructor(
    readonly prop: string,
    readonly rule: string,
    readonly value: unknown,
  ) {
    super(`${prop} ${rule}, got ${JSON.stringify(value)}`);
  }
}
