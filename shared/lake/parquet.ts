import {
  Bool,
  Float64,
  Int32,
  Int64,
  Table,
  TimestampMillisecond,
  Utf8,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
  type DataType,
  type Vector,
} from 'apache-arrow';
import * as parquet from 'parquet-wasm';

/** Column types the lake uses; each maps to one Arrow type (and so one Parquet and SQL type). */
export type LakeColumnType = 'string' | 'timestamp' | 'double' | 'int' | 'bigint' | 'boolean';
export type LakeSchema = readonly (readonly [string, LakeColumnType])[];

function arrowType(t: LakeColumnType): DataType {
  switch (t) {
    case 'string': return new Utf8();
    case 'timestamp': return new TimestampMillisecond();
    case 'double': return new Float64();
    case 'int': return new Int32();
    case 'bigint': return new Int64();
    case 'boolean': return new Bool();
  }
}

/** Builds an Arrow table from row objects, column by column, following the schema. */
export function rowsToArrow<T extends object>(schema: LakeSchema, rows: readonly T[]): Table {
  const columns: Record<string, Vector> = {};
  for (const [name, type] of schema) {
    const values = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const v = (rows[i] as Record<string, unknown>)[name];
      values[i] = v === undefined ? null : type === 'bigint' && v !== null ? BigInt(v as number) : v;
    }
    columns[name] = vectorFromArray(values, arrowType(type));
  }
  return new Table(columns);
}

/** Encodes rows as one Parquet file (ZSTD), the lake's file format. */
export function encodeParquet<T extends object>(schema: LakeSchema, rows: readonly T[]): Uint8Array {
  const ipc = tableToIPC(rowsToArrow(schema, rows), 'stream');
  const props = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.ZSTD).build();
  return parquet.writeParquet(parquet.Table.fromIPCStream(ipc), props);
}

/** Decodes a Parquet file into an Arrow table. */
export function decodeParquet(bytes: Uint8Array): Table {
  return tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
}
