import { flux, fluxDateTime, fluxExpression, fluxString, InfluxDB, type QueryApi } from '@influxdata/influxdb-client';
import { METRICS, parseReading, RecordValidationError, type Metric } from '../../readings/index.js';
import { HistoryFileError, type HistoryChunk, type HistoryReading, type HistorySource } from '../../refresh/index.js';
import { explainInfluxError, InfluxSettingError, type InfluxTarget } from './errors.js';

/** Where a reading field comes from in InfluxDB: a tag or a field of the measurement. */
export interface InfluxColumn {
  readonly kind: 'tag' | 'field';
  readonly name: string;
  /** Given on the command line (must exist) rather than a default (used when it exists). */
  readonly explicit: boolean;
}

/** Which InfluxDB tag or field feeds each reading field. */
export interface InfluxFieldMap {
  readonly sensor_id: InfluxColumn;
  readonly temperature?: InfluxColumn;
  readonly pressure?: InfluxColumn;
  readonly vibration?: InfluxColumn;
  readonly status?: InfluxColumn;
}

const TARGETS = ['sensor_id', ...METRICS, 'status'] as const;
type Target = (typeof TARGETS)[number];

/** The map when nothing is given: a `sensor_id` tag and fields named like the reading's. */
const DEFAULT_MAP: InfluxFieldMap = {
  sensor_id: { kind: 'tag', name: 'sensor_id', explicit: false },
  temperature: { kind: 'field', name: 'temperature', explicit: false },
  pressure: { kind: 'field', name: 'pressure', explicit: false },
  vibration: { kind: 'field', name: 'vibration', explicit: false },
  status: { kind: 'field', name: 'status', explicit: false },
};

/**
 * Parses `--map sensor_id=tag:device,temperature=temp_c,status=tag:state`: each entry is
 * reading-field=[tag:|field:]name. sensor_id comes from a tag and metrics from fields (the
 * defaults); status may be either. Unmapped fields keep their defaults, which are used only
 * when the measurement has them.
 */
export function parseInfluxMap(text: string | undefined): InfluxFieldMap {
  const map: Record<string, InfluxColumn> = { ...DEFAULT_MAP };
  const seen = new Set<string>();
  for (const part of (text ?? '').split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const target = part.slice(0, eq).trim() as Target;
    let source = part.slice(eq + 1).trim();
    if (eq < 0 || source === '') throw new InfluxSettingError('--map', `entry "${part}" must be field=[tag:|field:]name, e.g. temperature=temp_c or sensor_id=tag:device`);
    if (!TARGETS.includes(target)) throw new InfluxSettingError('--map', `"${target}" is not one of ${TARGETS.join(', ')}`);
    if (seen.has(target)) throw new InfluxSettingError('--map', `"${target}" is mapped twice`);
    seen.add(target);
    let kind: 'tag' | 'field' = target === 'sensor_id' ? 'tag' : 'field';
    const prefix = /^(tag|field):/.exec(source);
    if (prefix) {
      kind = prefix[1] as 'tag' | 'field';
      source = source.slice(prefix[0].length);
    }
    if (source === '') throw new InfluxSettingError('--map', `entry "${part}" names no ${kind}`);
    if (target === 'sensor_id' && kind !== 'tag') throw new InfluxSettingError('--map', `sensor_id=${kind}:${source}: the sensor must come from a tag (series are keyed by tags)`);
    if ((METRICS as readonly string[]).includes(target) && kind !== 'field') throw new InfluxSettingError('--map', `${target}=tag:${source}: metrics come from fields, not tags`);
    map[target] = { kind, name: source, explicit: true };
  }
  return map as unknown as InfluxFieldMap;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `15m`, `1h`, `30d`, `2w` as milliseconds; `option` names the setting in errors. */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) throw new InfluxSettingError(option, `"${text}" is not a duration like 90s, 15m, 1h, 30d or 2w`);
  return Number(m[1]) * UNITS[m[2]];
}

function parseInstant(text: string, now: number): number {
  const t = text.trim();
  if (t === 'now') return now;
  if (t.startsWith('-')) return now - parseDuration(t.slice(1), '--range');
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(t)) throw new InfluxSettingError('--range', `"${t}" needs a zone (e.g. 2026-01-01T00:00:00Z), or use a relative time like -30d`);
  const ms = Date.parse(t);
  if (!Number.isFinite(ms)) throw new InfluxSettingError('--range', `"${t}" is not an ISO-8601 time or a relative time like -30d`);
  return ms;
}

/**
 * `--range START/STOP` (ISO-8601 with a zone, `now`, or relative like `-30d`), or one relative
 * start such as `-30d` meaning up to now. Start is inclusive, stop exclusive, as in Flux.
 */
