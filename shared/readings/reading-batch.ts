import type { RawRecord } from './msk-event.js';
import type { Reading } from './reading.js';
import type { SensorStatus } from './status.js';

/**
 * The readings of one batch held as columns, in stream order: what the executor judges. One
 * object per reading (with a boxed double per metric) was a third of a batch's time in
 * allocation and garbage collection; columns of doubles cost neither.
 *
 * An absent metric is NaN in its column (a reading's numbers are always finite, so NaN is free
 * to mean null). Sensors are numbered in order of first appearance, so judgment can keep each
 * sensor's context and window in an array instead of looking them up by id per reading.
 */
export class ReadingBatch {
  /** Readings held; the columns have room for `capacity`. */
  length = 0;
  /** The record each reading came from (its origin: topic, partition, offset). */
  readonly records: RawRecord[];
  readonly ts: Float64Array;
  readonly temperature: Float64Array;
  readonly pressure: Float64Array;
  readonly vibration: Float64Array;
  readonly status: SensorStatus[];
  /** Index into `sensors` of each reading's sensor. */
  readonly sensorIndex: Int32Array;
  /** Distinct sensor ids, in order of first appearance. */
  readonly sensors: string[] = [];
  /** Extra channels by reading index; null until a reading carries some (most sensors never do). */
  channels: (Readonly<Record<string, number>> | undefined)[] | null = null;
  /**
   * Valid sensor ids by the base64 key that holds them, with the sensor's number once a reading of
   * it is held (-1 before): the fast reader decodes each key once per batch, and looks up once per record.
   */
  readonly sensorByKey = new Map<string, { readonly id: string; number: number }>();
  private readonly indexOfSensor = new Map<string, number>();

  constructor(readonly capacity: number) {
    this.records = new Array(capacity);
    this.ts = new Float64Array(capacity);
    this.temperature = new Float64Array(capacity);
    this.pressure = new Float64Array(capacity);
    this.vibration = new Float64Array(capacity);
    this.status = new Array(capacity);
    this.sensorIndex = new Int32Array(capacity);
  }

  /** The index of a sensor, numbering it when first seen. */
  sensorNumber(sensorId: string): number {
    let n = this.indexOfSensor.get(sensorId);
    if (n === undefined) {
      n = this.sensors.length;
      this.sensors.push(sensorId);
      this.indexOfSensor.set(sensorId, n);
    }
    return n;
  }

  /** Appends a reading read by the general path (readReading). */
  push(reading: Reading, record: RawRecord): void {
    const i = this.length++;
    this.records[i] = record;
    this.sensorIndex[i] = this.sensorNumber(reading.sensor_id);
    this.ts[i] = reading.ts;
    this.temperature[i] = reading.temperature ?? NaN;
    this.pressure[i] = reading.pressure ?? NaN;
    this.vibration[i] = reading.vibration ?? NaN;
    this.status[i] = reading.status;
    if (reading.channels) (this.channels ??= [])[i] = reading.channels;
  }

  sensorId(i: number): string {
    return this.sensors[this.sensorIndex[i]];
  }

  /** Reading `i` as an object, exactly as readReading returns it. */
  reading(i: number): Reading {
    const orNull = (x: number) => (x !== x ? null : x);
    const channels = this.channels?.[i];
    return {
      sensor_id: this.sensorId(i),
      ts: this.ts[i],
      temperature: orNull(this.temperature[i]),
      pressure: orNull(this.pressure[i]),
      vibration: orNull(this.vibration[i]),
      status: this.status[i],
      ...(channels ? { channels } : {}),
    };
  }
}
