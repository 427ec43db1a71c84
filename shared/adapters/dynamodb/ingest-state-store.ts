import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IngestStateStore, PartitionMark, StoredSensorWindow } from '../../ports/index.js';
import { batchGet, batchPut } from './batch.js';

const markKey = (topic: string, partition: number) => ({ pk: `partition#${topic}#${partition}`, sk: 'mark' });
const windowKey = (sensorId: string) => ({ pk: `sensor#${sensorId}`, sk: 'window' });

/** Partition marks and sensor windows in one DynamoDB table. */
export class DynamoIngestStateStore implements IngestStateStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getPartitionMark(topic: string, partition: number): Promise<PartitionMark | null> {
    const res = await this.doc.send(new GetCommand({ TableName: this.table, Key: markKey(topic, partition), ConsistentRead: true }));
    if (!res.Item) return null;
    return { topic, partition, hwm: res.Item.hwm, pending: res.Item.pending ? JSON.parse(res.Item.pending) : null };
  }

  async putPartitionMark(mark: PartitionMark): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...markKey(mark.topic, mark.partition), hwm: mark.hwm, pending: mark.pending ? JSON.stringify(mark.pending) : undefined },
      }),
    );
  }

  async getSensorWindows(sensorIds: readonly string[]): Promise<Map<string, StoredSensorWindow>> {
    const items = await batchGet(this.doc, this.table, [...new Set(sensorIds)].map(windowKey));
    const out = new Map<string, StoredSensorWindow>();
    for (const item of items) {
      const w = JSON.parse(item.body as string) as StoredSensorWindow;
      out.set(w.sensorId, w);
    }
    return out;
  }

  async putSensorWindows(windows: readonly StoredSensorWindow[]): Promise<void> {
    await batchPut(this.doc, this.table, windows.map((w) => ({ ...windowKey(w.sensorId), body: JSON.stringify(w) })));
  }
}
