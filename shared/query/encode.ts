import { makeData, makeVector, RecordBatchStreamWriter, Table, tableToIPC, Utf8, type Vector } from 'apache-arrow';
import { columnVector } from '../lake/index.js';
import type { CellValue, Utf8Layout } from './columnar.js';
import type { QueryResult } from './merge.js';

/** The media type of an Arrow IPC stream, which pyarrow and DuckDB read as they are. */
export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

/** The result as an Arrow table: one column per result column, typed from the lake schema. */
export function resultToArrow(result: QueryResult): Table {
  const columns: Record<string, Vector> = {};
  const given = result.arrowColumns?.() ?? result.values;
  result.columns.forEach((c, i) => {
    const values = given[i];
    columns[c.name] = isUtf8Layout(values) ? makeVector(makeData({ type: new Utf8(), length: values.valueOffsets.length - 1, nullCount: 0, ...values })) : columnVector(c.type, values);
  });
  return new Table(columns);
}

function isUtf8Layout(v: object): v is Utf8Layout {
  return 'valueOffsets' in v;
}

/** Arrow IPC stream bytes of the result, in one array. */
export function resultToArrowStream(result: QueryResult): Uint8Array {
  return tableToIPC(resultToArrow(result), 'stream');
}

/**
 * The same Arrow IPC stream as {@link resultToArrowStream}, in the pieces the writer makes (each
 * message's metadata, then each column buffer, mostly views of the result's own arrays) rather
 * than joined: joining copies the whole answer (5.6 MB for the headline query) into a fresh
 * buffer, only for the socket to copy it again.
 */
export async function resultToArrowPieces(result: QueryResult): Promise<Uint8Array[]> {
  const pieces: Uint8Array[] = [];
  for await (const piece of RecordBatchStreamWriter.writeAll(resultToArrow(result))) pieces.push(piece);
  return pieces;
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
