import { utf8Of, type CellValue, type ColumnValues, type Utf8Layout } from './columnar.js';

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

/**
 * A string column written straight into Arrow's UTF-8 layout from its sources, without first
 * gathering the strings into an array (a pointer store per value, for a column the encoder then
 * reads once): from the UTF-8 bytes the sources kept from the Parquet reader (utf8Of), else from
 * their strings. Null when a value is null, or a source kept no bytes and a value is not ASCII
 * (ids, statuses and classes are): then gather the values and let the lake's column builder
 * encode them.
 */
export function gatherUtf8(sources: readonly (ColumnValues | null)[], plan: GatherPlan): Utf8Layout | null {
  const layouts: Utf8Layout[] = [];
  for (let s = 0; s < sources.length; s++) {
    const utf8 = plan.start[s] < plan.start[s + 1] ? utf8Of(sources[s]) : EMPTY;
    if (!utf8) return gatherAscii(sources, plan);
    layouts.push(utf8);
  }
  const width = commonWidth(layouts, plan);
  if (width !== undefined) return gatherFixedWidth(layouts, plan, width);
  const n = plan.rowCount;
  const valueOffsets = new Int32Array(n + 1);
  for (let s = 0; s < layouts.length; s++) byteLengths(valueOffsets, layouts[s].valueOffsets, plan, plan.start[s], plan.start[s + 1]);
  for (let r = 0; r < n; r++) valueOffsets[r + 1] += valueOffsets[r];
  const data = new Uint8Array(valueOffsets[n]);
  for (let s = 0; s < layouts.length; s++) copyBytes(data, valueOffsets, layouts[s], plan, plan.start[s], plan.start[s + 1]);
  return { valueOffsets, data };
}

const EMPTY: Utf8Layout = { valueOffsets: new Int32Array(1), data: new Uint8Array(0) };

/** The byte width all sources that give rows share, or undefined when one has none or they differ. */
function commonWidth(layouts: readonly Utf8Layout[], plan: GatherPlan): number | undefined {
  let width: number | undefined;
  for (let s = 0; s < layouts.length; s++) {
    if (plan.start[s] === plan.start[s + 1]) continue;
    const w = layouts[s].width;
    // Word copies need the bytes to start on a word (layouts made by the decoder always do).
    if (w === undefined || (width !== undefined && w !== width) || layouts[s].data.byteOffset % 4 !== 0) return undefined;
    width = w;
  }
  return width;
}

/**
 * Values of one byte width (sensor ids, statuses): offsets are a multiple of the row and each
 * value moves as whole words of the widest size dividing it, with no pass to measure lengths.
 */
function gatherFixedWidth(layouts: readonly Utf8Layout[], plan: GatherPlan, width: number): Utf8Layout {
  const n = plan.rowCount;
  const valueOffsets = new Int32Array(n + 1);
  for (let r = 1; r <= n; r++) valueOffsets[r] = r * width;
  const data = new Uint8Array(n * width);
  const word = width % 4 === 0 ? 4 : width % 2 === 0 ? 2 : 1;
  const words = width / word;
  const view = (b: Uint8Array) => (word === 4 ? new Uint32Array(b.buffer, b.byteOffset, b.byteLength >> 2) : word === 2 ? new Uint16Array(b.buffer, b.byteOffset, b.byteLength >> 1) : b);
  const out = view(data);
  for (let s = 0; s < layouts.length; s++) {
    const first = plan.start[s];
    const end = plan.start[s + 1];
    if (first === end) continue;
    copyWords(out, view(layouts[s].data), plan, first, end, words);
  }
  return { valueOffsets, data, width };
}

/** `words` words per value from row row[k] of the source to row at[k] of the result. */
function copyWords(out: Uint8Array | Uint16Array | Uint32Array, src: Uint8Array | Uint16Array | Uint32Array, { at, row }: GatherPlan, first: number, end: number, words: number): void {
  for (let k = first; k < end; k++) {
    const d = at[k] * words;
    const s = row[k] * words;
    for (let j = 0; j < words; j++) out[d + j] = src[s + j];
  }
}

function byteLengths(offsets: Int32Array, from: Int32Array, { at, row }: GatherPlan, first: number, end: number): void {
  for (let k = first; k < end; k++) offsets[at[k] + 1] = from[row[k] + 1] - from[row[k]];
}

/**
 * Each value's bytes to its place, four at a time where it has four (a value's last four bytes
 * may be written twice, with the same bytes): ids of a dozen characters cost three moves, not twelve.
 */
function copyBytes(data: Uint8Array, offsets: Int32Array, source: Utf8Layout, { at, row }: GatherPlan, first: number, end: number): void {
  const from = source.valueOffsets;
  const bytes = source.data;
  const src = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dst = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let k = first; k < end; k++) {
    const pos = offsets[at[k]];
    const a = from[row[k]];
    const length = from[row[k] + 1] - a;
    if (length < 4) {
      for (let i = 0; i < length; i++) data[pos + i] = bytes[a + i];
      continue;
    }
    let i = 0;
    for (; i + 4 <= length; i += 4) dst.setUint32(pos + i, src.getUint32(a + i, true), true);
    if (i < length) dst.setUint32(pos + length - 4, src.getUint32(a + length - 4, true), true);
  }
}

/** As {@link gatherUtf8}, from the sources' strings: ASCII only. */
function gatherAscii(sources: readonly (ColumnValues | null)[], plan: GatherPlan): Utf8Layout | null {
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
