import type { Table, Vector } from 'apache-arrow';

export type CellValue = number | string | boolean | null;

const TIME_UNIT_TO_MS = [1000, 1, 1e-3, 1e-6];

/**
 * A column's values, read-only: a Float64Array for a number column without nulls (compact, and
 * one kind of array for V8 to specialise on), plain values otherwise.
 */
export type ColumnValues = Float64Array | readonly CellValue[];

/** A string column in Arrow's UTF-8 layout, no nulls: value r is the bytes data[valueOffsets[r]] … data[valueOffsets[r + 1]]. */
export interface Utf8Layout {
  readonly valueOffsets: Int32Array;
  readonly data: Uint8Array;
  /** Set when every value has this many bytes (ids of one format, one status) and valueOffsets[0] is 0. */
  readonly width?: number;
}

/**
 * A decoded string column's UTF-8 bytes as the Parquet reader gave them, beside its strings (kept
 * for the column's lifetime, in the decoded-file cache too): a query's Arrow answer copies them
 * as they are, where encoding the strings again means reading each one (a cache miss apiece).
 */
const UTF8 = new WeakMap<readonly CellValue[], Utf8Layout>();

/** The UTF-8 bytes kept beside a decoded string column without nulls; undefined for any other. */
export function utf8Of(values: ColumnValues | null): Utf8Layout | undefined {
  return values === null || values instanceof Float64Array ? undefined : UTF8.get(values);
}

/** The vector's chunks' bytes and offsets in one layout (usually one chunk: one copy). */
function utf8Layout(vector: Vector): Utf8Layout {
  const valueOffsets = new Int32Array(vector.length + 1);
  let bytes = 0;
  // A chunk's offsets are its own (apache-arrow slices them with the chunk), its bytes are not.
  for (const data of vector.data) bytes += data.valueOffsets[data.length] - data.valueOffsets[0];
  const out = new Uint8Array(bytes);
  let at = 0;
  let row = 0;
  for (const data of vector.data) {
    const offsets = data.valueOffsets;
    const first = offsets[0];
    const end = offsets[data.length];
    out.set((data.values as Uint8Array).subarray(first, end), at);
    for (let i = 1; i <= data.length; i++) valueOffsets[row + i] = at + offsets[i] - first;
    at += end - first;
    row += data.length;
  }
  return { valueOffsets, data: out, width: uniformWidth(valueOffsets) };
}

/** The one byte length every value has, or undefined when lengths differ (or there are no values). */
function uniformWidth(valueOffsets: Int32Array): number | undefined {
  const n = valueOffsets.length - 1;
  if (n === 0) return undefined;
  const width = valueOffsets[1] - valueOffsets[0];
  for (let i = 1; i < n; i++) if (valueOffsets[i + 1] - valueOffsets[i] !== width) return undefined;
  return width;
}

/**
 * One column of a decoded lake file: timestamps in epoch ms whatever their unit, 64-bit integers
 * as numbers, a Float64Array when the column is numeric and has no nulls, else plain JS values
 * (numbers, strings, booleans, null). Reads the Arrow buffers directly, which is several times
 * faster than `vector.get(i)` per cell.
 */
export function readColumn(table: Table, name: string): ColumnValues | null {
  const vector = table.getChild(name) as Vector | null;
  if (!vector) return null;
  const typeId = vector.type.typeId as number;
  // Arrow type ids: 5 Utf8, 6 Bool, 10 Timestamp (see apache-arrow's enum Type).
  const numeric = typeId !== 5 && typeId !== 6;
  const out: CellValue[] | Float64Array = numeric && vector.nullCount === 0 ? new Float64Array(vector.length) : new Array(vector.length);
  const scale = typeId === 10 ? TIME_UNIT_TO_MS[(vector.type as { unit: number }).unit] : 1;
  let at = 0;
  for (const data of vector.data) {
    const { offset, length, nullBitmap, nullCount } = data;
    const checkNulls = nullCount > 0 && nullBitmap && nullBitmap.length > 0;
    if (!numeric) {
      const v = new (vector.constructor as new (d: unknown[]) => Vector)([data]);
      for (let i = 0; i < length; i++) out[at + i] = v.get(i) as CellValue;
    } else {
      const values = data.values as ArrayLike<number | bigint>;
      const big = values instanceof BigInt64Array || values instanceof BigUint64Array;
      for (let i = 0; i < length; i++) {
        if (checkNulls && ((nullBitmap[(offset + i) >> 3] >> ((offset + i) & 7)) & 1) === 0) {
          out[at + i] = null as unknown as number;
          continue;
        }
        const raw = values[offset + i];
        const n = big ? Number(raw) : (raw as number);
        out[at + i] = scale === 1 ? n : Math.floor(n * scale);
      }
    }
    at += length;
  }
  if (typeId === 5 && vector.nullCount === 0) UTF8.set(out as CellValue[], utf8Layout(vector));
  return out;
}
