import { METRICS, type Metric } from '../readings/index.js';
import { BenchmarkFileError } from './errors.js';

/** One SKAB file, read: event times, every numeric column by name, and the labels when present. */
export interface SkabSeries {
  readonly file: string;
  readonly ts: readonly number[];
  /** Numeric columns in header order (labels excluded). */
  readonly columns: ReadonlyMap<string, readonly number[]>;
  /** `anomaly` column as booleans, or null when the file has none (SKAB's anomaly-free file). */
  readonly anomaly: readonly boolean[] | null;
  readonly changepoint: readonly boolean[] | null;
}

/** How SKAB columns become reading metrics. */
export type ColumnMap = Readonly<Partial<Record<Metric, string>>>;

/** Temperature → temperature, Pressure → pressure, Accelerometer1RMS → vibration. */
export const DEFAULT_SKAB_COLUMN_MAP: ColumnMap = Object.freeze({
  temperature: 'Temperature',
  pressure: 'Pressure',
  vibration: 'Accelerometer1RMS',
});

/** SKAB's leaderboard trains on the first 400 rows of each file and scores the rest. */
export const SKAB_HISTORY_ROWS = 400;

const LABELS = ['anomaly', 'changepoint'] as const;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/**
 * Parses `metric=Column,…` (e.g. `temperature=Thermocouple,vibration=Accelerometer2RMS`).
 * Metrics not named are absent from the readings.
 */
export function parseColumnMap(text: string): ColumnMap {
  const map: Partial<Record<Metric, string>> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const metric = part.slice(0, eq).trim();
    const column = part.slice(eq + 1).trim();
    if (eq < 0 || column === '') throw new RangeError(`--map entry "${part}" must be metric=Column, e.g. temperature=Temperature`);
    if (!(METRICS as readonly string[]).includes(metric)) throw new RangeError(`--map metric "${metric}" is not one of ${METRICS.join(', ')}`);
    map[metric as Metric] = column;
  }
  return map;
}

/** SKAB's `YYYY-MM-DD hh:mm:ss` (no zone) read as UTC; null when it is not such a time. */
export function parseSkabTime(text: string): number | null {
  const m = DATETIME.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  return back.getUTCDate() === d && back.getUTCMonth() === mo - 1 && h < 24 && mi < 60 && s < 60 ? ms : null;
}

/**
 * Reads a SKAB file's text (semicolon-separated, header row, `datetime` first, numeric columns,
 * optional `anomaly`/`changepoint` 0/1 labels). Rows must be in time order. Anything else is a
 * BenchmarkFileError naming the file and line.
 */
export function parseSkab(text: string, file: string): SkabSeries {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new BenchmarkFileError(file, null, 'the file is empty; expected a header row starting with "datetime"');
  const header = lines[0].split(';').map((h) => h.trim());
  if (header[0] !== 'datetime') {
    throw new BenchmarkFileError(file, 1, `the header must start with "datetime" and be separated by ";", got "${lines[0].slice(0, 80)}"`);
  }
  const seen = new Set<string>();
  for (const h of header) {
    if (h === '' || seen.has(h)) throw new BenchmarkFileError(file, 1, h === '' ? 'the header has an empty column name' : `column "${h}" appears twice in the header`);
    seen.add(h);
  }
  const numeric = header.slice(1).filter((h) => !(LABELS as readonly string[]).includes(h));
  const values = new Map<string, number[]>(numeric.map((h) => [h, []]));
  const labels = new Map<string, boolean[]>(LABELS.filter((l) => seen.has(l)).map((l) => [l, []]));
  const ts: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const cells = lines[i].split(';');
    if (cells.length !== header.length) {
      throw new BenchmarkFileError(file, line, `expected ${header.length} ";"-separated cells as in the header, got ${cells.length}`);
    }
    const t = parseSkabTime(cells[0].trim());
    if (t === null) throw new BenchmarkFileError(file, line, `datetime "${cells[0]}" is not a time as YYYY-MM-DD hh:mm:ss`);
    if (ts.length > 0 && t < ts[ts.length - 1]) throw new BenchmarkFileError(file, line, `datetime ${cells[0]} is earlier than the row before; rows must be in time order`);
    ts.push(t);
    for (let c = 1; c < header.length; c++) {
      const name = header[c];
      const cell = cells[c].trim();
      const x = cell === '' ? NaN : Number(cell);
      const label = labels.get(name);
      if (label) {
        if (x !== 0 && x !== 1) throw new BenchmarkFileError(file, line, `${name} "${cell}" must be 0 or 1`);
        label.push(x === 1);
      } else {
        if (!Number.isFinite(x)) throw new BenchmarkFileError(file, line, `${name} "${cell}" is not a finite number`);
        (values.get(name) as number[]).push(x);
      }
    }
  }
  return { file, ts, columns: values, anomaly: labels.get('anomaly') ?? null, changepoint: labels.get('changepoint') ?? null };
}

/** Checks that every column the map names is in the file. */
export function checkColumnMap(series: SkabSeries, map: ColumnMap): void {
  for (const [metric, column] of Object.entries(map)) {
    if (!series.columns.has(column as string)) {
      throw new BenchmarkFileError(series.file, 1, `column "${column}" (mapped to ${metric}) is not in the header; columns: ${[...series.columns.keys()].join(', ')}`);
    }
  }
}
