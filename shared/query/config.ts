import { numberVar, optionalStringVar, type Env } from '../config/index.js';

const HOUR_MS = 3_600_000;

/** The limits no query may exceed; each is configurable (README, "Query API"). */
export interface QueryLimits {
  /** Longest time range one query may cover. @default 31 days (TIDELINE_QUERY_MAX_RANGE_HOURS=744) */
  readonly maxRangeMs: number;
  /** Most rows, or groups, one result may hold. @default 100000 (TIDELINE_QUERY_MAX_ROWS) */
  readonly maxRows: number;
  /** Most slices one query fans out to. @default 32 (TIDELINE_QUERY_MAX_FAN_OUT) */
  readonly maxFanOut: number;
  /** Longest a query may run, slices and retries included. @default 10000 (TIDELINE_QUERY_MAX_MS) */
  readonly maxQueryMs: number;
  /** Most sensor ids one query may list. @default 1000 (TIDELINE_QUERY_MAX_SENSORS) */
  readonly maxSensors: number;
}

/** How the query API behaves; built once from the environment. */
export interface QueryConfig {
  readonly limits: QueryLimits;
  /** Slices per query when the spec does not say. @default 8 (TIDELINE_QUERY_FAN_OUT) */
  readonly defaultFanOut: number;
  /** Rows returned when a rows query gives no limit. @default 1000 (TIDELINE_QUERY_DEFAULT_ROWS) */
  readonly defaultRows: number;
  /** Time range when a query gives no `from`. @default 1 hour (TIDELINE_QUERY_DEFAULT_RANGE_MINUTES=60) */
  readonly defaultRangeMs: number;
  /** A query slower than this misses the SLA. @default 1000 (TIDELINE_QUERY_SLA_MS, the use case's 1 s) */
  readonly slaMs: number;
  /** How far back GET /sensors/{id} looks for the latest reading. @default 24 hours (TIDELINE_SENSOR_LOOKBACK_HOURS) */
  readonly sensorLookbackMs: number;
  /** How long query-log entries are kept. @default 30 days (TIDELINE_QUERY_LOG_RETENTION_DAYS) */
  readonly queryLogRetentionMs: number;
  /** Parallel slices in the local worker pool. @default 8 (TIDELINE_QUERY_POOL_SIZE) */
  readonly poolSize: number;
  /** Executor function the coordinator invokes on AWS; unset: slices run in process. (EXECUTOR_FUNCTION_NAME) */
  readonly executorFunctionName: string | undefined;
  /**
   * The key clients must send as `x-api-key`; undefined: no key check (on AWS, API Gateway's
   * IAM authorization guards the API). (TIDELINE_API_KEY)
   */
  readonly apiKey: string | undefined;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = Object.freeze({
  maxRangeMs: 744 * HOUR_MS,
  maxRows: 100_000,
  maxFanOut: 32,
  maxQueryMs: 10_000,
  maxSensors: 1000,
});

/**
 * Reads the query configuration from the environment. Precedence: the environment variable,
 * then the default above; a malformed value fails at cold start naming the variable.
 */
export function loadQueryConfig(env: Env): QueryConfig {
  const d = DEFAULT_QUERY_LIMITS;
  const maxFanOut = numberVar(env, 'TIDELINE_QUERY_MAX_FAN_OUT', d.maxFanOut, { min: 1, max: 1024 });
  const maxRows = numberVar(env, 'TIDELINE_QUERY_MAX_ROWS', d.maxRows, { min: 1 });
  return {
    limits: {
      maxRangeMs: numberVar(env, 'TIDELINE_QUERY_MAX_RANGE_HOURS', d.maxRangeMs / HOUR_MS, { min: 1 }) * HOUR_MS,
      maxRows,
      maxFanOut,
      maxQueryMs: numberVar(env, 'TIDELINE_QUERY_MAX_MS', d.maxQueryMs, { min: 100 }),
      maxSensors: numberVar(env, 'TIDELINE_QUERY_MAX_SENSORS', d.maxSensors, { min: 1 }),
    },
    defaultFanOut: numberVar(env, 'TIDELINE_QUERY_FAN_OUT', Math.min(8, maxFanOut), { min: 1, max: maxFanOut }),
    defaultRows: numberVar(env, 'TIDELINE_QUERY_DEFAULT_ROWS', Math.min(1000, maxRows), { min: 1, max: maxRows }),
    defaultRangeMs: numberVar(env, 'TIDELINE_QUERY_DEFAULT_RANGE_MINUTES', 60, { min: 1 }) * 60_000,
    slaMs: numberVar(env, 'TIDELINE_QUERY_SLA_MS', 1000, { min: 1 }),
    sensorLookbackMs: numberVar(env, 'TIDELINE_SENSOR_LOOKBACK_HOURS', 24, { min: 1 }) * HOUR_MS,
    queryLogRetentionMs: numberVar(env, 'TIDELINE_QUERY_LOG_RETENTION_DAYS', 30, { min: 1 }) * 24 * HOUR_MS,
    poolSize: numberVar(env, 'TIDELINE_QUERY_POOL_SIZE', 8, { min: 1, max: 256 }),
    executorFunctionName: optionalStringVar(env, 'EXECUTOR_FUNCTION_NAME'),
    apiKey: optionalStringVar(env, 'TIDELINE_API_KEY'),
  };
}
