import { METRICS, type Reading } from '../readings/index.js';
import { BackfillOptionsError } from './errors.js';

/** A reading from history, with the line (or row) it came from: stable, so re-imports overwrite. */
export interface HistoryReading {
  readonly reading: Reading;
  /** 1-based line of a text file (the header is line 1), or row number + 1 of a Parquet file. */
  readonly line: number;
}

/** A chunk of readings and how far through the source it is. */
export interface HistoryChunk {
  readonly readings: readonly HistoryReading[];
  /** Units consumed so far, in the unit of `size` (bytes of a file, rows of a table …). */
  readonly progress: number;
}

/**
 * Where history comes from: a CSV or Parquet file today, InfluxDB later. A source yields
 * validated readings in chunks; anything it cannot read is a HistoryFileError naming the
 * source, line and column, and the backfill then publishes nothing.
 *
 * @example
 *   class InfluxHistorySource implements HistorySource {
 *     readonly name = 'influx://sensor_metrics/autogen';
 *     readonly size = null;
 *     async *chunks() { for await (const rows of queryPages()) yield { readings: rows.map(toHistoryReading), progress: n }; }
 *   }
 */
export interface HistorySource {
  /** Stable name (the file path): names errors and keys the import's stream positions. */
  readonly name: string;
  /** Total units, for progress; null when unknown. */
  readonly size: number | null;
  chunks(): AsyncIterable<HistoryChunk>;
}

/** Which source column feeds which reading field. Absent metrics are null in every reading. */
export interface ColumnMap {
  readonly temperature?: string;
  readonly pressure?: string;
  readonly vibration?: string;
  /** A column of statuses (OK, DEGRADED, FAILED …); absent: every reading is OK. */
  readonly status?: string;
  /** A column of sensor ids; absent: the source's fixed sensor id. */
  readonly sensor_id?: string;
  /** The time column; absent: the format's default (datetime, timestamp, ts or time). */
  readonly ts?: string;
}

const MAP_TARGETS = [...METRICS, 'status', 'sensor_id', 'ts'] as const;

/**
 * Parses a column map from the command line: `temperature=Temperature,pressure=Pressure`.
 * @throws BackfillOptionsError naming the bad entry and the fields a column may feed.
 */
export function parseColumnMap(text: string): ColumnMap {
  const map: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const target = part.slice(0, eq).trim();
    const column = part.slice(eq + 1).trim();
    if (eq < 0 || column === '') throw new BackfillOptionsError('--map', `entry "${part}" must be field=Column, e.g. temperature=Temperature`);
    if (!(MAP_TARGETS as readonly string[]).includes(target)) {
      throw new BackfillOptionsError('--map', `field "${target}" is not one of ${MAP_TARGETS.join(', ')}`);
    }
    if (map[target] !== undefined) throw new BackfillOptionsError('--map', `field "${target}" is mapped twice`);
    map[target] = column;
  }
  if (!METRICS.some((m) => map[m] !== undefined)) {
    throw new BackfillOptionsError('--map', `maps no metric; name at least one of ${METRICS.join(', ')}, e.g. temperature=Temperature`);
  }
  return map as ColumnMap;
}

/**
 * History already in memory as readings (e.g. the evaluator's parsed SKAB rows, or a test's
 * generated readings), as a source; `line` is the position + 2, as if there were a header.
 */
export function readingsHistorySource(name: string, readings: readonly Reading[], chunkSize = 50_000): HistorySource {
  return {
    name,
    size: readings.length,
    async *chunks() {
      for (let i = 0; i < readings.length; i += chunkSize) {
        const slice = readings.slice(i, i + chunkSize);
        yield { readings: slice.map((reading, j) => ({ reading, line: i + j + 2 })), progress: i + slice.length };
      }
    },
  };
}
