import { BenchmarkFileError } from './errors.js';
import type { NabWindow } from './nab.js';

/** A NAB data file: `timestamp,value` rows. */
export interface NabSeries {
  readonly file: string;
  readonly ts: readonly number[];
  readonly value: readonly number[];
}

const NAB_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** NAB's `YYYY-MM-DD hh:mm:ss[.ffffff]` (no zone) read as UTC; null when it is not such a time. */
export function parseNabTime(text: string): number | null {
  const m = NAB_TIME.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) + (m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0);
  const back = new Date(ms);
  return back.getUTCDate() === d && back.getUTCMonth() === mo - 1 && h < 24 && mi < 60 && s < 60 ? ms : null;
}

/** Reads a NAB CSV (header `timestamp,value`, rows in time order); errors name the file and line. */
export function parseNabCsv(text: string, file: string): NabSeries {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0 || lines[0].replace(/\s/g, '') !== 'timestamp,value') {
    throw new BenchmarkFileError(file, 1, `the header must be "timestamp,value", got "${(lines[0] ?? '').slice(0, 80)}"`);
  }
  const ts: number[] = [];
  const value: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const cells = lines[i].split(',');
    if (cells.length !== 2) throw new BenchmarkFileError(file, line, `expected 2 comma-separated cells (timestamp,value), got ${cells.length}`);
    const t = parseNabTime(cells[0]);
    if (t === null) throw new BenchmarkFileError(file, line, `timestamp "${cells[0]}" is not a time as YYYY-MM-DD hh:mm:ss`);
    if (ts.length > 0 && t <= ts[ts.length - 1]) throw new BenchmarkFileError(file, line, `timestamp ${cells[0]} is not after the row before; rows must be in strictly increasing time order`);
    const x = cells[1].trim() === '' ? NaN : Number(cells[1]);
    if (!Number.isFinite(x)) throw new BenchmarkFileError(file, line, `value "${cells[1]}" is not a finite number`);
    ts.push(t);
    value.push(x);
  }
  if (ts.length === 0) throw new BenchmarkFileError(file, null, 'the file has a header but no rows');
  return { file, ts, value };
}

/** 1-based line of a character offset in `text`. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

/**
 * Reads NAB's combined_windows.json and returns the windows of the data file `dataFile`: the
 * entry whose key (e.g. `realKnownCause/machine_temperature_system_failure.csv`) the data
 * file's path ends with. Errors name the labels file and, for bad JSON or entries, the line.
 */
export function parseNabWindows(text: string, labelsFile: string, dataFile: string): NabWindow[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message);
    throw new BenchmarkFileError(labelsFile, at ? lineAt(text, Number(at[1])) : null, `not valid JSON: ${(e as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BenchmarkFileError(labelsFile, 1, 'expected an object of "dir/file.csv": [[start, end], …]');
  }
  const path = dataFile.replace(/\\/g, '/');
  const keys = Object.keys(body).filter((k) => path === k || path.endsWith(`/${k}`));
  const byName = keys.length > 0 ? keys : Object.keys(body).filter((k) => k.split('/').pop() === path.split('/').pop());
  if (byName.length !== 1) {
    throw new BenchmarkFileError(
      labelsFile,
      null,
      byName.length === 0 ? `no entry for ${dataFile}; keys look like "${Object.keys(body)[0] ?? ''}"` : `several entries match ${dataFile}: ${byName.join(', ')}; pass the path under NAB's data/ directory`,
    );
  }
  const key = byName[0];
  const line = lineAt(text, text.indexOf(JSON.stringify(key)));
  const entries = (body as Record<string, unknown>)[key];
  if (!Array.isArray(entries)) throw new BenchmarkFileError(labelsFile, line, `entry "${key}" must be a list of [start, end] pairs`);
  const windows = entries.map((w, i) => {
    const pair = Array.isArray(w) && w.length === 2 ? w.map((x) => (typeof x === 'string' ? parseNabTime(x) : null)) : null;
    if (!pair || pair[0] === null || pair[1] === null || pair[0] > pair[1]) {
      throw new BenchmarkFileError(labelsFile, line, `entry "${key}" window ${i + 1} must be ["YYYY-MM-DD hh:mm:ss.ffffff", "…"] with start ≤ end, got ${JSON.stringify(w)}`);
    }
    return { start: pair[0], end: pair[1] };
  });
  windows.sort((a, b) => a.start - b.start);
  for (let i = 1; i < windows.length; i++) {
    if (windows[i].start <= windows[i - 1].end) throw new BenchmarkFileError(labelsFile, line, `entry "${key}" has overlapping windows ${i} and ${i + 1}`);
  }
  return windows;
}
