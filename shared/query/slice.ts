import { tableFromIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { decodeParquet } from '../lake/index.js';
import type { ObjectStore } from '../ports/index.js';
import { readColumn, type CellValue, type ColumnValues } from './columnar.js';
import { addToPartial, emptyMetricPartial, toWire, type GroupPartial, type GroupValue, type WireGroupPartial } from './partial.js';
import { DecodedFileCache, type DecodedFile } from './file-cache.js';
import { gatherValues, planGather } from './gather.js';
import type { QuerySlice } from './plan.js';
import { QUANTILES, TIME_BUCKETS, type GroupKey, type QuerySpec } from './spec.js';

/** Files a slice fetches at once. */
const FETCH_PARALLEL = 8;

/**
 * The order of rows in a rows result: event time, then sensor, then stream position. Numbers are
 * Float64Arrays as a slice makes them, plain arrays once the result has crossed a Lambda Invoke.
 */
export interface RowOrder {
  readonly ts: ArrayLike<number>;
  readonly sensor: readonly string[];
  readonly partition: ArrayLike<number>;
  readonly offset: ArrayLike<number>;
}

/**
 * Rows a slice picked, still in its files' columns (shared with the decoded-file cache: read,
 * never written): row r of the result is row `fromRow[r]` of file `fromFile[r]`, whose columns
 * are `files[fromFile[r]]` in the spec's order (null where the file lacks one).
 */
export interface PickedRows {
  /** How many columns: the spec's. */
  readonly width: number;
  readonly files: readonly (readonly (ColumnValues | null)[])[];
  readonly fromFile: Int32Array;
  readonly fromRow: Int32Array;
}

/**
 * What an executor returns for a slice. In process a rows result points into the files' columns
 * (`picked`), so the coordinator copies each value once, straight into the answer; across a
 * Lambda Invoke it goes as JSON through {@link sliceResultToWire} (`values`), and what comes back
 * parsed is a SliceResult as it is.
 */
export type SliceResult =
  | {
      readonly kind: 'aggregates';
      readonly sliceId: string;
      readonly filesRead: number;
      readonly rowsScanned: number;
      readonly groups: readonly WireGroupPartial[];
      /** Set when the slice alone found more groups than the query's limit (then `groups` is empty). */
      readonly tooManyGroups: number | null;
    }
  | {
      readonly kind: 'rows';
      readonly sliceId: string;
      readonly filesRead: number;
      readonly rowsScanned: number;
      /** The spec's columns, values column by column, at most `limit` rows in {@link RowOrder}; or `picked`. */
      readonly values?: readonly ColumnValues[];
      /** In process, instead of `values`: the same rows, not yet copied out of the files. */
      readonly picked?: PickedRows;
      readonly order: RowOrder;
      /** Rows the slice matched, before its limit. */
      readonly matched: number;
    };

/**
 * Runs one slice: reads its Parquet files through the ObjectStore (S3 on Lambda, the lake
 * directory locally), keeps the rows the spec selects and returns partial aggregates per group,
 * or the first `limit` rows in order. A file listed but gone (removed by an ingest retry
 * between listing and reading) is skipped. Decoded columns are kept in `cache` (the process's
 * own by default; null: none) when the store gives version tokens, so a warm executor reads a
 * file it has seen at the same version without fetching or decoding it again.
 */
export async function runQuerySlice(slice: QuerySlice, lake: ObjectStore, cache: DecodedFileCache | null = PROCESS_FILE_CACHE): Promise<SliceResult> {
  const { spec } = slice;
  const acc = spec.select === 'rows' ? new RowCollector(spec) : new GroupCollector(spec);
  const needed = columnsNeeded(spec);
  let filesRead = 0;
  let rowsScanned = 0;
  // Read ahead in parallel, fold in file order: the same plan then gives the same bits.
  const reads: Promise<DecodedFile | null>[] = [];
  const readUpTo = (n: number) => {
    while (reads.length < Math.min(n, slice.files.length)) reads.push(readFile(lake, slice.files[reads.length], needed, cache));
  };
  for (let i = 0; i < slice.files.length; i++) {
    readUpTo(i + FETCH_PARALLEL);
    const file = await reads[i];
    reads[i] = Promise.resolve(null); // let the columns go
    if (!file) continue;
    filesRead++;
    rowsScanned += file.numRows;
    if (!acc.full()) acc.add(file);
  }
  return acc.result(slice.sliceId, filesRead, rowsScanned);
}

/** The executor process's cache of decoded lake files (query mode). */
const PROCESS_FILE_CACHE = new DecodedFileCache();

/** The needed columns of one file, from the cache or decoded from its bytes; null when the file is gone. */
async function readFile(lake: ObjectStore, key: string, needed: readonly string[], cache: DecodedFileCache | null): Promise<DecodedFile | null> {
  const version = cache && lake.version ? await lake.version(key) : undefined;
  if (version === null) return null;
  const cached = version === undefined ? undefined : cache!.lookup(lake, key, version);
  const missing = cached ? needed.filter((c) => !cached.columns.has(c)) : needed;
  if (cached && missing.length === 0) return cached;
  const bytes = await lake.get(key);
  if (!bytes) return null;
  const table = decodeColumns(bytes, missing);
  const decoded = new Map<string, ColumnValues | null>(missing.map((c) => [c, readColumn(table, c)]));
  if (version === undefined) return { numRows: table.numRows, columns: decoded };
  // Rewritten between the two calls (a replay or compaction): these bytes may not be the version
  // looked up, so neither mix them with cached columns nor keep them; read the file afresh.
  if ((await lake.version!(key)) !== version || (cached && cached.numRows !== table.numRows)) return readFile(lake, key, needed, null);
  cache!.add(lake, key, version, table.numRows, decoded);
  return { numRows: table.numRows, columns: cached ? new Map([...cached.columns, ...decoded]) : decoded };
}

type Table = ReturnType<typeof decodeParquet>;

/** The columns a slice reads: what it filters, groups, orders and returns by. */
function columnsNeeded(spec: QuerySpec): string[] {
  const out = new Set<string>(['ts', 'sensor_id', ...spec.metrics, ...spec.columns]);
  if (spec.select === 'rows') for (const c of ['kafka_partition', 'kafka_offset']) out.add(c);
  if (spec.classifications || spec.groupBy.includes('classification')) out.add('anomaly_classification');
  if (spec.statuses) out.add('status');
  return [...out];
}

/**
 * Decodes only the given columns (a judged reading has 40-odd; a view needs a third of them),
 * or the whole file with the lake's decoder when the file lacks one (written before the
 * column existed): a missing column then reads as nulls.
 */
function decodeColumns(bytes: Uint8Array, columns: readonly string[]): Table {
  try {
    return tableFromIPC(parquet.readParquet(bytes, { columns: [...columns] }).intoIPCStream());
  } catch {
    return decodeParquet(bytes);
  }
}

type Column = ColumnValues;

/** A column of a decoded file, or null when the file lacks it. */
function column(file: DecodedFile, name: string): Column | null {
  return file.columns.get(name) ?? null;
}

/** Indices of the rows of `file` the spec's time range, sensors and filters select. */
function selectRows(spec: QuerySpec, file: DecodedFile): { rows: number[]; ts: Column; sensor: Column; classification: Column | null } {
  const ts = column(file, 'ts') ?? [];
  const sensor = column(file, 'sensor_id') ?? [];
  const classification = spec.classifications || spec.groupBy.includes('classification') ? column(file, 'anomaly_classification') : null;
  const status = spec.statuses ? column(file, 'status') : null;
  const sensors = spec.sensors ? new Set(spec.sensors) : null;
  const classes = spec.classifications ? new Set<CellValue>(spec.classifications) : null;
  const statuses = spec.statuses ? new Set<CellValue>(spec.statuses) : null;
  const rows: number[] = [];
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i] as number | null;
    if (t === null || t < spec.from || t >= spec.to) continue;
    const s = sensor[i] as string;
    if (sensors && !sensors.has(s)) continue;
    if (spec.sensorPrefix && !s.startsWith(spec.sensorPrefix)) continue;
    if (classes && !classes.has(classification![i])) continue;
    if (statuses && !statuses.has(status![i])) continue;
    rows.push(i);
  }
  return { rows, ts, sensor, classification };
}

