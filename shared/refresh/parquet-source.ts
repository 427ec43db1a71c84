import { readFile } from 'node:fs/promises';
import { decodeParquet } from '../lake/index.js';
import { METRICS, parseReading, RecordValidationError } from '../readings/index.js';
import { BackfillOptionsError, HistoryFileError } from './errors.js';
import type { ColumnMap, HistoryChunk, HistoryReading, HistorySource } from './history.js';
import { parseHistoryTime } from './csv-source.js';

export interface ParquetHistorySourceOptions {
  readonly path: string;
  readonly columns: ColumnMap;
  readonly sensorId?: string;
  /** Offset of zone-less text times, minutes east of UTC. @default 0 */
  readonly zoneOffsetMinutes?: number;
  /** @default 50000 */
  readonly chunkSize?: number;
}

/**
 * A Parquet file as a history source: columns picked by the map; the time column may be a
 * timestamp, epoch milliseconds or text. Errors name the file, the 1-based row and the column.
 */
export function parquetHistorySource(options: ParquetHistorySourceOptions): HistorySource {
  const { path: file, columns: map } = options;
  if (!METRICS.some((m) => map[m] !== undefined)) throw new BackfillOptionsError('--map', `maps no metric; name at least one of ${METRICS.join(', ')}`);
  if (map.sensor_id === undefined && options.sensorId === undefined) {
    throw new BackfillOptionsError('--sensor', `${file}: give the sensor id of its readings (--sensor) or map a sensor_id column`);
  }
  const chunkSize = options.chunkSize ?? 50_000;
  let size: number | null = null;
  return {
    name: file,
    get size() {
      return size;
    },
    async *chunks(): AsyncGenerator<HistoryChunk> {
      let table;
      try {
        table = decodeParquet(await readFile(file));
      } catch (e) {
        throw new HistoryFileError(file, null, null, `is not a readable Parquet file: ${(e as Error).message}`, { cause: e });
      }
      size = table.numRows;
      const names = table.schema.fields.map((f) => f.name);
      const column = (name: string, field: string) => {
        const v = table.getChild(name);
        if (!v) throw new HistoryFileError(file, null, name, `the ${field} column is not in the file (columns: ${names.join(', ')})`, { unit: 'row' });
        return v;
      };
      const timeName = map.ts ?? names.find((n) => ['ts', 'timestamp', 'datetime', 'time'].includes(n.toLowerCase()));
      if (timeName === undefined) throw new HistoryFileError(file, null, null, `no time column: name one with --map ts=Column (columns: ${names.join(', ')})`);
      const time = column(timeName, 'time');
      const metrics = METRICS.map((m) => (map[m] === undefined ? null : column(map[m] as string, m)));
      const status = map.status === undefined ? null : column(map.status, 'status');
      const sensor = map.sensor_id === undefined ? null : column(map.sensor_id, 'sensor_id');
      let out: HistoryReading[] = [];
      for (let i = 0; i < table.numRows; i++) {
        const row = i + 1;
        const t = time.get(i) as unknown;
        const ts = typeof t === 'number' ? t : typeof t === 'bigint' ? Number(t) : t instanceof Date ? t.getTime() : typeof t === 'string' ? parseHistoryTime(t, options.zoneOffsetMinutes ?? 0) : null;
        if (ts === null || !Number.isFinite(ts)) throw new HistoryFileError(file, row, timeName, `${JSON.stringify(String(t))} is not a time`, { unit: 'row' });
        const body: Record<string, unknown> = { sensor_id: sensor ? sensor.get(i) : options.sensorId, ts: Math.round(ts), status: status ? (status.get(i) ?? undefined) : undefined };
        METRICS.forEach((m, k) => {
          const v = metrics[k]?.get(i) as unknown;
          if (v === undefined || v === null) body[m] = null;
          else if (typeof v === 'number' || typeof v === 'bigint') body[m] = Number(v);
          else throw new HistoryFileError(file, row, map[m] as string, `${JSON.stringify(String(v))} is not a number`, { unit: 'row' });
        });
        try {
          out.push({ reading: parseReading(body, 0), line: row });
        } catch (e) {
          if (!(e instanceof RecordValidationError)) throw e;
          const col = e.field === 'ts' ? timeName : e.field === 'status' ? (map.status ?? null) : e.field === 'sensor_id' ? (map.sensor_id ?? '--sensor') : (map[e.field as 'temperature'] ?? null);
          throw new HistoryFileError(file, row, col, e.reason, { cause: e, unit: 'row' });
        }
        if (out.length >= chunkSize) {
          yield { readings: out, progress: row };
          out = [];
        }
      }
      if (out.length > 0) yield { readings: out, progress: table.numRows };
    },
  };
}
