import { describe, expect, it } from 'vitest';
import type { Table } from 'apache-arrow';
import {
  DEFAULT_JUDGMENT_CONFIG,
  emptyWindow,
  ENRICHED_COLUMNS,
  judgeBatch,
  SensorContext,
  type AlertChange,
  type EnrichedColumn,
} from '../../../shared/judgment/index.js';
import { columnsToArrow, decodeParquet, encodeParquet, encodeParquetColumns, rowsToArrow } from '../../../shared/lake/index.js';
import { ReadingBatch, type Reading } from '../../../shared/readings/index.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
import { readingFactory, T0 } from '../../helpers/factories.js';

const DAY = 86_400_000;

/** Two sensors over two event hours: missing metrics, a late reading, a spike, one with channels. */
function judgedBatch() {
  const history: Reading[] = [];
  for (let ts = T0 - 30 * DAY, i = 0; ts < T0; ts += 600_000, i++) {
    history.push(readingFactory({ sensor_id: 'pump-1', ts, temperature: i % 2 ? 21 : 19, pressure: 100 + (i % 3), vibration: 0.5 + (i % 5) * 0.01 }));
  }
  const context = new SensorContext(reflectionFromReadings('pump-1', 'v1', history, T0), DEFAULT_JUDGMENT_CONFIG.minHistory);
  const batch = new ReadingBatch(40);
  for (let i = 0; i < 40; i++) {
    const sensor = i % 2 ? 'pump-1' : 'pump-2';
    const ts = T0 + 50 * 60_000 + i * 30_000 - (i === 17 ? 600_000 : 0);
    const reading = readingFactory({
      sensor_id: sensor,
      ts,
      temperature: i % 7 === 0 ? null : i === 21 ? 40 : 20 + (i % 3) * 0.5,
      pressure: i % 5 === 0 ? null : 100.5,
      vibration: i % 4 === 0 ? null : 0.52,
      status: i === 33 ? 'FAILED' : 'OK',
      ...(i === 12 ? { channels: { current: 3.2 } } : {}),
    });
    batch.push(reading, { topic: 'sensor_readings', partition: 3, offset: 1000 + i, timestamp: ts, key: null, value: null });
  }
  const contexts = batch.sensors.map((id) => (id === 'pump-1' ? context : new SensorContext(null, DEFAULT_JUDGMENT_CONFIG.minHistory)));
  const changes: AlertChange[] = [];
  return judgeBatch(batch, contexts, batch.sensors.map(() => emptyWindow()), DEFAULT_JUDGMENT_CONFIG, changes);
}

const plain = (table: Table) => table.toArray().map((row) => JSON.parse(JSON.stringify(row.toJSON(), (_, v) => (typeof v === 'bigint' ? Number(v) : v))));

describe('lake columns', () => {
  const judged = judgedBatch();
  const all = Int32Array.from({ length: judged.length }, (_, i) => i);
  const valuesOf = (at: Int32Array) => (name: string) => judged.lakeColumn(name as EnrichedColumn, at);

  it('builds the same Arrow table from a judged batch\'s columns as from its rows, nulls and all', () => {
    const fromColumns = columnsToArrow(ENRICHED_COLUMNS, valuesOf(all));
    const fromRows = rowsToArrow(ENRICHED_COLUMNS, judged.rows());
    expect(fromColumns.schema.fields.map((f) => String(f.type))).toEqual(fromRows.schema.fields.map((f) => String(f.type)));
    expect(plain(fromColumns)).toEqual(plain(fromRows));
    // The batch really has the cases that matter: nulls in number and timestamp columns, a late reading, channels.
    const rows = judged.rows();
    expect(rows.some((r) => r.temperature === null)).toBe(true);
    expect(rows.some((r) => r.late)).toBe(true);
    expect(rows.some((r) => r.channels !== undefined && r.channels !== null)).toBe(true);
    expect(rows.some((r) => r.last_failure_ts === null)).toBe(true);
  });

  it('writes Parquet that reads back equal to the rows\' Parquet, for a subset of readings', () => {
    const at = Int32Array.from([1, 5, 17, 21, 30, 39]);
    const rows = Array.from(at, (i) => judged.row(i));
    expect(plain(decodeParquet(encodeParquetColumns(ENRICHED_COLUMNS, valuesOf(at))))).toEqual(plain(decodeParquet(encodeParquet(ENRICHED_COLUMNS, rows))));
  });

  it('refuses NaN-for-null values for a column that is not double or timestamp', () => {
    expect(() => columnsToArrow([['reading_count', 'bigint']], () => ({ nanIsNull: new Float64Array(1) }))).toThrow(/reading_count is bigint; only double and timestamp columns take NaN for null/);
  });
});