interface Collector {
  add(file: DecodedFile): void;
  full(): boolean;
  result(sliceId: string, filesRead: number, rowsScanned: number): SliceResult;
}

/** Group key value of one row for one group_by entry. */
function keyValue(key: GroupKey, ts: number, sensor: string, classification: CellValue): GroupValue {
  switch (key) {
    case 'sensor': return sensor;
    case 'classification': return classification as string | null;
    case 'hour_of_day': return Math.floor(ts / TIME_BUCKETS.hour) % 24;
    default: return Math.floor(ts / TIME_BUCKETS[key]) * TIME_BUCKETS[key];
  }
}

class GroupCollector implements Collector {
  private readonly groups = new Map<string, GroupPartial>();
  private readonly withSketch: boolean;
  private overflow = false;
  constructor(private readonly spec: QuerySpec) {
    this.withSketch = spec.aggregates.some((a) => a in QUANTILES);
  }

  full(): boolean {
    return this.overflow;
  }

  add(file: DecodedFile): void {
    const { spec } = this;
    const { rows, ts, sensor, classification } = selectRows(spec, file);
    const metrics = spec.metrics.map((m) => column(file, m));
    const key: GroupValue[] = new Array(spec.groupBy.length);
    for (const i of rows) {
      for (let k = 0; k < key.length; k++) key[k] = keyValue(spec.groupBy[k], ts[i] as number, sensor[i] as string, classification?.[i] ?? null);
      const id = key.length === 0 ? '' : JSON.stringify(key);
      let g = this.groups.get(id);
      if (!g) {
        if (this.groups.size >= spec.limit) {
          this.overflow = true;
          return;
        }
        g = { key: key.slice(), count: 0, metrics: spec.metrics.map(() => emptyMetricPartial(this.withSketch)) };
        this.groups.set(id, g);
      }
      g.count++;
      for (let m = 0; m < metrics.length; m++) {
        const v = metrics[m]?.[i];
        if (typeof v === 'number') addToPartial(g.metrics[m], v);
      }
    }
  }

