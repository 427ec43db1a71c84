import { TidelineError } from '../errors.js';

/** A record that cannot be read as a reading; `field` names the offending field when there is one. */
export class RecordValidationError extends TidelineError {
  constructor(
    readonly reason: string,
    readonly field: string | null = null,
  ) {
    super(reason);
  }
}

/** An event that is not an MSK batch at all (the whole invocation is malformed, not one record). */
export class EventShapeError extends TidelineError {}
