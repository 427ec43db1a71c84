import { LAKE_PREFIX, type LakeTable } from '../lake/index.js';
import type { SqlEngine } from '../ports/index.js';
import { SKETCH_MAPPING } from './partials.js';

/**
 * Where the lake's tables are for SQL. DuckDB reads the Parquet files of the lake directory
 * directly (the listed, visible files); Athena reads the Glue tables `readings` and
 * `device_status` (partition columns `dt` and `hour`, both strings), excluding by `"$path"` the
 * files the compaction rule hides.
 */
export type LakeSqlSource =
  | { readonly kind: 'duckdb'; readonly root: string }
  | { readonly kind: 'athena'; readonly database: string; readonly lakeUri: string };

/** The hour partitions of one table a query reads, with the visibility rule already applied. */
export interface LakeScan {
  readonly table: LakeTable;
  readonly hours: readonly { readonly dir: string; readonly visible: readonly string[]; readonly hidden: readonly string[] }[];
}

/** SQL text differences between the two engines, in one place. */
interface Dialect {
  readonly from: (scan: LakeScan) => string;
  readonly epochMs: (expr: string) => string;
  /** `relation`'s rows once per extra channel, with its `name` and value `x` (from the JSON text column `channels`). */
  readonly channelRows: (relation: string, columns: string) => string;
  /** Whether the rows `from(scan)` reads may hold a stream position twice. */
  readonly mayRepeatPositions: (scan: LakeScan) => boolean;
}

export const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

function dialectOf(source: LakeSqlSource): Dialect {
  if (source.kind === 'duckdb') {
    const root = source.root.replace(/\/+$/, '');
    return {
      from: (scan) => {
        const files = scan.hours.flatMap((h) => h.visible.map((k) => sqlString(`${root}/${k}`)));
        return `read_parquet([${files.join(', ')}], hive_partitioning = true)`;
      },
      epochMs: (expr) => `epoch_ms(${expr})`,
      channelRows: (relation, columns) =>
        `SELECT ${columns}, e.key AS name, e.value AS x FROM ${relation}, UNNEST(map_entries(CAST(json(channels) AS MAP(VARCHAR, DOUBLE)))) AS u(e) WHERE channels IS NOT NULL`,
      // DuckDB reads exactly the listed files, so their names tell.
      mayRepeatPositions: (scan) => mayRepeatStreamPositions(scan.hours.flatMap((h) => h.visible)),
    };
  }
  const uri = source.lakeUri.endsWith('/') ? source.lakeUri : `${source.lakeUri}/`;
  return {
    from: (scan) => {
      const parts = scan.hours.map((h) => {
        const m = /dt=([0-9-]+)\/hour=(\d{2})$/.exec(h.dir) as RegExpExecArray;
        return `(dt = ${sqlString(m[1])} AND hour = ${sqlString(m[2])})`;
      });
      const hidden = scan.hours.flatMap((h) => h.hidden.map((k) => sqlString(uri + k)));
      const table = `"${source.database.replace(/"/g, '""')}"."${LAKE_PREFIX[scan.table]}"`;
      return `${table} WHERE (${parts.join(' OR ')})${hidden.length ? ` AND "$path" NOT IN (${hidden.join(', ')})` : ''}`;
    },
    epochMs: (expr) => `CAST(to_unixtime(${expr}) * 1000 AS BIGINT)`,
    channelRows: (relation, columns) =>
      `SELECT ${columns}, u.name, u.x FROM ${relation} CROSS JOIN UNNEST(CAST(json_parse(channels) AS MAP(VARCHAR, DOUBLE))) AS u(name, x) WHERE channels IS NOT NULL`,
    // Athena reads the partitions as they are when it runs, which may hold files the listing did
    // not see (a redelivered batch's among them): always de-duplicated.
    mayRepeatPositions: () => true,
  };
}

/**
 * Rows of the scanned hours, each stream position once: compaction and a re-imported backfill
 * may briefly hold a row twice, and (topic, partition, offset) identifies it. When the files'
 * names prove no position can occur twice, the de-duplicating window (most of the execution time
 * of a query over one new hour) is left out.
 */
function deduplicated(d: Dialect, scan: LakeScan, columns: string): string {
  if (!d.mayRepeatPositions(scan)) return `SELECT ${columns}, 1 AS copy_no FROM ${d.from(scan)}`;
  return `SELECT ${columns}, row_number() OVER (PARTITION BY kafka_topic, kafka_partition, kafka_offset ORDER BY ts) AS copy_no FROM ${d.from(scan)}`;
}

