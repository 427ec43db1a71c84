import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IngestStateStore, PartitionMark, StoredSensorWindow, WindowLayout } from '../../ports/index.js';
import { batchGet, batchPut } from './batch.js';

const markKey = (topic: string, partition: number) => ({ pk: `partition#${topic}#${partition}`, sk: 'mark' });
/** One item per sensor (layout 0), as every window was stored before buckets. */
const sensorKey = (sensorId: string) => ({ pk: `sensor#${sensorId}`, sk: 'window' });
/** A bucket of a layout: the bucket count is part of the key, so a grown layout never reads the items of a smaller one. */
const bucketKey = (layout: WindowLayout, bucket: string) => ({ pk: `windows#${layout.topic}#${layout.partition}#${layout.buckets}`, sk: `bucket#${bucket}` });

export interface DynamoIngestStateStoreOptions {
  /** See IngestStateStore.windowBucketBytes. @default 0 (one item per sensor) */
  readonly windowBucketBytes?: number;
}

/** Partition marks and sensor windows (per sensor, or in buckets per partition) in one DynamoDB table. */
export class DynamoIngestStateStore implements IngestStateStore {
  readonly windowBucketBytes: number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    options: DynamoIngestStateStoreOptions = {},
  ) {
    this.windowBucketBytes = options.windowBucketBytes ?? 0;
    // DynamoDB's item limit is 400 KB; a bucket may grow to twice the average before its partition's buckets double.
    if (!Number.isInteger(this.windowBucketBytes) || this.windowBucketBytes < 0 || this.windowBucketBytes > 128 * 1024) {
      throw new RangeError(`windowBucketBytes must be an integer from 0 to ${128 * 1024}, got ${this.windowBucketBytes}`);
    }
  }

  async getPartitionMark(topic: string, partition: number): Promise<PartitionMark | null> {
    const res = await this.doc.send(new GetCommand({ TableName: this.table, Key: markKey(topic, partition), ConsistentRead: true }));
    if (!res.Item) return null;
    const mark: PartitionMark = { topic, partition, hwm: res.Item.hwm, pending: res.Item.pending ? JSON.parse(res.Item.pending) : null };
    return typeof res.Item.window_buckets === 'number' ? { ...mark, windowBuckets: res.Item.window_buckets } : mark;
  }

  async putPartitionMark(mark: PartitionMark): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...markKey(mark.topic, mark.partition),
          hwm: mark.hwm,
          pending: mark.pending ? JSON.stringify(mark.pending) : undefined,
          window_buckets: mark.windowBuckets,
        },
      }),
    );
  }

  async getWindowBuckets(layout: WindowLayout, keys: readonly string[]): Promise<Map<string, StoredSensorWindow[]>> {
    const out = new Map<string, StoredSensorWindow[]>();
    const unique = [...new Set(keys)];
    if (layout.buckets === 0) {
      for (const item of await batchGet(this.doc, this.table, unique.map(sensorKey))) {
        const w = JSON.parse(item.body as string) as StoredSensorWindow;
        out.set(w.sensorId, [w]);
      }
      return out;
    }
    for (const item of await batchGet(this.doc, this.table, unique.map((k) => bucketKey(layout, k)))) {
      out.set((item.sk as string).slice('bucket#'.length), JSON.parse(item.body as string) as StoredSensorWindow[]);
    }
    return out;
  }

  async putWindowBuckets(layout: WindowLayout, buckets: ReadonlyMap<string, readonly StoredSensorWindow[]>): Promise<void> {
    const items: Record<string, unknown>[] = [];
    for (const [key, windows] of buckets) {
      if (layout.buckets === 0) {
        for (const w of windows) items.push({ ...sensorKey(w.sensorId), body: JSON.stringify(w) });
      } else {
        items.push({ ...bucketKey(layout, key), body: JSON.stringify(windows) });
      }
    }
    await batchPut(this.doc, this.table, items);
  }
}
