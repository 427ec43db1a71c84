import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { METRICS, parseReading, RecordValidationError, type Reading } from '../readings/index.js';
import { BackfillOptionsError, HistoryFileError } from './errors.js';
import type { ColumnMap, HistoryChunk, HistoryReading, HistorySource } from './history.js';

/** Preset layouts of known history files. */
export const HISTORY_FORMATS = {
  /** SKAB: `;`-separated, `datetime` as `YYYY-MM-DD hh:mm:ss` without a zone. */
  skab: { delimiter: ';', timeColumn: 'datetime', defaultMap: { temperature: 'Temperature', pressure: 'Pressure', vibration: 'Accelerometer1RMS' } },
  /** NAB: `timestamp,value`, timestamps `YYYY-MM-DD hh:mm:ss` without a zone. */
  nab: { delimiter: ',', timeColumn: 'timestamp', defaultMap: { temperature: 'value' } },
  /** Any delimited text: the delimiter is guessed from the header, the time column from its name. */
  csv: { delimiter: null, timeColumn: null, defaultMap: null },
} as const satisfies Record<string, { delimiter: string | null; timeColumn: string | null; defaultMap: ColumnMap | null }>;
export type HistoryFormat = keyof typeof HISTORY_FORMATS | 'parquet';

const TIME_COLUMNS = ['ts', 'timestamp', 'datetime', 'time', 'date'];
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Reads event times: ISO-like `YYYY-MM-DD[ hh:mm[:ss[.fff]]][zone]` or integer epoch ms. A time
 * without a zone is read in `zoneOffsetMinutes` (SKAB and NAB write local wall-clock time with no
 * zone; 0 reads them as UTC). Returns null when the text is not a time.
 */
export function parseHistoryTime(text: string, zoneOffsetMinutes: number): number | null {
  const t = text.trim();
  if (/^\d{12,}$/.test(t)) return Number(t);
  const m = DATE_TIME.exec(t);
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => (x === undefined ? undefined : Number(x))) as number[];
  const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  let ms = Date.UTC(y, mo - 1, d, h, mi, s) + Math.floor(frac);
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1 || h > 23 || mi > 59 || s > 59) return null;
  if (m[8] === undefined) ms -= zoneOffsetMinutes * 60_000;
  else if (m[8] !== 'Z') {
    const z = m[8].replace(':', '');
    ms -= (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5))) * 60_000;
  }
  return ms;
}