/** `<topic>-<partition>-<first offset>-<last offset>.parquet`, as batchObjectKey names a batch's file. */
const BATCH_FILE = /(?:^|\/)([^/]+)-(\d+)-(\d{20})-(\d{20})\.parquet$/;

/**
 * Whether a stream position may occur in two of `keys`. A batch file (batchObjectKey) holds each
 * position of its topic partition once, within the offsets its name gives; a batch redelivered
 * with other bounds, or an import repeated with other chunking, writes a file whose range overlaps
 * the first one's. So only overlapping ranges on one topic partition, or a file named otherwise (a
 * compacted file, which late batch files may repeat), can repeat a position.
 */
export function mayRepeatStreamPositions(keys: readonly string[]): boolean {
  const ranges = new Map<string, [number, number][]>();
  for (const key of keys) {
    const m = BATCH_FILE.exec(key);
    if (!m) return true;
    const first = Number(m[3]);
    const last = Number(m[4]);
    const stream = `${m[1]}\u0000${m[2]}`;
    let list = ranges.get(stream);
    if (!list) ranges.set(stream, (list = []));
    list.push([Math.min(first, last), Math.max(first, last)]);
  }
  for (const list of ranges.values()) {
    list.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < list.length; i++) if (list[i][0] <= list[i - 1][1]) return true;
  }
  return false;
}

function readingsCte(d: Dialect, scan: LakeScan): string {
  return `WITH src AS (
  ${deduplicated(d, scan, 'sensor_id, ts, temperature, pressure, vibration, status, channels, kafka_topic, kafka_partition, kafka_offset')}
), r AS (
  SELECT sensor_id, ${d.epochMs("date_trunc('hour', ts)")} AS hour_start_ms, ${d.epochMs('ts')} AS ts_ms,
    kafka_topic, kafka_partition, kafka_offset,
    temperature AS t, pressure AS p, vibration AS v, status, channels,
    CASE WHEN temperature IS NOT NULL AND pressure IS NOT NULL AND vibration IS NOT NULL THEN 1 ELSE 0 END AS complete
  FROM src WHERE copy_no = 1
)`;
}

const moments = (x: string, name: string, n = `count(${x})`) =>
  `${n} AS ${name}_n, avg(${x}) AS ${name}_mean, coalesce(var_samp(${x}) * (${n} - 1), 0) AS ${name}_m2`;

/**
 * One scan, two groupings (GROUPING SETS, the same on DuckDB and Athena):
 * - per sensor and hour (`whole_hour` = 1): count, mean and M2 (sample variance × (n − 1)) per
 *   metric, max pressure, mean vector and co-moments of complete (temperature, pressure,
 *   vibration) vectors, and FAILED readings; columns match PARTIAL_COLUMNS;
 * - per sensor, hour and pressure bin (`whole_hour` = 0): the pressure histogram over the quantile
 *   sketch's bins, `sign` (−1, 0, 1; null without a pressure) and `bin` = ⌈log2|p| · multiplier⌉ +
 *   offset with the sketch's own constants, counted by `p_n`.
 * One query instead of two: for an hour of new data the query's fixed cost is most of the refresh.
 */
export function hourPartialsSql(source: LakeSqlSource, scan: LakeScan): string {
  const d = dialectOf(source);
  const min = String(SKETCH_MAPPING.minPossible);
  const c = (x: string) => `CASE WHEN complete = 1 THEN ${x} END`;
  const co = (a: string, b: string) => `coalesce(covar_samp(${c(a)}, ${c(b)}) * (sum(complete) - 1), 0)`;
  return `${readingsCte(d, scan)}, b AS (
  SELECT r.*,
    CASE WHEN p IS NULL THEN NULL WHEN p > ${min} THEN 1 WHEN p < -${min} THEN -1 ELSE 0 END AS sign,
    CASE WHEN abs(p) > ${min} THEN ceil(log2(abs(p)) * ${String(SKETCH_MAPPING.multiplier)}) + ${SKETCH_MAPPING.offset} ELSE 0 END AS bin
  FROM r
)
SELECT sensor_id, hour_start_ms, CASE WHEN grouping(sign, bin) = 0 THEN 0 ELSE 1 END AS whole_hour, sign, bin,
  count(*) AS readings,
  ${moments('t', 't')},
  ${moments('p', 'p')},
  ${moments('v', 'v')},
  max(p) AS p_max,
  sum(complete) AS vec_n, avg(${c('t')}) AS vec_t, avg(${c('p')}) AS vec_p, avg(${c('v')}) AS vec_v,
  coalesce(var_samp(${c('t')}) * (sum(complete) - 1), 0) AS c_tt, ${co('t', 'p')} AS c_tp, ${co('t', 'v')} AS c_tv,
  coalesce(var_samp(${c('p')}) * (sum(complete) - 1), 0) AS c_pp, ${co('p', 'v')} AS c_pv,
  coalesce(var_samp(${c('v')}) * (sum(complete) - 1), 0) AS c_vv,
  sum(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END) AS failures,
  max(CASE WHEN status = 'FAILED' THEN ts_ms END) AS last_failure_ms,
  count(channels) AS channel_readings
FROM b
GROUP BY GROUPING SETS ((sensor_id, hour_start_ms), (sensor_id, hour_start_ms, sign, bin))`;
}

