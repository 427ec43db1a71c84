import { Bool, Float64, Int32, Int64, makeData, makeVector, Table, TimestampMillisecond, Utf8, tableToIPC, type DataType, type Vector } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { ENRICHED_COLUMNS } from '../judgment/index.js';
import { columnVector, type LakeColumnType } from '../lake/index.js';
import { METRICS } from '../readings/index.js';
import type { HistoryReading } from './history.js';

/**
 * Backfilled rows as one Parquet file of the lake's readings schema, built column by column
 * from typed arrays: the generic row-object path builds every string cell through Arrow's
 * builders, which is what limits an import. Judgment columns are all null (rows are not judged);
 * the file reads exactly like an executor batch file (same columns, types, ZSTD).
 */
export function encodeBackfillParquet(rows: readonly HistoryReading[], topic: string, partition: number): Uint8Array {
  const n = rows.length;
  const columns: Record<string, Vector> = {};
  const ts = new BigInt64Array(n);
  const offsets = new BigInt64Array(n);
  const hours = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i].reading;
    ts[i] = BigInt(r.ts);
    offsets[i] = BigInt(rows[i].line);
    hours[i] = new Date(r.ts).getUTCHours();
  }
  const given: Record<string, () => Vector> = {
    sensor_id: () => strings(rows.map((h) => h.reading.sensor_id)),
    ts: () => makeVector(makeData({ type: new TimestampMillisecond(), length: n, nullCount: 0, data: ts as never })),
    status: () => strings(rows.map((h) => h.reading.status)),
    kafka_topic: () => strings(new Array<string>(n).fill(topic)),
    kafka_partition: () => makeVector(makeData({ type: new Int32(), length: n, nullCount: 0, data: new Int32Array(n).fill(partition) })),
    kafka_offset: () => makeVector(makeData({ type: new Int64(), length: n, nullCount: 0, data: offsets as never })),
    late: () => makeVector(makeData({ type: new Bool(), length: n, nullCount: 0, data: new Uint8Array(Math.ceil(n / 8)) })),
    hour_of_day: () => makeVector(makeData({ type: new Int32(), length: n, nullCount: 0, data: hours })),
    reading_count: () => makeVector(makeData({ type: new Int64(), length: n, nullCount: 0, data: new BigInt64Array(n) as never })),
    historical_failure_count: () => makeVector(makeData({ type: new Int64(), length: n, nullCount: 0, data: new BigInt64Array(n) as never })),
  };
  for (const m of METRICS) given[m] = () => doubles(rows.map((h) => h.reading[m]));
  // Extra channels are history too: the refresh builds the channel profile from them.
  given.channels = () => columnVector('string', rows.map((h) => (h.reading.channels ? JSON.stringify(h.reading.channels) : null)));
  for (const [name, type] of ENRICHED_COLUMNS) columns[name] = given[name] ? given[name]() : nulls(type, n);
  const props = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.ZSTD).build();
  return parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(new Table(columns), 'stream')), props);
}

function strings(values: readonly string[]): Vector {
  const encoder = new TextEncoder();
  const cache = new Map<string, Uint8Array>();
  const parts: Uint8Array[] = new Array(values.length);
  const valueOffsets = new Int32Array(values.length + 1);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    let b = cache.get(values[i]);
    if (!b) cache.set(values[i], (b = encoder.encode(values[i])));
    parts[i] = b;
    total += b.length;
    valueOffsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < parts.length; i++) data.set(parts[i], valueOffsets[i]);
  return makeVector(makeData({ type: new Utf8(), length: values.length, nullCount: 0, valueOffsets, data }));
}

function doubles(values: readonly (number | null)[]): Vector {
  const n = values.length;
  const data = new Float64Array(n);
  const bitmap = new Uint8Array(Math.ceil(n / 8));
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) nulls++;
    else {
      data[i] = v;
      bitmap[i >> 3] |= 1 << (i & 7);
    }
  }
  return makeVector(makeData({ type: new Float64(), length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : undefined, data }));
}

function nulls(type: LakeColumnType, n: number): Vector {
  const nullBitmap = new Uint8Array(Math.ceil(n / 8));
  const t: DataType = { string: new Utf8(), timestamp: new TimestampMillisecond(), double: new Float64(), int: new Int32(), bigint: new Int64(), boolean: new Bool() }[type];
  switch (type) {
    case 'string':
      return makeVector(makeData({ type: t as Utf8, length: n, nullCount: n, nullBitmap, valueOffsets: new Int32Array(n + 1), data: new Uint8Array(0) }));
    case 'double':
      return makeVector(makeData({ type: t as Float64, length: n, nullCount: n, nullBitmap, data: new Float64Array(n) }));
    case 'int':
      return makeVector(makeData({ type: t as Int32, length: n, nullCount: n, nullBitmap, data: new Int32Array(n) }));
    case 'boolean':
      return makeVector(makeData({ type: t as Bool, length: n, nullCount: n, nullBitmap, data: new Uint8Array(Math.ceil(n / 8)) }));
    default:
      return makeVector(makeData({ type: t as Int64, length: n, nullCount: n, nullBitmap, data: new BigInt64Array(n) as never }));
  }
}
