import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { ReflectionPointer, SensorReflection } from '../../reflections/index.js';
import type { ReflectionStore } from '../../ports/index.js';
import { TidelineError } from '../../errors.js';
import { batchGet, batchPut } from './batch.js';

/** Another refresh flipped the pointer first; this one's version is abandoned (it expires by TTL). */
export class ReflectionPointerConflictError extends TidelineError {
  constructor(readonly expectedVersion: string | null) {
    super(`reflection pointer is no longer at version ${expectedVersion ?? '(none)'}`);
  }
}

const gzipAsync = promisify(gzip);
const POINTER_KEY = { pk: 'pointer', sk: 'current' };
const sensorKey = (sensorId: string, version: string) => ({ pk: `sensor#${sensorId}`, sk: `v#${version}` });

/**
 * Reflections in DynamoDB: one item per sensor and version (the whole context in one read), plus one pointer item.
 * The body is gzipped JSON: a 90-day reflection is about 16.5 KB as JSON and 5.5 KB gzipped, and
 * DynamoDB bills writes per KB, so every refresh writes a third of the units. Items written as a
 * JSON string (before gzip) are still read.
 */
export class DynamoReflectionStore implements ReflectionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async currentPointer(): Promise<ReflectionPointer | null> {
    const res = await this.doc.send(new GetCommand({ TableName: this.table, Key: POINTER_KEY, ConsistentRead: true }));
    if (!res.Item) return null;
    return { version: res.Item.version, refreshedAt: res.Item.refreshed_at, windowEnd: res.Item.window_end };
  }

  async getReflections(version: string, sensorIds: readonly string[]): Promise<Map<string, SensorReflection>> {
    const items = await batchGet(this.doc, this.table, [...new Set(sensorIds)].map((id) => sensorKey(id, version)));
    const out = new Map<string, SensorReflection>();
    for (const item of items) {
      const r = JSON.parse(typeof item.body === 'string' ? item.body : gunzipSync(item.body as Uint8Array).toString('utf8')) as SensorReflection;
      out.set(r.sensorId, r);
    }
    return out;
  }

  async putReflections(reflections: Iterable<SensorReflection>, expiresAt: number): Promise<void> {
    // Each is compressed on libuv's thread pool as soon as it arrives: gzip would otherwise hold
    // the event loop for every sensor in turn, and a lazy caller keeps computing the next meanwhile.
    const items = Array.from(reflections, (r) => ({ key: sensorKey(r.sensorId, r.version), body: gzipAsync(JSON.stringify(r)) }));
    const bodies = await Promise.all(items.map((i) => i.body));
    await batchPut(
      this.doc,
      this.table,
      items.map((item, i) => ({ ...item.key, body: bodies[i], expires_at: Math.floor(expiresAt / 1000) })),
    );
  }

  async flipPointer(pointer: ReflectionPointer, expectedVersion: string | null): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...POINTER_KEY, version: pointer.version, refreshed_at: pointer.refreshedAt, window_end: pointer.windowEnd },
          ConditionExpression: expectedVersion === null ? 'attribute_not_exists(pk)' : 'version = :expected',
          ExpressionAttributeValues: expectedVersion === null ? undefined : { ':expected': expectedVersion },
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new ReflectionPointerConflictError(expectedVersion);
      throw e;
    }
  }
}
