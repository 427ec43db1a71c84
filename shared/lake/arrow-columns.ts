import { Bool, Float64, Int32, Int64, TimestampMillisecond, Utf8, makeData, makeVector, type Vector } from 'apache-arrow';
import type { LakeColumnType } from './parquet.js';

/** A cell of a lake column: what rows and query results hold before they become Arrow. */
export type LakeCell = number | string | boolean | null | undefined;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Validity bitmap of a column, or null when it has no nulls. */
function validityOf(values: ArrayLike<LakeCell>): { bitmap: Uint8Array | null; nulls: number } {
  // A typed array (a query's number column) cannot hold a null.
  if (ArrayBuffer.isView(values)) return { bitmap: null, nulls: 0 };
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null || values[i] === undefined) nulls++;
    else bitmap[i >> 3] |= 1 << (i & 7);
  }
  return { bitmap: nulls ? bitmap : null, nulls };
}

/**
 * One column straight into Arrow buffers: the builder path (vectorFromArray) is several times
 * slower, and the headline query returns 50,000 rows. A Float64Array (a query's number column,
 * which cannot hold a null) is read by loops of its own, so V8 specialises each loop to one kind
 * of array; for a `double` column it is the Arrow buffer itself, not copied: don't write to it
 * afterwards.
 */
export function columnVector(type: LakeColumnType, values: ArrayLike<LakeCell>): Vector {
  const length = values.length;
  const { bitmap, nulls } = validityOf(values);
  const base = { length, nullCount: nulls, nullBitmap: bitmap };
  switch (type) {
    case 'double': {
      if (values instanceof Float64Array) return makeVector(makeData({ ...base, type: new Float64(), data: values }));
      const data = new Float64Array(length);
      for (let i = 0; i < length; i++) data[i] = (values[i] as number | null) ?? 0;
      return makeVector(makeData({ ...base, type: new Float64(), data }));
    }
    case 'int': {
      const data = values instanceof Float64Array ? Int32Array.from(values) : new Int32Array(length);
      if (!(values instanceof Float64Array)) for (let i = 0; i < length; i++) data[i] = (values[i] as number | null) ?? 0;
      return makeVector(makeData({ ...base, type: new Int32(), data }));
    }
    case 'bigint':
    case 'timestamp': {
      const data = new BigInt64Array(length);
      if (values instanceof Float64Array) int64FromFloat64(data, values);
      else int64FromCells(data, values);
      if (type === 'bigint') return makeVector(makeData({ ...base, type: new Int64(), data }));
      // Arrow JS keeps 64-bit timestamps as BigInt64 values, the same layout as Int64.
      return makeVector(makeData({ ...base, type: new TimestampMillisecond(), data: data as unknown as Int32Array }));
    }
    case 'boolean': {
      const data = new Uint8Array((length + 7) >> 3);
      for (let i = 0; i < length; i++) if (values[i] === true) data[i >> 3] |= 1 << (i & 7);
      return makeVector(makeData({ ...base, type: new Bool(), data }));
    }
    case 'string': {
      // ASCII (ids, statuses, classes) is one byte a character: copying char codes is several
      // times faster than the UTF-8 encoder per value; the first other character hands over to it.
      const valueOffsets = new Int32Array(length + 1);
      let chars = 0;
      for (let i = 0; i < length; i++) {
        const v = values[i];
        if (typeof v === 'string') chars += v.length;
        valueOffsets[i + 1] = chars;
      }
      const data = new Uint8Array(chars);
      for (let i = 0, at = 0; i < length; i++) {
        const v = values[i];
        if (typeof v !== 'string') continue;
        for (let j = 0; j < v.length; j++) {
          const c = v.charCodeAt(j);
          if (c > 0x7f) return utf8Vector(values, base);
          data[at++] = c;
        }
      }
      return makeVector(makeData({ ...base, type: new Utf8(), data, valueOffsets }));
    }
  }
}

// Safe integers (epoch ms, counts) go in as two 32-bit halves, low first as Arrow lays them out,
// with no BigInt per value; anything else through BigInt, which refuses a fraction. One loop per
// kind of source array (see columnVector).

function int64FromFloat64(data: BigInt64Array, values: Float64Array): void {
  const halves = new Uint32Array(data.buffer, data.byteOffset, 2 * data.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!LITTLE_ENDIAN || !Number.isSafeInteger(v)) {
      data[i] = BigInt(v);
      continue;
    }
    const high = Math.floor(v / 2 ** 32);
    halves[2 * i] = v - high * 2 ** 32;
    halves[2 * i + 1] = high; // a negative high half wraps to its two's complement
  }
}

function int64FromCells(data: BigInt64Array, values: ArrayLike<LakeCell>): void {
  const halves = new Uint32Array(data.buffer, data.byteOffset, 2 * data.length);
  for (let i = 0; i < values.length; i++) {
    const v = (values[i] as number | null) ?? 0;
    if (!LITTLE_ENDIAN || !Number.isSafeInteger(v)) {
      data[i] = BigInt(v);
      continue;
    }
    const high = Math.floor(v / 2 ** 32);
    halves[2 * i] = v - high * 2 ** 32;
    halves[2 * i + 1] = high;
  }
}

/** A string column through the UTF-8 encoder, value by value. */
function utf8Vector(values: ArrayLike<LakeCell>, base: { length: number; nullCount: number; nullBitmap: Uint8Array | null }): Vector {
  const length = values.length;
  const valueOffsets = new Int32Array(length + 1);
  let bytes = 0;
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (typeof v === 'string') bytes += Buffer.byteLength(v);
    valueOffsets[i + 1] = bytes;
  }
  const data = new Uint8Array(bytes);
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (typeof v === 'string') buf.write(v, valueOffsets[i], 'utf8');
  }
  return makeVector(makeData({ ...base, type: new Utf8(), data, valueOffsets }));
}
