import { ENRICHED_COLUMNS } from '../../../shared/judgment/index.js';
import { batchObjectKey, DEVICE_STATUS_COLUMNS, encodeParquet, noteLakeChanges } from '../../../shared/lake/index.js';
import type { ObjectStore } from '../../../shared/ports/index.js';
import type { Reading, SensorStatus } from '../../../shared/readings/index.js';

const HOUR = 3_600_000;

/**
 * Writes readings to the lake as the executor does: one Parquet file per event hour of one
 * "batch", named by topic, partition and the batch's offsets, with the enriched schema (the
 * judgment columns left null: the refresh reads only the reading's own columns), after noting
 * the hours for the refresh as the executor does (`note: false`: as a hand-made copy would, without).
 * Returns the next free offset.
 */
export async function writeBatch(lake: ObjectStore, readings: readonly Reading[], at: { partition: number; firstOffset: number; topic?: string; note?: boolean }): Promise<number> {
  const topic = at.topic ?? 'sensor_readings';
  const rows = readings.map((r, i) => ({ ...r, channels: r.channels ? JSON.stringify(r.channels) : null, kafka_topic: topic, kafka_partition: at.partition, kafka_offset: at.firstOffset + i, late: false, reading_count: 0, historical_failure_count: 0 }));
  const byHour = new Map<number, typeof rows>();
  for (const row of rows) {
    const h = Math.floor(row.ts / HOUR) * HOUR;
    let list = byHour.get(h);
    if (!list) byHour.set(h, (list = []));
    list.push(row);
  }
  const files = [...byHour].map(([h, list]) => ({ list, key: batchObjectKey('readings', h, topic, at.partition, list[0].kafka_offset, list[list.length - 1].kafka_offset) }));
  if (at.note ?? true) await noteLakeChanges(lake, files.map((f) => f.key), Date.now(), { reuse: false });
  for (const { key, list } of files) await lake.put(key, encodeParquet(ENRICHED_COLUMNS, list));
  return at.firstOffset + readings.length;
}

/** Device status events into the lake's device_status table, one file per hour. */
export async function writeDeviceStatus(lake: ObjectStore, events: readonly { sensor_id: string; ts: number; status: SensorStatus }[], at: { partition: number; firstOffset: number }): Promise<void> {
  const rows = events.map((e, i) => ({ ...e, kafka_topic: 'device_status', kafka_partition: at.partition, kafka_offset: at.firstOffset + i }));
  const byHour = new Map<number, typeof rows>();
  for (const row of rows) {
    const h = Math.floor(row.ts / HOUR) * HOUR;
    let list = byHour.get(h);
    if (!list) byHour.set(h, (list = []));
    list.push(row);
  }
  await noteLakeChanges(lake, [...byHour].map(([h, list]) => batchObjectKey('deviceStatus', h, 'device_status', at.partition, list[0].kafka_offset, list[list.length - 1].kafka_offset)), Date.now(), { reuse: false });
  for (const [h, list] of byHour) {
    await lake.put(batchObjectKey('deviceStatus', h, 'device_status', at.partition, list[0].kafka_offset, list[list.length - 1].kafka_offset), encodeParquet(DEVICE_STATUS_COLUMNS, list));
  }
}
