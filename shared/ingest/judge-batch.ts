import {
  readReading,
  readReadingFast,
  RecordValidationError,
  type DeadLetter,
  type RawRecord,
  type Reading,
} from '../readings/index.js';
import {
  judgeReadingAndAlert,
  type AlertChange,
  type EnrichedReading,
  type JudgmentConfig,
  type SensorContext,
  type SensorWindow,
} from '../judgment/index.js';

export interface DecodedRecords {
  readonly readings: { readonly reading: Reading; readonly record: RawRecord }[];
  readonly deadLetters: DeadLetter[];
}

/**
 * Turns raw records into readings; every record that cannot be read becomes a dead letter with its
 * reason. The common record shape takes the fast path; anything else, and every verdict on a bad
 * record, comes from readReading.
 */
export function decodeRecords(records: readonly RawRecord[]): DecodedRecords {
  const readings: DecodedRecords['readings'] = [];
  const deadLetters: DeadLetter[] = [];
  for (const record of records) {
    const fast = readReadingFast(record.key, record.value, record.timestamp);
    if (fast !== null) {
      readings.push({ reading: fast, record });
      continue;
    }
    try {
      readings.push({ reading: readReading(record.key, record.value, record.timestamp), record });
    } catch (e) {
      deadLetters.push(toDeadLetter(record, e));
    }
  }
  return { readings, deadLetters };
}

export function toDeadLetter(record: RawRecord, e: unknown): DeadLetter {
  const known = e instanceof RecordValidationError;
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key,
    value: record.value,
    reason: known ? e.reason : `unexpected error reading the record: ${(e as Error)?.message ?? String(e)}`,
    field: known ? e.field : null,
    error: (e as Error)?.name ?? 'Error',
  };
}

export interface JudgedBatch {
  readonly rows: EnrichedReading[];
  readonly alertChanges: AlertChange[];
}

/**
 * Judges readings in stream order against their sensors' contexts, advancing the given
 * windows (mutated in place) and alert hysteresis. No I/O: this is the executor's hot path.
 */
export function judgeReadings(
  readings: DecodedRecords['readings'],
  contextOf: (sensorId: string) => SensorContext,
  windows: Map<string, SensorWindow>,
  config: JudgmentConfig,
): JudgedBatch {
  const rows: EnrichedReading[] = new Array(readings.length);
  const alertChanges: AlertChange[] = [];
  for (let i = 0; i < readings.length; i++) {
    const { reading, record } = readings[i];
    const window = windows.get(reading.sensor_id);
    if (!window) throw new Error(`no window loaded for sensor ${reading.sensor_id}`);
    rows[i] = judgeReadingAndAlert(reading, record, contextOf(reading.sensor_id), window, config, alertChanges);
  }
  return { rows, alertChanges };
}
