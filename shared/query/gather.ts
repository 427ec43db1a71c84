import type { CellValue, ColumnValues } from './columnar.js';

/**
 * Where a result's rows come from, grouped by source: a counting sort of (source, row) pairs,
 * made once per result and used for every column. Row `at[k]` of the result is row `row[k]` of
 * source s, for k in [start[s], start[s + 1]).
 *
 * Copying source by source is several times faster than row by row: a merge interleaves its
 * slices row by row, and looking up each row's source array again costs a chain of dependent
 * loads per value, where a loop over one source keeps it in registers.
 */
export interface GatherPlan {
  readonly rowCount: number;
  readonly start: Int32Array;
  readonly at: Int32Array;
  readonly row: Int32Array;
}

/** The plan for result row r = row `fromRow[r]` of source `fromSource[r]`, sources numbered 0…sourceCount-1. */
export function planGather(sourceCount: number, fromSource: Int32Array, fromRow: Int32Array): GatherPlan {
  const n = fromSource.length;
  const start = new Int32Array(sourceCount + 1);
  for (let r = 0; r < n; r++) start[fromSource[r] + 1]++;
  for (let s = 0; s < sourceCount; s++) start[s + 1] += start[s];
  const next = start.slice(0, sourceCount);
  const at = new Int32Array(n);
  const row = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const k = next[fromSource[r]]++;
    at[k] = r;
    row[k] = fromRow[r];
  }
  return { rowCount: n, start, at, row };
}

// Separate loops on purpose: V8 specialises a loop to the kinds of array it has seen, and one loop
// over every kind of column runs several times slower than one per kind.

/** The result's values of one column: plain values (JSON-safe), null where a source lacks the column. */
export function gatherValues(sources: readonly (ColumnValues | null)[], plan: GatherPlan): CellValue[] {
  const out: CellValue[] = new Array(plan.rowCount);
  const { start, at, row } = plan;
  for (let s = 0; s < sources.length; s++) {
    const source = sources[s];
    const end = start[s + 1];
    if (source === null) for (let k = start[s]; k < end; k++) out[at[k]] = null;
    else for (let k = start[s]; k < end; k++) out[at[k]] = source[row[k]];
  }
  return out;
}

/** As {@link gatherValues}, for a number column: a Float64Array, or plain values once a null turns up. */
export function gatherNumbers(sources: readonly (ColumnValues | null)[], plan: GatherPlan): ColumnValues {
  const out = new Float64Array(plan.rowCount);
  for (let s = 0; s < sources.length; s++) {
    const first = plan.start[s];
    const end = plan.start[s + 1];
    if (first === end) continue;
    const source = sources[s];
    if (source instanceof Float64Array) copyFloat64(out, source, plan, first, end);
    else if (source === null || !copyCells(out, source, plan, first, end)) return gatherValues(sources, plan);
  }
  return out;
}

function copyFloat64(out: Float64Array, source: Float64Array, { at, row }: GatherPlan, first: number, end: number): void {
  for (let k = first; k < end; k++) out[at[k]] = source[row[k]];
}

/** False when a value is null (then the column needs plain values). */
function copyCells(out: Float64Array, source: readonly CellValue[], { at, row }: GatherPlan, first: number, end: number): boolean {
  for (let k = first; k < end; k++) {
    const v = source[row[k]];
    if (v === null || v === undefined) return false;
    out[at[k]] = v as number;
  }
  return true;
}

/** A string column in Arrow's UTF-8 layout, no nulls: value r is the bytes data[valueOffsets[r]] … data[valueOffsets[r + 1]]. */
export interface Utf8Layout {
  readonly valueOffsets: Int32Array;
  readonly data: Uint8Array;
}

/**
 * A string column written straight into Arrow's UTF-8 layout from its sources, without first
 * gathering the strings into an array (a pointer store per value, for a column the encoder then
 * reads once). Null when a value is null or not ASCII (ids, statuses and classes are ASCII): then
 * gather the values and let the lake's column builder encode them.
 */
export function gatherAscii(sources: readonly (ColumnValues | null)[], plan: GatherPlan): Utf8Layout | null {
  const n = plan.rowCount;
  const valueOffsets = new Int32Array(n + 1);
  for (let s = 0; s < sources.length; s++) {
    const first = plan.start[s];
    const end = plan.start[s + 1];
    if (first === end) continue;
    const source = sources[s];
    if (source === null || source instanceof Float64Array || !stringLengths(valueOffsets, source, plan, first, end)) return null;
  }
  for (let r = 0; r < n; r++) valueOffsets[r + 1] += valueOffsets[r];
  const data = new Uint8Array(valueOffsets[n]);
  for (let s = 0; s < sources.length; s++) {
    const first = plan.start[s];
    const end = plan.start[s + 1];
    if (first < end && !copyAscii(data, valueOffsets, sources[s] as readonly CellValue[], plan, first, end)) return null;
  }
  return { valueOffsets, data };
}

/** Each value's length at its row + 1 (summed into offsets afterwards); false at a value that is not a string. */
function stringLengths(offsets: Int32Array, source: readonly CellValue[], { at, row }: GatherPlan, first: number, end: number): boolean {
  for (let k = first; k < end; k++) {
    const v = source[row[k]];
    if (typeof v !== 'string') return false;
    offsets[at[k] + 1] = v.length;
  }
  return true;
}

/** ASCII is one byte a character; false at the first other character. */
function copyAscii(data: Uint8Array, offsets: Int32Array, source: readonly CellValue[], { at, row }: GatherPlan, first: number, end: number): boolean {
  for (let k = first; k < end; k++) {
    const v = source[row[k]] as string;
    let pos = offsets[at[k]];
    for (let j = 0; j < v.length; j++) {
      const c = v.charCodeAt(j);
      if (c > 0x7f) return false;
      data[pos++] = c;
    }
  }
  return true;
}
