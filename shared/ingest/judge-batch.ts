import {
  readReading,
  readReadingInto,
  ReadingBatch,
  RecordValidationError,
  type DeadLetter,
  type RawRecord,
} from '../readings/index.js';
import {
  judgeBatch,
  type AlertChange,
  type JudgedReadings,
  type JudgmentConfig,
  type SensorContext,
  type SensorWindow,
} from '../judgment/index.js';

export interface DecodedRecords {
  /** The readings, as columns, in stream order. */
  readonly readings: ReadingBatch;
  readonly deadLetters: DeadLetter[];
}

/**
 * Turns raw records into readings; every record that cannot be read becomes a dead letter with its
 * reason. The common record shape takes the fast path; anything else, and every verdict on a bad
 * record, comes from readReading.
 */
export function decodeRecords(records: readonly RawRecord[]): DecodedRecords {
  const readings = new ReadingBatch(records.length);
  const deadLetters: DeadLetter[] = [];
  for (const record of records) {
    if (readReadingInto(readings, record)) continue;
    try {
      readings.push(readReading(record.key, record.value, record.timestamp), record);
    } catch (e) {
      deadLetters.push(toDeadLetter(record, e));
    }
  }
  return { readings, deadLetters };
}

export function toDeadLetter(record: RawRecord, e: unknown): DeadLetter {
  const known = e instanceof RecordValidationError;
  return deadLetter(
    record,
    known ? e.reason : `unexpected error reading the record: ${(e as Error)?.message ?? String(e)}`,
    known ? e.field : null,
    (e as Error)?.name ?? 'Error',
  );
}

/** A record kept as a dead letter: its origin and raw bytes (not the rest of the event's record) and why. */
export function deadLetter(record: RawRecord, reason: string, field: string | null, error: string): DeadLetter {
  return { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp, key: record.key, value: record.value, reason, field, error };
}

export interface JudgedBatch {
  readonly judged: JudgedReadings;
  readonly alertChanges: AlertChange[];
}

/**
 * Judges readings in stream order against their sensors' contexts, advancing the given
 * windows (mutated in place; one per sensor of the batch) and alert hysteresis. No I/O: this is
 * the executor's hot path.
 */
export function judgeReadings(
  readings: ReadingBatch,
  contextOf: (sensorId: string) => SensorContext,
  windows: ReadonlyMap<string, SensorWindow>,
  config: JudgmentConfig,
): JudgedBatch {
  const contexts = readings.sensors.map(contextOf);
  const sensorWindows = readings.sensors.map((id) => {
    const window = windows.get(id);
    if (!window) throw new Error(`no window loaded for sensor ${id}`);
    return window;
  });
  const alertChanges: AlertChange[] = [];
  const judged = judgeBatch(readings, contexts, sensorWindows, config, alertChanges);
  return { judged, alertChanges };
}
