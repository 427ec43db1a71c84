import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { applyReflectionDelta, changedBuckets, reflectionDelta, type ReflectionDelta, type ReflectionPointer, type SensorReflection } from '../../reflections/index.js';
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
const DAY_MS = 86_400_000;

export interface DynamoReflectionStoreOptions {
  /**
   * How much longer a whole item lives than the version it was written for: for that long, later
   * versions of the sensor may be written as changes against it (their items expire no later).
   * @default 1 day
   */
  readonly baseSpanMs?: number;
  /** A version is written whole again once its changes span more hour-of-day and hour-of-week buckets than this. @default 48 */
  readonly maxDeltaBuckets?: number;
}

/** A whole reflection this store wrote, which later versions of the same sensor are written against. */
interface WrittenBase {
  readonly reflection: SensorReflection;
  /** When its item expires (epoch ms). */
  readonly expiresAt: number;
}

/**
 * Reflections in DynamoDB: one item per sensor and version (the whole context in one read), plus one pointer item.
 * The body is gzipped JSON: a 90-day reflection is about 16.5 KB as JSON and 5.5 KB gzipped, and
 * DynamoDB bills writes per KB, so every refresh writes a third of the units. Items written as a
 * JSON string (before gzip) are still read.
 *
 * A store that wrote a sensor's whole reflection recently writes the sensor's next versions as
 * changes against it (`ReflectionDelta`, with the base version in the item's `base`): after one
 * new hour, the profile and one bucket each of hour of day and hour of week, about a tenth of the
 * bytes to encode, send and store. A reader fetches such an item's base with a second request
 * (an executor reads each version once, so once an hour). A base outlives every item written
 * against it (`baseSpanMs`); a store without one (a cold process) writes whole items, which
 * become its bases. The writer keeps its bases in memory: one reflection per sensor.
 */
export class DynamoReflectionStore implements ReflectionStore {
  private readonly baseSpanMs: number;
  private readonly maxDeltaBuckets: number;
  /** Per sensor, the last whole reflection this store wrote. */
  private readonly written = new Map<string, WrittenBase>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    options: DynamoReflectionStoreOptions = {},
  ) {
    this.baseSpanMs = options.baseSpanMs ?? DAY_MS;
    this.maxDeltaBuckets = options.maxDeltaBuckets ?? 48;
    if (!(this.baseSpanMs >= 0)) throw new Error(`baseSpanMs must be a non-negative number of milliseconds, got ${options.baseSpanMs}`);
  }

  async currentPointer(): Promise<ReflectionPointer | null> {
    const res = await this.doc.send(new GetCommand({ TableName: this.table, Key: POINTER_KEY, ConsistentRead: true }));
    if (!res.Item) return null;
    return { version: res.Item.version, refreshedAt: res.Item.refreshed_at, windowEnd: res.Item.window_end };
  }

  async getReflections(version: string, sensorIds: readonly string[]): Promise<Map<string, SensorReflection>> {
    const items = await batchGet(this.doc, this.table, [...new Set(sensorIds)].map((id) => sensorKey(id, version)));
    const out = new Map<string, SensorReflection>();
    const deltas: { delta: ReflectionDelta; base: string }[] = [];
    for (const item of items) {
      const body = decodeBody(item.body);
      if (typeof item.base === 'string') deltas.push({ delta: body as ReflectionDelta, base: item.base });
      else out.set((body as SensorReflection).sensorId, body as SensorReflection);
    }
    if (deltas.length > 0) {
      const bases = new Map<string, SensorReflection>();
      for (const item of await batchGet(this.doc, this.table, deltas.map(({ delta, base }) => sensorKey(delta.sensorId, base)))) {
        const base = decodeBody(item.body) as SensorReflection;
        bases.set(`${base.sensorId}\u0000${base.version}`, base);
      }
      for (const { delta, base } of deltas) {
        const reflection = bases.get(`${delta.sensorId}\u0000${base}`);
        // TTL deletes a base no earlier than the items written against it.
        if (!reflection) throw new Error(`reflection ${delta.sensorId} of version ${delta.version} is written against version ${base}, which is missing`);
        out.set(delta.sensorId, applyReflectionDelta(reflection, delta));
      }
    }
    return out;
  }

  async putReflections(reflections: Iterable<SensorReflection>, expiresAt: number): Promise<void> {
    // A whole reflection is compressed on libuv's thread pool as soon as it arrives: gzip would
    // otherwise hold the event loop for every sensor in turn, and a lazy caller keeps computing
    // the next meanwhile. A delta (about 1 KB of JSON) is compressed in place: in 0.1 ms, less
    // than the round trip to a pool thread.
    const items = Array.from(reflections, (r) => {
      const key = sensorKey(r.sensorId, r.version);
      const base = this.written.get(r.sensorId);
      // Written against a base only while the base outlives this version's items.
      const delta = base && base.expiresAt >= expiresAt ? reflectionDelta(base.reflection, r) : null;
      if (delta && changedBuckets(delta) <= this.maxDeltaBuckets) {
        return { item: { ...key, base: base!.reflection.version, expires_at: Math.floor(expiresAt / 1000) }, body: Promise.resolve(gzipSync(JSON.stringify(delta))), whole: null };
      }
      const wholeExpiresAt = expiresAt + this.baseSpanMs;
      return { item: { ...key, expires_at: Math.floor(wholeExpiresAt / 1000) }, body: gzipAsync(JSON.stringify(r)), whole: { reflection: r, expiresAt: wholeExpiresAt } };
    });
    const bodies = await Promise.all(items.map((i) => i.body));
    // A whole item becomes a base only once stored: a failed write leaves none to write against.
    for (const { whole } of items) if (whole) this.written.delete(whole.reflection.sensorId);
    await batchPut(
      this.doc,
      this.table,
      items.map(({ item }, i) => ({ ...item, body: bodies[i] })),
    );
    for (const { whole } of items) if (whole) this.written.set(whole.reflection.sensorId, whole);
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

/** An item's body: gzipped JSON, or a JSON string as written before gzip. */
function decodeBody(body: unknown): unknown {
  return JSON.parse(typeof body === 'string' ? body : gunzipSync(body as Uint8Array).toString('utf8'));
}
