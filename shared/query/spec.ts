import { ANOMALY_CLASSIFICATIONS, type AnomalyClassification, type EnrichedColumn } from '../judgment/index.js';
import { parseEventTime, parseReading, RecordValidationError, SENSOR_STATUS, type SensorStatus } from '../readings/index.js';
import { isMetricColumn, isQueryColumn, METRIC_COLUMNS, QUERY_COLUMNS } from './columns.js';
import type { QueryConfig } from './config.js';
import { QueryLimitError, QuerySpecError } from './errors.js';

/** What a result can be grouped by. At most one time bucket (minute, hour or day). */
export const GROUP_KEYS = ['sensor', 'minute', 'hour', 'day', 'hour_of_day', 'classification'] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];
export const TIME_BUCKETS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** Aggregates per metric; `count` counts readings in the group. Quantiles come from DDSketch (1 % relative error). */
export const AGGREGATES = ['count', 'sum', 'mean', 'min', 'max', 'stddev', 'p50', 'p95', 'p99'] as const;
export type Aggregate = (typeof AGGREGATES)[number];
export const QUANTILES: Partial<Record<Aggregate, number>> = { p50: 0.5, p95: 0.95, p99: 0.99 };

export const SPEC_KEYS = ['sensors', 'sensor_prefix', 'from', 'to', 'where', 'select', 'group_by', 'metrics', 'aggregates', 'columns', 'limit', 'fan_out'] as const;
const WHERE_KEYS = ['classification', 'status'] as const;
const STATUSES = Object.values(SENSOR_STATUS);

/**
 * A validated query, normalised (defaults applied, times as epoch ms), JSON-safe so it travels
 * to executors unchanged. Built only by {@link parseQuerySpec}.
 */
export interface QuerySpec {
  /** Sensor ids, or null for every sensor (then `sensorPrefix` may narrow). */
  readonly sensors: readonly string[] | null;
  readonly sensorPrefix: string | null;
  /** Event-time range [from, to), epoch ms. */
  readonly from: number;
  readonly to: number;
  readonly classifications: readonly AnomalyClassification[] | null;
  readonly statuses: readonly SensorStatus[] | null;
  readonly select: 'aggregates' | 'rows';
  readonly groupBy: readonly GroupKey[];
  readonly metrics: readonly EnrichedColumn[];
  readonly aggregates: readonly Aggregate[];
  /** Rows mode: the columns returned. */
  readonly columns: readonly EnrichedColumn[];
  /** Rows mode: most rows returned; aggregates: most groups allowed. */
  readonly limit: number;
  readonly fanOut: number;
}

/**
 * Validates a query spec (the body of POST /query) against the configured limits.
 * Throws {@link QuerySpecError} (400) naming the field and what to send, or
 * {@link QueryLimitError} (422) naming the limit and how to narrow the query.
 *
 * @example
 * parseQuerySpec({ sensors: ['pump-7'], from: '2026-11-24T00:00:00Z', to: '2026-11-25T00:00:00Z',
 *   group_by: ['hour'], metrics: ['temperature'], aggregates: ['count', 'mean', 'p95'] }, config, Date.now())
 */
