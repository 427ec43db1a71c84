import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MinuteSummary } from '../../judgment/index.js';
import type { MinuteSummaryKey, MinuteSummaryStore } from '../../ports/index.js';
import { batchGet, batchPut } from './batch.js';

/** Sort key: ISO minute then classification, so a sensor's summaries read back in time order. */
export function minuteClassKey(minute: number, classification: string): string {
  return `${new Date(minute).toISOString()}#${classification}`;
}

/** Minute summaries in DynamoDB; each expires `retentionMs` after it was last written (TTL on processing time, so replayed old data is kept too). */
export class DynamoMinuteSummaryStore implements MinuteSummaryStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async getMany(keys: readonly MinuteSummaryKey[]): Promise<MinuteSummary[]> {
    const items = await batchGet(
      this.doc,
      this.table,
      keys.map((k) => ({ sensor_id: k.sensorId, minute_class: minuteClassKey(k.minute, k.classification) })),
    );
    return items.map(({ minute_class: _k, expires_at: _e, ...s }) => s as unknown as MinuteSummary);
  }

  async putMany(summaries: readonly MinuteSummary[]): Promise<void> {
    await batchPut(
      this.doc,
      this.table,
      summaries.map((s) => ({
        ...s,
        minute_class: minuteClassKey(s.minute, s.anomaly_classification),
        expires_at: Math.floor((this.clock() + this.retentionMs) / 1000),
      })),
    );
  }
}
