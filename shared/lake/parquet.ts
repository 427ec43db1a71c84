import { Table, tableFromIPC, tableToIPC, type Vector } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { columnVector, type LakeCell } from './arrow-columns.js';

/** Column types the lake uses; each maps to one Arrow type (and so one Parquet and SQL type). */
export type LakeColumnType = 'string' | 'timestamp' | 'double' | 'int' | 'bigint' | 'boolean';
export type LakeSchema = readonly (readonly [string, LakeColumnType])[];

/** Builds an Arrow table from row objects, column by column, following the schema. */
export function rowsToArrow<T extends object>(schema: LakeSchema, rows: readonly T[]): Table {
  const columns: Record<string, Vector> = {};
  for (const [name, type] of schema) {
    const values = new Array<LakeCell>(rows.length);
    for (let i = 0; i < rows.length; i++) values[i] = (rows[i] as Record<string, LakeCell>)[name];
    columns[name] = columnVector(type, values);
  }
  return new Table(columns);
}

/** Encodes rows as one Parquet file (ZSTD), the lake's file format. */
export function encodeParquet<T extends object>(schema: LakeSchema, rows: readonly T[]): Uint8Array {
  return arrowToParquet(rowsToArrow(schema, rows));
}

/** Encodes an Arrow table as one Parquet file (ZSTD). */
export function arrowToParquet(table: Table): Uint8Array {
  const ipc = tableToIPC(table, 'stream');
  const props = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.ZSTD).build();
  return parquet.writeParquet(parquet.Table.fromIPCStream(ipc), props);
}

/** Decodes a Parquet file into an Arrow table. */
export function decodeParquet(bytes: Uint8Array): Table {
  return tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
}