export function parseQuerySpec(body: unknown, config: QueryConfig, now: number): QuerySpec {
  const { limits } = config;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new QuerySpecError('body', `must be a JSON object with keys such as ${SPEC_KEYS.join(', ')}; got ${describe(body)}`);
  }
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!(SPEC_KEYS as readonly string[]).includes(k)) throw new QuerySpecError(truncate(k), `is not a query field; use one of ${SPEC_KEYS.join(', ')}`);
  }

  let sensors: string[] | null = null;
  if (b.sensors !== undefined && b.sensors !== null) {
    const list = Array.isArray(b.sensors) ? b.sensors : [b.sensors];
    if (list.length === 0) throw new QuerySpecError('sensors', 'must list at least one sensor id, or be left out for every sensor');
    if (list.length > limits.maxSensors) {
      throw new QueryLimitError('maxSensors (TIDELINE_QUERY_MAX_SENSORS)', 'sensors', `lists ${list.length} sensors, over the maximum of ${limits.maxSensors}; use sensor_prefix or split the query`);
    }
    sensors = [...new Set(list.map((v, i) => sensorId(v, `sensors[${i}]`)))];
  }
  let sensorPrefix: string | null = null;
  if (b.sensor_prefix !== undefined && b.sensor_prefix !== null) {
    if (sensors) throw new QuerySpecError('sensor_prefix', 'give either sensors or sensor_prefix, not both');
    sensorPrefix = sensorId(b.sensor_prefix, 'sensor_prefix');
  }

  const to = b.to === undefined || b.to === null ? now : parseQueryTime(b.to, 'to');
  const from = b.from === undefined || b.from === null ? to - config.defaultRangeMs : parseQueryTime(b.from, 'from');
  if (from >= to) throw new QuerySpecError('from', `must be before to; got from ${iso(from)} and to ${iso(to)}`);
  if (to - from > limits.maxRangeMs) {
    throw new QueryLimitError(
      'maxRangeMs (TIDELINE_QUERY_MAX_RANGE_HOURS)',
      'from',
      `the range ${iso(from)} … ${iso(to)} is ${hours(to - from)} h, over the maximum of ${hours(limits.maxRangeMs)} h; narrow from/to or split the query`,
    );
  }

  let classifications: AnomalyClassification[] | null = null;
  let statuses: SensorStatus[] | null = null;
  if (b.where !== undefined && b.where !== null) {
    if (typeof b.where !== 'object' || Array.isArray(b.where)) throw new QuerySpecError('where', `must be an object such as {"classification": ["CRITICAL_ANOMALY"]}; got ${describe(b.where)}`);
    const w = b.where as Record<string, unknown>;
    for (const k of Object.keys(w)) {
      if (!(WHERE_KEYS as readonly string[]).includes(k)) throw new QuerySpecError(`where.${truncate(k)}`, `is not a filter; use ${WHERE_KEYS.join(' or ')}`);
    }
    if (w.classification !== undefined) classifications = oneOfList(w.classification, ANOMALY_CLASSIFICATIONS, 'where.classification');
    if (w.status !== undefined) statuses = oneOfList(w.status, STATUSES, 'where.status');
  }

  const select = b.select === undefined || b.select === null ? 'aggregates' : b.select;
  if (select !== 'aggregates' && select !== 'rows') throw new QuerySpecError('select', `must be "aggregates" or "rows"; got ${describe(select)}`);

  const fanOut = b.fan_out === undefined || b.fan_out === null ? config.defaultFanOut : positiveInt(b.fan_out, 'fan_out');
  if (fanOut > limits.maxFanOut) {
    throw new QueryLimitError('maxFanOut (TIDELINE_QUERY_MAX_FAN_OUT)', 'fan_out', `${fanOut} is over the maximum of ${limits.maxFanOut}; ask for ${limits.maxFanOut} or fewer`);
  }
  const limit = b.limit === undefined || b.limit === null ? (select === 'rows' ? config.defaultRows : limits.maxRows) : positiveInt(b.limit, 'limit');
  if (limit > limits.maxRows) {
    throw new QueryLimitError('maxRows (TIDELINE_QUERY_MAX_ROWS)', 'limit', `${limit} is over the maximum of ${limits.maxRows} rows; ask for fewer, or narrow the time range or sensors and page by time`);
  }

  const base = { sensors, sensorPrefix, from, to, classifications, statuses, limit, fanOut };
  if (select === 'rows') {
    for (const k of ['group_by', 'metrics', 'aggregates'] as const) {
      if (b[k] !== undefined) throw new QuerySpecError(k, 'applies to select "aggregates" only; with select "rows" give columns and limit');
    }
    const columns = b.columns === undefined || b.columns === null ? [...QUERY_COLUMNS] : distinct(list(b.columns, 'columns', isQueryColumn, `a column of the judged reading (${QUERY_COLUMNS.join(', ')})`), 'columns');
    if (columns.length === 0) throw new QuerySpecError('columns', 'must name at least one column, or be left out for all');
    return { ...base, select, groupBy: [], metrics: [], aggregates: [], columns };
  }

  if (b.columns !== undefined) throw new QuerySpecError('columns', 'applies to select "rows" only; for aggregates give metrics and aggregates');
  const groupBy = b.group_by === undefined || b.group_by === null ? [] : distinct(list(b.group_by, 'group_by', (v): v is GroupKey => (GROUP_KEYS as readonly unknown[]).includes(v), GROUP_KEYS.join(', ')), 'group_by');
  if (groupBy.filter((g) => g in TIME_BUCKETS).length > 1) throw new QuerySpecError('group_by', 'may hold one time bucket (minute, hour or day), not several');
  const aggregates = b.aggregates === undefined || b.aggregates === null ? ['count' as const] : distinct(list(b.aggregates, 'aggregates', (v): v is Aggregate => (AGGREGATES as readonly unknown[]).includes(v), AGGREGATES.join(', ')), 'aggregates');
  if (aggregates.length === 0) throw new QuerySpecError('aggregates', `must name at least one of ${AGGREGATES.join(', ')}`);
  const metrics = b.metrics === undefined || b.metrics === null ? [] : distinct(list(b.metrics, 'metrics', isMetricColumn, `a numeric column (${METRIC_COLUMNS.join(', ')})`), 'metrics');
  if (metrics.length === 0 && aggregates.some((a) => a !== 'count')) {
    throw new QuerySpecError('metrics', `name the columns to aggregate, e.g. ["temperature"]; allowed: ${METRIC_COLUMNS.join(', ')}`);
  }
  return { ...base, select, groupBy, metrics, aggregates, columns: [] };
}