export function parseRange(text: string, now: number): { start: number; stop: number } {
  const [a, b, extra] = text.split('/');
  if (extra !== undefined || a === undefined || a.trim() === '') throw new InfluxSettingError('--range', `"${text}" must be START/STOP or a relative start like -30d`);
  const start = parseInstant(a, now);
  const stop = b === undefined ? now : parseInstant(b, now);
  if (!(stop > start)) throw new InfluxSettingError('--range', `stop ${new Date(stop).toISOString()} is not after start ${new Date(start).toISOString()}`);
  return { start, stop };
}

export interface InfluxHistorySourceOptions {
  readonly url: string;
  readonly token?: string;
  readonly org: string;
  readonly bucket: string;
  readonly measurement: string;
  readonly range: { readonly start: number; readonly stop: number };
  readonly map: InfluxFieldMap;
  /** Time span of one Flux query. @default 1 hour */
  readonly pageMs?: number;
  /** Readings per chunk handed to the backfill. @default 50000 */
  readonly chunkRows?: number;
  /** Per-request timeout. @default 60000 */
  readonly timeoutMs?: number;
  /** How settings are named in errors. @default the backfill's command-line options */
  readonly names?: InfluxTarget['names'];
  /** Upper bound for event times, as the stream's record timestamp is. @default Date.now */
  readonly now?: () => number;
}

/** The map resolved against the measurement's actual tags and fields. */
interface ResolvedColumns {
  readonly sensorTag: string;
  readonly metrics: Partial<Record<Metric, string>>;
  readonly status: InfluxColumn | null;
  readonly fields: readonly string[];
}

const CLI_NAMES: InfluxTarget['names'] = { url: '--url / INFLUX_URL', token: '--token / INFLUX_TOKEN', org: '--org / INFLUX_ORG', bucket: '--bucket / INFLUX_BUCKET' };

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * History from InfluxDB 2.x: pages through the range with one Flux query per `pageMs`
 * (filter by measurement and the mapped fields, pivot fields into columns), maps tags and
 * fields to readings and validates them as the stream does. Before reading any page it checks
 * the measurement's tags and fields against the map, so a bad mapping fails before anything is
 * staged. Row numbers (in query order) are the readings' stream offsets, so importing the same
 * range again overwrites the same lake files.
 *
 * @example
 * const source = influxHistorySource({ url, token, org: 'plant', bucket: 'sensor_metrics', measurement: 'pump',
 *   range: parseRange('-30d', Date.now()), map: parseInfluxMap('sensor_id=tag:device,temperature=temp_c') });
 * await backfill([source], lake);
 */
export function influxHistorySource(options: InfluxHistorySourceOptions): HistorySource {
  const { start, stop } = options.range;
  const names = options.names ?? CLI_NAMES;
  const target: InfluxTarget = { url: options.url, org: options.org, bucket: options.bucket, names };
  const pageMs = options.pageMs ?? 3_600_000;
  const chunkRows = options.chunkRows ?? 50_000;
  const now = options.now ?? Date.now;
  if (!/^https?:\/\/[^/]/.test(options.url)) throw new InfluxSettingError(names.url, `"${options.url}" is not a URL like http://localhost:8086`);
  const host = new URL(options.url).host;
  const name = `influx://${host}/${options.org}/${options.bucket}/${options.measurement}?range=${iso(start)}/${iso(stop)}`;
  const api = new InfluxDB({ url: options.url, token: options.token, timeout: options.timeoutMs ?? 60_000 }).getQueryApi(options.org);

  return {
    name,
    size: stop - start,
    async *chunks(): AsyncGenerator<HistoryChunk> {
      const columns = await resolveColumns(api, options, target);
      let line = 0;
      for (let t = start; t < stop; t += pageMs) {
        const end = Math.min(stop, t + pageMs);
        let readings: HistoryReading[] = [];
        try {
          for await (const { values, tableMeta } of api.iterateRows(pageQuery(options, columns, t, end))) {
            line++;
            readings.push({ reading: toReading(tableMeta.toObject(values), columns, name, line, now()), line });
            if (readings.length >= chunkRows) {
              yield { readings, progress: t - start };
              readings = [];
            }
          }
        } catch (e) {
          throw e instanceof HistoryFileError ? e : explainInfluxError(e, target);
        }
        yield { readings, progress: end - start };
      }
    },
  };
}