/**
 * Per sensor, hour and measurement (each metric and each extra channel) of the sensor-hours with
 * extra channels, the channel profile's partials: co-moments of (event time ms, value); co-moments of (previous value, value) over the
 * measurement's consecutive values within the hour (readings lacking it skipped; ties in event
 * time in stream order); and its first and last values in that order, which join the hour's steps
 * to its neighbours' when hours merge.
 */
export function measurementPartialsSql(source: LakeSqlSource, scan: LakeScan): string {
  const d = dialectOf(source);
  const keys = 'sensor_id, hour_start_ms, ts_ms, kafka_topic, kafka_partition, kafka_offset';
  const metric = (column: string, name: string) => `SELECT ${keys}, '${name}' AS name, ${column} AS x FROM rc WHERE ${column} IS NOT NULL`;
  const inOrder = 'PARTITION BY sensor_id, hour_start_ms, name ORDER BY ts_ms, kafka_topic, kafka_partition, kafka_offset';
  const stepped = (x: string) => `CASE WHEN prev IS NOT NULL THEN ${x} END`;
  return `${readingsCte(d, scan)}, channel_hours AS (
  SELECT DISTINCT sensor_id AS c_sensor, hour_start_ms AS c_hour FROM r WHERE channels IS NOT NULL
), rc AS (
  SELECT r.* FROM r JOIN channel_hours ON sensor_id = c_sensor AND hour_start_ms = c_hour
), m AS (
  ${metric('t', 'temperature')}
  UNION ALL ${metric('p', 'pressure')}
  UNION ALL ${metric('v', 'vibration')}
  UNION ALL ${d.channelRows('rc', keys)}
), o AS (
  SELECT sensor_id, hour_start_ms, name, ts_ms, x,
    lag(x) OVER (${inOrder}) AS prev,
    row_number() OVER (${inOrder}) AS rn,
    count(*) OVER (PARTITION BY sensor_id, hour_start_ms, name) AS cnt
  FROM m
)
SELECT sensor_id, hour_start_ms, name,
  count(*) AS n, avg(ts_ms) AS mean_t, avg(x) AS mean_x,
  coalesce(var_samp(ts_ms) * (count(*) - 1), 0) AS c_tt, coalesce(covar_samp(ts_ms, x) * (count(*) - 1), 0) AS c_tx,
  coalesce(var_samp(x) * (count(*) - 1), 0) AS c_xx,
  count(prev) AS steps_n, avg(prev) AS steps_prev, avg(${stepped('x')}) AS steps_x,
  coalesce(var_samp(prev) * (count(prev) - 1), 0) AS steps_c_pp, coalesce(covar_samp(prev, x) * (count(prev) - 1), 0) AS steps_c_px,
  coalesce(var_samp(${stepped('x')}) * (count(prev) - 1), 0) AS steps_c_xx,
  max(CASE WHEN rn = 1 THEN x END) AS first_x, max(CASE WHEN rn = cnt THEN x END) AS last_x
FROM o
GROUP BY sensor_id, hour_start_ms, name`;
}

/** Per sensor and hour, FAILED events of the device_status table. */
export function deviceFailuresSql(source: LakeSqlSource, scan: LakeScan): string {
  const d = dialectOf(source);
  return `WITH src AS (
  ${deduplicated(d, scan, 'sensor_id, ts, status')}
), f AS (
  SELECT sensor_id, ${d.epochMs("date_trunc('hour', ts)")} AS hour_start_ms, ${d.epochMs('ts')} AS ts_ms
  FROM src WHERE copy_no = 1 AND status = 'FAILED'
)
SELECT sensor_id, hour_start_ms, count(*) AS failures, max(ts_ms) AS last_failure_ms
FROM f
GROUP BY sensor_id, hour_start_ms`;
}

/** Checks that an engine and a source speak the same dialect (a wiring mistake otherwise). */
export function assertDialect(engine: SqlEngine, source: LakeSqlSource): void {
  if (engine.dialect !== source.kind) {
    throw new Error(`SQL engine speaks ${engine.dialect} but the lake source is for ${source.kind}`);
  }
}