  result(sliceId: string, filesRead: number, rowsScanned: number): SliceResult {
    if (this.overflow) return { kind: 'aggregates', sliceId, filesRead, rowsScanned, groups: [], tooManyGroups: this.groups.size + 1 };
    return { kind: 'aggregates', sliceId, filesRead, rowsScanned, groups: [...this.groups.values()].map(toWire), tooManyGroups: null };
  }
}

/** The matched rows of one file, with the columns they are read from. */
interface Run {
  /** The spec's columns of the file (null where it lacks one). */
  readonly columns: readonly (Column | null)[];
  readonly ts: Column;
  readonly sensor: Column;
  readonly partition: Column;
  readonly offset: Column;
  /** Matched row indices, ascending. */
  readonly rows: Int32Array;
}

/** (ts, sensor, partition, offset) order of row i of run a against row j of run b; a missing partition or offset is -1. */
function compareRuns(a: Run, i: number, b: Run, j: number): number {
  return (
    (a.ts[i] as number) - (b.ts[j] as number) ||
    ((a.sensor[i] as string) < (b.sensor[j] as string) ? -1 : (a.sensor[i] as string) > (b.sensor[j] as string) ? 1 : 0) ||
    ((a.partition[i] as number | null) ?? -1) - ((b.partition[j] as number | null) ?? -1) ||
    ((a.offset[i] as number | null) ?? -1) - ((b.offset[j] as number | null) ?? -1)
  );
}

/**
 * True when the runs, one after another, are already in order: each file's matched rows in
 * order and each file starting at or after where the one before ended. That is the usual case
 * for a slice over one shard (files in stream order, a shard's readings mostly in time order),
 * and then the first `limit` rows are simply the first ones, with no sort.
 */
function runsInOrder(runs: readonly Run[]): boolean {
  for (let k = 0; k < runs.length; k++) {
    const run = runs[k];
    const rows = run.rows;
    if (k > 0) {
      const prev = runs[k - 1];
      if (compareRuns(prev, prev.rows[prev.rows.length - 1], run, rows[0]) > 0) return false;
    }
    for (let r = 1; r < rows.length; r++) if (compareRuns(run, rows[r - 1], run, rows[r]) > 0) return false;
  }
  return true;
}

class RowCollector implements Collector {
  private readonly runs: Run[] = [];
  private matched = 0;
  constructor(private readonly spec: QuerySpec) {}

  full(): boolean {
    return false;
  }

  add(file: DecodedFile): void {
    const { rows, ts, sensor } = selectRows(this.spec, file);
    if (rows.length === 0) return;
    // Columns are kept as read; values are copied once, by the coordinator's merge, for the rows
    // that make the limit.
    this.runs.push({
      columns: this.spec.columns.map((c) => (c === 'ts' ? ts : c === 'sensor_id' ? sensor : column(file, c))),
      ts,
      sensor,
      partition: column(file, 'kafka_partition') ?? [],
      offset: column(file, 'kafka_offset') ?? [],
      rows: Int32Array.from(rows),
    });
    this.matched += rows.length;
  }