/** Parses `+01:00`, `-0530`, `Z` or `UTC` as minutes east of UTC. */
export function parseZoneOffset(text: string): number {
  if (text === 'Z' || text.toUpperCase() === 'UTC') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (!m) throw new BackfillOptionsError('--tz', `"${text}" is not a UTC offset such as +01:00, -0530 or Z`);
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

export interface CsvHistorySourceOptions {
  readonly path: string;
  readonly format?: 'skab' | 'nab' | 'csv';
  /** @default the format's map (SKAB: Temperature, Pressure, Accelerometer1RMS; NAB: value → temperature) */
  readonly columns?: ColumnMap;
  /** Sensor id of every reading, unless the map names a sensor_id column. */
  readonly sensorId?: string;
  /** Offset of zone-less times, minutes east of UTC. @default 0 (UTC) */
  readonly zoneOffsetMinutes?: number;
  /** Readings per chunk. @default 50000 */
  readonly chunkSize?: number;
}

/**
 * A delimited text file (SKAB's semicolon CSV, NAB's `timestamp,value`, or any CSV with a
 * header) as a history source. Streams the file; every bad cell is a HistoryFileError naming
 * the file, line and column.
 */
export function csvHistorySource(options: CsvHistorySourceOptions): HistorySource & { readonly size: number | null } {
  const preset = HISTORY_FORMATS[options.format ?? 'csv'];
  const map: ColumnMap = options.columns ?? preset.defaultMap ?? {};
  if (!METRICS.some((m) => map[m] !== undefined)) {
    throw new BackfillOptionsError('--map', `a ${options.format ?? 'csv'} file needs a column map naming at least one of ${METRICS.join(', ')}`);
  }
  if (map.sensor_id === undefined && options.sensorId === undefined) {
    throw new BackfillOptionsError('--sensor', `${options.path}: give the sensor id of its readings (--sensor) or map a sensor_id column`);
  }
  const file = options.path;
  const zone = options.zoneOffsetMinutes ?? 0;
  const chunkSize = options.chunkSize ?? 50_000;
  let size: number | null = null;
  return {
    name: file,
    get size() {
      return size;
    },
    async *chunks(): AsyncGenerator<HistoryChunk> {
      try {
        size = (await stat(file)).size;
      } catch (e) {
        throw new HistoryFileError(file, null, null, `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
      }
      let header: string[] | null = null;
      let delimiter = preset.delimiter as string | null;
      let reader: ((cells: string[], line: number) => Reading) | null = null;
      let lineNo = 0;
      let bytes = 0;
      let rest = '';
      let out: HistoryReading[] = [];
      const handle = (raw: string) => {
        lineNo++;
        const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (header === null) {
          const clean = text.replace(/^\uFEFF/, '');
          if (clean.trim() === '') throw new HistoryFileError(file, 1, null, 'the header row is empty; expected column names');
          delimiter ??= clean.includes(';') && !clean.includes(',') ? ';' : clean.includes('\t') && !clean.includes(',') ? '\t' : ',';
          header = splitCells(clean, delimiter).map((h) => h.trim());
          reader = rowReader(file, header, map, options.sensorId, preset.timeColumn, zone);
          return;
        }
        if (text.trim() === '') return;
        const cells = splitCells(text, delimiter as string);
        if (cells.length !== header.length) {
          throw new HistoryFileError(file, lineNo, null, `has ${cells.length} fields, the header has ${header.length} (separator "${delimiter}")`);
        }
        out.push({ reading: (reader as NonNullable<typeof reader>)(cells, lineNo), line: lineNo });
      };
      const stream = createReadStream(file, { highWaterMark: 1 << 20 });
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        const text = rest + chunk.toString('utf8');
        const lines = text.split('\n');
        rest = lines.pop() as string;
        for (const l of lines) handle(l);
        if (out.length >= chunkSize) {
          yield { readings: out, progress: bytes - Buffer.byteLength(rest) };
          out = [];
        }
      }
      if (rest !== '') handle(rest);
      if (header === null) throw new HistoryFileError(file, null, null, 'the file is empty; expected a header row');
      if (out.length > 0) yield { readings: out, progress: bytes };
    },
  };
}

/** Splits one line; double-quoted cells may hold the delimiter ("" is a quote). */
function splitCells(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (line.startsWith(delimiter, i)) (cells.push(cell), (cell = ''), (i += delimiter.length - 1));
    else cell += c;
  }
  cells.push(cell);
  return cells;
}

/** Builds the per-row reader once the header is known; checks the map against the header. */
function rowReader(
  file: string,
  header: readonly string[],
  map: ColumnMap,
  sensorId: string | undefined,
  presetTime: string | null,
  zone: number,
): (cells: string[], line: number) => Reading {
  const index = (column: string, field: string) => {
    const i = header.indexOf(column);
    if (i < 0) throw new HistoryFileError(file, 1, column, `the ${field} column is not in the header (columns: ${header.join(', ')})`);
    return i;
  };
  const timeName = map.ts ?? presetTime ?? header.find((h) => TIME_COLUMNS.includes(h.toLowerCase()));
  if (timeName === undefined) {
    throw new HistoryFileError(file, 1, null, `no time column: name one with --map ts=Column (columns: ${header.join(', ')})`);
  }
  const timeAt = index(timeName, 'time');
  const metricAt = METRICS.map((m) => (map[m] === undefined ? -1 : index(map[m] as string, m)));
  const statusAt = map.status === undefined ? -1 : index(map.status, 'status');
  const sensorAt = map.sensor_id === undefined ? -1 : index(map.sensor_id, 'sensor_id');
  return (cells, line) => {
    const tsText = cells[timeAt];
    const ts = parseHistoryTime(tsText, zone);
    if (ts === null) throw new HistoryFileError(file, line, header[timeAt], `"${tsText}" is not a time (YYYY-MM-DD hh:mm:ss, ISO-8601, or epoch milliseconds)`);
    const body: Record<string, unknown> = {
      sensor_id: sensorAt >= 0 ? cells[sensorAt].trim() : sensorId,
      ts,
      status: statusAt >= 0 ? cells[statusAt].trim() || undefined : undefined,
    };
    for (let k = 0; k < METRICS.length; k++) {
      const at = metricAt[k];
      if (at < 0) continue;
      const cell = cells[at].trim();
      if (cell === '' || cell.toLowerCase() === 'null' || cell.toLowerCase() === 'nan') {
        body[METRICS[k]] = null;
        continue;
      }
      const v = Number(cell);
      if (!Number.isFinite(v)) throw new HistoryFileError(file, line, header[at], `"${cell}" is not a number`);
      body[METRICS[k]] = v;
    }
    try {
      return parseReading(body, 0);
    } catch (e) {
      if (!(e instanceof RecordValidationError)) throw e;
      const at = { sensor_id: sensorAt, ts: timeAt, status: statusAt }[e.field as 'sensor_id' | 'ts' | 'status'] ?? -1;
      throw new HistoryFileError(file, line, at >= 0 ? header[at] : e.field === 'sensor_id' ? '--sensor' : null, e.reason, { cause: e });
    }
  };
}