function pageQuery(o: InfluxHistorySourceOptions, c: ResolvedColumns, start: number, stop: number) {
  const fieldFilter = fluxExpression(c.fields.map((f) => `r._field == ${fluxString(f)}`).join(' or '));
  const keep = fluxExpression(`[${['_time', c.sensorTag, ...c.fields, ...(c.status?.kind === 'tag' ? [c.status.name] : [])].map((k) => String(fluxString(k))).join(', ')}]`);
  return flux`from(bucket: ${o.bucket})
  |> range(start: ${fluxDateTime(iso(start))}, stop: ${fluxDateTime(iso(stop))})
  |> filter(fn: (r) => r._measurement == ${o.measurement} and (${fieldFilter}))
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> keep(columns: ${keep})`;
}

async function schemaKeys(api: QueryApi, fn: 'measurementTagKeys' | 'measurementFieldKeys', o: InfluxHistorySourceOptions, target: InfluxTarget): Promise<string[]> {
  const query = flux`import "influxdata/influxdb/schema"
schema.${fluxExpression(fn)}(bucket: ${o.bucket}, measurement: ${o.measurement}, start: ${fluxDateTime(iso(o.range.start))}, stop: ${fluxDateTime(iso(o.range.stop))})`;
  try {
    const rows = await api.collectRows<string>(query, (values, meta) => String(meta.get(values, '_value')));
    return rows.filter((k) => !k.startsWith('_'));
  } catch (e) {
    throw explainInfluxError(e, target);
  }
}

/** Checks the map against the measurement's tags and fields in the range; names `--map` or `--measurement` on a mismatch. */
async function resolveColumns(api: QueryApi, o: InfluxHistorySourceOptions, target: InfluxTarget): Promise<ResolvedColumns> {
  const [tags, fields] = await Promise.all([schemaKeys(api, 'measurementTagKeys', o, target), schemaKeys(api, 'measurementFieldKeys', o, target)]);
  const window = `between ${iso(o.range.start)} and ${iso(o.range.stop)}`;
  if (fields.length === 0) {
    throw new InfluxSettingError('--measurement', `bucket "${o.bucket}" has no measurement "${o.measurement}" with data ${window}; check --measurement and --range`);
  }
  const has = (c: InfluxColumn) => (c.kind === 'tag' ? tags : fields).includes(c.name);
  const missing = (target: string, c: InfluxColumn) =>
    new InfluxSettingError('--map', `${target}=${c.kind}:${c.name}: measurement "${o.measurement}" has no ${c.kind} "${c.name}" ${window}; its ${c.kind}s are ${(c.kind === 'tag' ? tags : fields).join(', ') || '(none)'}`);
  const m = o.map;
  if (!has(m.sensor_id)) throw missing('sensor_id', m.sensor_id);
  const metrics: Partial<Record<Metric, string>> = {};
  for (const metric of METRICS) {
    const c = m[metric];
    if (!c) continue;
    if (has(c)) metrics[metric] = c.name;
    else if (c.explicit) throw missing(metric, c);
  }
  if (Object.keys(metrics).length === 0) {
    throw new InfluxSettingError('--map', `no metric maps to a field of "${o.measurement}"; map at least one, e.g. temperature=${fields[0]} (its fields are ${fields.join(', ')})`);
  }
  let status: InfluxColumn | null = null;
  if (m.status && has(m.status)) status = m.status;
  else if (m.status?.explicit) throw missing('status', m.status);
  const queried = [...new Set([...Object.values(metrics), ...(status?.kind === 'field' ? [status.name] : [])])];
  return { sensorTag: m.sensor_id.name, metrics, status, fields: queried };
}

/** One pivoted row as a validated reading, or a HistoryFileError naming the source, row and column. */
function toReading(row: Record<string, unknown>, c: ResolvedColumns, source: string, line: number, now: number) {
  const time = row._time;
  const ts = typeof time === 'string' ? Date.parse(time) : NaN;
  if (!Number.isFinite(ts)) throw new HistoryFileError(source, line, '_time', `time ${JSON.stringify(time)} is not RFC 3339`, { unit: 'row' });
  const value = (col: string | undefined) => (col === undefined ? null : (row[col] ?? null));
  const status = c.status ? value(c.status.name) : null;
  const body = {
    sensor_id: row[c.sensorTag],
    // Whole milliseconds: the lake keeps millisecond event times.
    ts: Math.floor(ts),
    temperature: value(c.metrics.temperature),
    pressure: value(c.metrics.pressure),
    vibration: value(c.metrics.vibration),
    status: status === '' ? null : status,
  };
  try {
    return parseReading(body, Math.max(now, ts));
  } catch (e) {
    if (!(e instanceof RecordValidationError)) throw e;
    const columnOf: Record<string, string | undefined> = { sensor_id: c.sensorTag, ts: '_time', status: c.status?.name, ...c.metrics };
    const column = (e.field && columnOf[e.field]) ?? e.field;
    throw new HistoryFileError(source, line, column, `${e.reason} (at ${time}); check --map`, { unit: 'row', cause: e });
  }
}
