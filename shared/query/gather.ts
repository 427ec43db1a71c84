import type { CellValue, ColumnValues } from './columnar.js';

// Separate loops on purpose: V8 specialises a loop to the kinds of array it has seen, and one loop
// over every kind of column runs several times slower than one per kind.

/**
 * Row r of the result is row `fromRow[r]` of source `fromPart[r]`: plain values (JSON-safe), null
 * where the source lacks the column.
 */
export function gatherValues(sources: readonly (ColumnValues | null)[], fromPart: Int32Array, fromRow: Int32Array): CellValue[] {
  const out: CellValue[] = new Array(fromPart.length);
  for (let r = 0; r < out.length; r++) {
    const source = sources[fromPart[r]];
    out[r] = source === null ? null : source[fromRow[r]];
  }
  return out;
}

/** As {@link gatherValues}, for a number column: a Float64Array, or plain values once a null turns up. */
export function gatherNumbers(sources: readonly (ColumnValues | null)[], fromPart: Int32Array, fromRow: Int32Array): ColumnValues {
  const out = new Float64Array(fromPart.length);
  for (let r = 0; r < out.length; r++) {
    const source = sources[fromPart[r]];
    const v = source === null ? null : source[fromRow[r]];
    if (v === null) return gatherValues(sources, fromPart, fromRow);
    out[r] = v as number;
  }
  return out;
}