  result(sliceId: string, filesRead: number, rowsScanned: number): SliceResult {
    const { runs } = this;
    const n = Math.min(this.spec.limit, this.matched);
    const fromFile = new Int32Array(n);
    const fromRow = new Int32Array(n);
    if (runsInOrder(runs)) {
      for (let k = 0, r = 0; k < runs.length && r < n; k++) {
        const rows = runs[k].rows;
        const take = Math.min(rows.length, n - r);
        fromFile.fill(k, r, r + take);
        fromRow.set(take === rows.length ? rows : rows.subarray(0, take), r);
        r += take;
      }
    } else {
      // Otherwise every matched row's key, sorted (stably, so equal keys keep file order as above).
      const all = { ts: new Array<number>(this.matched), sensor: new Array<string>(this.matched), partition: new Array<number>(this.matched), offset: new Array<number>(this.matched) };
      const fileOf = new Int32Array(this.matched);
      const rowOf = new Int32Array(this.matched);
      let at = 0;
      runs.forEach((run, k) => {
        for (const i of run.rows) {
          all.ts[at] = run.ts[i] as number;
          all.sensor[at] = run.sensor[i] as string;
          all.partition[at] = (run.partition[i] as number | null) ?? -1;
          all.offset[at] = (run.offset[i] as number | null) ?? -1;
          fileOf[at] = k;
          rowOf[at++] = i;
        }
      });
      const picked = firstInOrder(all, n);
      for (let r = 0; r < n; r++) {
        fromFile[r] = fileOf[picked[r]];
        fromRow[r] = rowOf[picked[r]];
      }
    }
    const ts = new Float64Array(n);
    for (let r = 0; r < n; r++) ts[r] = runs[fromFile[r]].ts[fromRow[r]] as number;
    // The rest of the order breaks ties on time only, which are rare: made on first read (the
    // merge's tie-break, or the wire form).
    let sensor: string[] | undefined;
    let partition: Float64Array | undefined;
    let offset: Float64Array | undefined;
    const order: RowOrder = {
      ts,
      get sensor() {
        if (!sensor) {
          sensor = new Array<string>(n);
          for (let r = 0; r < n; r++) sensor[r] = runs[fromFile[r]].sensor[fromRow[r]] as string;
        }
        return sensor;
      },
      get partition() {
        if (!partition) {
          partition = new Float64Array(n);
          for (let r = 0; r < n; r++) partition[r] = (runs[fromFile[r]].partition[fromRow[r]] as number | null) ?? -1;
        }
        return partition;
      },
      get offset() {
        if (!offset) {
          offset = new Float64Array(n);
          for (let r = 0; r < n; r++) offset[r] = (runs[fromFile[r]].offset[fromRow[r]] as number | null) ?? -1;
        }
        return offset;
      },
    };
    return {
      kind: 'rows',
      sliceId,
      filesRead,
      rowsScanned,
      picked: { width: this.spec.columns.length, files: runs.map((run) => run.columns), fromFile, fromRow },
      matched: this.matched,
      order,
    };
  }
}

/**
 * The result as it crosses a Lambda Invoke: JSON-safe, the picked rows' values copied out of the
 * files column by column, numbers as plain arrays (JSON.stringify would write a Float64Array as an
 * object keyed by index).
 */
export function sliceResultToWire(result: SliceResult): SliceResult {
  if (result.kind !== 'rows') return result;
  const plain = <T>(xs: ArrayLike<T>): T[] => Array.from(xs);
  const { order, picked, ...rest } = result;
  const plan = picked && planGather(picked.files.length, picked.fromFile, picked.fromRow);
  const values = picked ? Array.from({ length: picked.width }, (_, c) => gatherValues(picked.files.map((f) => f[c]), plan!)) : result.values!;
  return {
    ...rest,
    values: values.map((v) => (v instanceof Float64Array ? plain(v) : v)),
    order: { ts: plain(order.ts), sensor: order.sensor, partition: plain(order.partition), offset: plain(order.offset) },
  };
}

/** Indices of the first `limit` rows in (ts, sensor, partition, offset) order. */
export function firstInOrder(order: RowOrder, limit: number): number[] {
  const idx: number[] = new Array(order.ts.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  idx.sort((a, b) => compareOrder(order, a, order, b));
  return idx.length > limit ? idx.slice(0, limit) : idx;
}

export function compareOrder(x: RowOrder, i: number, y: RowOrder, j: number): number {
  return (
    x.ts[i] - y.ts[j] ||
    (x.sensor[i] < y.sensor[j] ? -1 : x.sensor[i] > y.sensor[j] ? 1 : 0) ||
    x.partition[i] - y.partition[j] ||
    x.offset[i] - y.offset[j]
  );
}
