import {
  Bool,
  Float64,
  Int32,
  Int64,
  Table,
  TimestampMillisecond,
  Utf8,
  makeData,
  makeVector,
  tableToIPC,
  vectorFromArray,
  type DataType,
  type Vector,
} from 'apache-arrow';
import type { LakeColumnType } from '../lake/index.js';
import type { CellValue } from './columnar.js';
import type { QueryResult } from './merge.js';

/** The media type of an Arrow IPC stream, which pyarrow and DuckDB read as they are. */
export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

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

/** A double column straight into its buffers (the builder path is several times slower). */
function doubleVector(values: readonly CellValue[]): Vector {
  const data = new Float64Array(values.length);
  const validity = new Uint8Array((values.length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) nulls++;
    else {
      data[i] = v as number;
      validity[i >> 3] |= 1 << (i & 7);
    }
  }
  return makeVector(makeData({ type: new Float64(), length: values.length, nullCount: nulls, nullBitmap: nulls ? validity : null, data }));
}

/** The result as an Arrow table: one column per result column, typed from the lake schema. */
export function resultToArrow(result: QueryResult): Table {
  const columns: Record<string, Vector> = {};
  result.columns.forEach((c, i) => {
    const values = result.values[i];
    if (c.type === 'double') columns[c.name] = doubleVector(values);
    else if (c.type === 'bigint') columns[c.name] = vectorFromArray(values.map((v) => (v === null ? null : BigInt(v as number))), new Int64());
    else columns[c.name] = vectorFromArray(values as unknown[], arrowType(c.type));
  });
  return new Table(columns);
}

/** Arrow IPC stream bytes of the result. */
export function resultToArrowStream(result: QueryResult): Uint8Array {
  return tableToIPC(resultToArrow(result), 'stream');
}

/** The result as JSON rows: one object per row, timestamps as ISO-8601 (UTC). */
export function resultToJsonRows(result: QueryResult): Record<string, CellValue>[] {
  const rows: Record<string, CellValue>[] = new Array(result.rowCount);
  const stamps = result.columns.map((c) => c.type === 'timestamp');
  for (let r = 0; r < result.rowCount; r++) {
    const row: Record<string, CellValue> = {};
    for (let c = 0; c < result.columns.length; c++) {
      const v = result.values[c][r];
      row[result.columns[c].name] = stamps[c] && v !== null ? new Date(v as number).toISOString() : v;
    }
    rows[r] = row;
  }
  return rows;
}
