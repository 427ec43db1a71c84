import type { SensorStatus } from '../readings/index.js';
import type { LakeSchema } from './parquet.js';

/** A status change from the device_status topic, as the lake keeps it (feeds the failure history). */
export interface DeviceStatusRow {
  readonly sensor_id: string;
  readonly ts: number;
  readonly status: SensorStatus;
  readonly kafka_topic: string;
  readonly kafka_partition: number;
  readonly kafka_offset: number;
}

export const DEVICE_STATUS_COLUMNS = [
  ['sensor_id', 'string'],
  ['ts', 'timestamp'],
  ['status', 'string'],
  ['kafka_topic', 'string'],
  ['kafka_partition', 'int'],
  ['kafka_offset', 'bigint'],
] as const satisfies LakeSchema;
