import { Float64, Table, TimestampMillisecond, makeData, makeVector, type Vector } from 'apache-arrow';
import { columnVector, type LakeCell } from './arrow-columns.js';
import { arrowToParquet, type LakeSchema } from './parquet.js';

/**
 * A column handed to the lake writer as values: cells (a typed array when it holds no null), or
 * doubles with NaN standing for null, as a judged batch keeps them.
 */
export type LakeColumnValues = ArrayLike<LakeCell> | NaNNullDoubles;

/** Doubles in which NaN means null. */
export interface NaNNullDoubles {
  readonly nanIsNull: Float64Array;
}

function isNaNNull(values: LakeColumnValues): values is NaNNullDoubles {
  return (values as NaNNullDoubles).nanIsNull !== undefined;
}

/** A double or timestamp column from doubles with NaN for null: the bitmap from the NaNs. */
function nanNullVector(type: 'double' | 'timestamp', values: Float64Array): Vector {
  const length = values.length;
  const bitmap = new Uint8Array((length + 7) >> 3);
  let nulls = 0;
  let data = values;
  for (let i = 0; i < length; i++) {
    if (values[i] === values[i]) bitmap[i >> 3] |= 1 << (i & 7);
    else {
      // Arrow leaves a null slot's value unspecified; 0 keeps files byte-stable and BigInt happy.
      if (nulls++ === 0) data = values.slice();
      data[i] = 0;
    }
  }
  const base = { length, nullCount: nulls, nullBitmap: nulls ? bitmap : null };
  if (type === 'double') return makeVector(makeData({ ...base, type: new Float64(), data }));
  // The same 64-bit layout columnVector writes, with the bitmap from the NaNs.
  const encoded = columnVector('timestamp', data).data[0].values as unknown as Int32Array;
  return makeVector(makeData({ ...base, type: new TimestampMillisecond(), data: encoded }));
}

/** Builds an Arrow table from columns, following the schema. */
export function columnsToArrow(schema: LakeSchema, valuesOf: (name: string) => LakeColumnValues): Table {
  const columns: Record<string, Vector> = {};
  for (const [name, type] of schema) {
    const values = valuesOf(name);
    if (!isNaNNull(values)) columns[name] = columnVector(type, values);
    else if (type === 'double' || type === 'timestamp') columns[name] = nanNullVector(type, values.nanIsNull);
    else throw new TypeError(`column ${name} is ${type}; only double and timestamp columns take NaN for null`);
  }
  return new Table(columns);
}

/** Encodes columns as one Parquet file (ZSTD), exactly as encodeParquet encodes the same rows. */
export function encodeParquetColumns(schema: LakeSchema, valuesOf: (name: string) => LakeColumnValues): Uint8Array {
  return arrowToParquet(columnsToArrow(schema, valuesOf));
}
