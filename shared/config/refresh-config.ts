import { numberVar, optionalStringVar, stringVar, type Env } from './env.js';
import { loadTidelineConfig, type TidelineConfig } from './tideline-config.js';

const DAY_MS = 86_400_000;

/** Settings of the refresh and compaction functions, on top of the shared ones. */
export interface RefreshConfig extends TidelineConfig {
  /** Athena over the Glue tables on AWS; undefined: DuckDB over `lakeDir`. */
  readonly athena:
    | { readonly database: string; readonly workGroup: string; readonly outputLocation: string | undefined; readonly lakeUri: string }
    | undefined;
  /** How long a reflection version's items live (DynamoDB TTL). */
  readonly reflectionTtlMs: number;
  /** An hour is closed (compactable) this long after it ends: late batches in flight land first. */
  readonly compactionGraceMs: number;
  /** How far back compaction looks for hours that late readings reopened. */
  readonly compactionLookbackHours: number;
}

/**
 * Reads the refresh/compaction configuration (documented in the README). `ATHENA_DATABASE`
 * selects Athena and then needs `LAKE_BUCKET` (the `"$path"` of lake files is s3://bucket/key).
 */
export function loadRefreshConfig(env: Env): RefreshConfig {
  const base = loadTidelineConfig(env);
  const database = optionalStringVar(env, 'ATHENA_DATABASE');
  const athena = database
    ? {
        database,
        workGroup: stringVar(env, 'ATHENA_WORKGROUP', 'primary'),
        outputLocation: optionalStringVar(env, 'ATHENA_OUTPUT_LOCATION'),
        lakeUri: `s3://${stringVar(env, 'LAKE_BUCKET')}/`,
      }
    : undefined;
  return {
    ...base,
    athena,
    reflectionTtlMs: numberVar(env, 'TIDELINE_REFLECTION_TTL_DAYS', 30, { min: 1 }) * DAY_MS,
    compactionGraceMs: numberVar(env, 'TIDELINE_COMPACTION_GRACE_MINUTES', 10, { min: 0 }) * 60_000,
    compactionLookbackHours: numberVar(env, 'TIDELINE_COMPACTION_LOOKBACK_HOURS', 48, { min: 1 }),
  };
}