function sensorId(v: unknown, field: string): string {
  try {
    // The same rule the ingest path applies, so every id a query can name is one a reading can carry.
    return parseReading({ sensor_id: v, ts: Date.UTC(2020, 0, 1) }, 0).sensor_id;
  } catch (e) {
    if (e instanceof RecordValidationError) throw new QuerySpecError(field, e.reason.replace(/^sensor_id /, ''));
    throw e;
  }
}

/** A time as the API accepts it (ISO-8601 with a zone, or epoch ms), or a QuerySpecError naming `field`. */
export function parseQueryTime(v: unknown, field: string): number {
  // Outside ±8.64e15 a Date cannot print the value, so the message would fail instead of the check.
  if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) > LATEST_TIME) throw new QuerySpecError(field, `${v} is outside 2000-01-01 … 9999-12-31; send epoch milliseconds or ISO-8601`);
  try {
    const ms = parseEventTime(v, 0);
    if (ms > LATEST_TIME) throw new QuerySpecError(field, `${ms} is after 9999-12-31; send epoch milliseconds or ISO-8601`);
    return ms;
  } catch (e) {
    if (e instanceof RecordValidationError) throw new QuerySpecError(field, e.reason.replace(/^ts /, ''));
    throw e;
  }
}

function positiveInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new QuerySpecError(field, `must be a positive integer; got ${describe(v)}`);
  return v;
}

function list<T>(v: unknown, field: string, ok: (x: unknown) => x is T, allowed: string): T[] {
  const items = Array.isArray(v) ? v : [v];
  return items.map((x, i) => {
    if (!ok(x)) throw new QuerySpecError(Array.isArray(v) ? `${field}[${i}]` : field, `${describe(x)} is not ${allowed.includes(',') && !allowed.startsWith('a ') ? `one of ${allowed}` : allowed}`);
    return x;
  });
}

function oneOfList<T extends string>(v: unknown, allowed: readonly T[], field: string): T[] {
  const out = distinct(list(v, field, (x): x is T => (allowed as readonly unknown[]).includes(x), allowed.join(', ')), field);
  if (out.length === 0) throw new QuerySpecError(field, `must list at least one of ${allowed.join(', ')}`);
  return out;
}

function distinct<T>(items: T[], field: string): T[] {
  const seen = new Set<T>();
  items.forEach((x, i) => {
    if (seen.has(x)) throw new QuerySpecError(`${field}[${i}]`, `${describe(x)} is listed twice; list each once`);
    seen.add(x);
  });
  return items;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(truncate(v));
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${truncate(String(v))}`;
}

function truncate(s: string, max = 64): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** The last instant a Date can print; later epoch values are almost always a unit mistake. */
const LATEST_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const iso = (ms: number) => new Date(ms).toISOString();
const hours = (ms: number) => Math.round((ms / 3_600_000) * 100) / 100;
