import { TidelineError } from '../errors.js';

/** Base of every query error; `status` is the HTTP status the API answers with. */
export abstract class QueryError extends TidelineError {
  abstract readonly status: number;
}

/** The query spec is malformed: `field` names where (e.g. `group_by[1]`), the message says what to send instead. */
export class QuerySpecError extends QueryError {
  readonly status = 400;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * The query is well formed but over a limit: `limit` names the limit (and its setting), the
 * message the value, the maximum and how to narrow the query. Raised before anything runs,
 * or when a grouping turns out to produce more groups than the row limit.
 */
export class QueryLimitError extends QueryError {
  readonly status = 422;
  constructor(
    readonly limit: string,
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A resource the request names does not exist (an unknown view, a sensor with no readings). */
export class QueryNotFoundError extends QueryError {
  readonly status = 404;
}

/** A slice failed twice (first attempt and one retry): the query fails rather than answer partially. */
export class SliceFailedError extends QueryError {
  readonly status = 502;
  constructor(
    readonly sliceId: string,
    readonly describedAs: string,
    cause: unknown,
  ) {
    super(`slice ${sliceId} (${describedAs}) failed twice: ${cause instanceof Error ? cause.message : String(cause)}; no partial answer was returned, retry the query`, { cause });
  }
}

/** A slice did not finish, retry included, within the query's maximum time. */
export class SliceTimeoutError extends QueryError {
  readonly status = 504;
  constructor(
    readonly sliceId: string,
    readonly describedAs: string,
    readonly timeoutMs: number,
  ) {
    super(`slice ${sliceId} (${describedAs}) did not finish within the query's ${timeoutMs} ms (limit TIDELINE_QUERY_MAX_MS), retry included; narrow the time range or the sensors, or raise fan_out`);
  }
}
