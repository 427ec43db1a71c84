import { TidelineError } from '../errors.js';

/**
 * A benchmark file (SKAB CSV, NAB CSV, NAB label windows) cannot be read. The message names
 * the file and the 1-based line, says what is wrong and what was expected.
 */
export class BenchmarkFileError extends TidelineError {
  constructor(
    readonly file: string,
    /** 1-based line, or null when the problem is the file as a whole. */
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: ${reason}`);
  }
}
