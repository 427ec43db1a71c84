import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { applyReflectionDelta, changedBuckets, reflectionDelta, type ReflectionDelta, type ReflectionPointer, type SensorReflection } from '../../reflections/index.js';
import type { ReflectionStore } from '../../ports/index.js';
import { TidelineError } from '../../errors.js';
import { partitionForKey } from '../murmur2.js';
import { batchGet, batchPut } from './batch.js';

/** Another refresh flipped the pointer first; this one's version is abandoned (it expires by TTL). */
export class ReflectionPointerConflictError extends TidelineError {
  constructor(readonly expectedVersion: string | null) {
    super(`reflection pointer is no longer at version ${expectedVersion ?? '(none)'}`);
  }
}

/** A version's items are not all there: its head names a pack, or a pack names an item, that is missing. */
export class ReflectionVersionIncompleteError extends TidelineError {
  constructor(
    readonly version: string,
    detail: string,
  ) {
    super(`reflection version ${version} is incomplete: ${detail}`);
  }
}

/** A pack would exceed DynamoDB's 400 KB item limit; nothing of the version is written. */
export class ReflectionPackTooLargeError extends TidelineError {
  constructor(
    readonly version: string,
    readonly pack: number,
    readonly bytes: number,
  ) {
    super(`reflection version ${version}: pack ${pack} is ${bytes} bytes gzipped, over the ${MAX_PACK_BODY_BYTES} a DynamoDB item can hold`);
  }
}

const gzipAsync = promisify(gzip);
const POINTER_KEY = { pk: 'pointer', sk: 'current' };
const sensorKey = (sensorId: string, version: string) => ({ pk: `sensor#${sensorId}`, sk: `v#${version}` });
const packKey = (pack: number, version: string) => ({ pk: `pack#${pack}`, sk: `v#${version}` });
const headKey = (version: string) => ({ pk: 'head', sk: `v#${version}` });
const itemId = (key: { pk: unknown; sk: unknown }) => `${key.pk}\u0000${key.sk}`;
/** The pack a sensor's entry is in: Kafka's partitioner, so reader and writer agree by construction. */
const packOf = (sensorId: string, packs: number) => partitionForKey(sensorId, packs);
const DAY_MS = 86_400_000;

/**
 * JSON bytes of entries the writer puts in a pack, on average. Deltas packed together gzip about
 * 3.8 : 1 (ten deltas of a 90-day reflection: 11.7 KB of JSON, 3.1 KB gzipped), so a pack is
 * about 3.2 KB: one read unit (4 KB), with room for the hash filling some packs fuller than others.
 */
const PACK_JSON_BYTES = 12_000;
/** DynamoDB's item limit (400 KB, names and keys included), less room for the keys and expiry. */
const MAX_PACK_BODY_BYTES = 400 * 1024 - 1024;
/** Versions whose pack count a reader remembers: an executor reads one version an hour. */
const REMEMBERED_HEADS = 16;

/** One sensor's entry in its version's pack: its changes against a whole reflection, or that it is whole in this version. */
type PackEntry = { readonly sensorId: string; readonly base: string; readonly delta: ReflectionDelta } | { readonly sensorId: string; readonly whole: true };

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
 * Reflections in DynamoDB, plus one pointer item. Bodies are gzipped JSON: a 90-day reflection is
 * about 16.5 KB as JSON and 5.5 KB gzipped, and DynamoDB bills writes per KB.
 *
 * A store that wrote a sensor's whole reflection recently writes the sensor's next versions as
 * changes against it (`ReflectionDelta`): after one new hour, the profile and one bucket each of
 * hour of day and hour of week, about a tenth of the bytes. A whole reflection is one item per
 * sensor and version (`sensor#<id>`); a base outlives every version written against it
 * (`baseSpanMs`), and a store without one (a cold process) writes whole items, which become its
 * bases. The writer keeps its bases in memory: one reflection per sensor.
 *
 * Each sensor of a version has one entry in one of the version's P pack items (`pack#<k>`, k =
 * murmur2 of the sensor id mod P): its delta and base version, or a mark that it is whole. Deltas
 * of about 0.5 KB each would cost a write unit and, on DynamoDB Local, a SQLite transaction apiece;
 * packed, a refresh writes a few items of about 3 KB. P rides in the version's head item (and on
 * the pointer, when this store wrote the version it flips to, so a reader skips the head); a
 * version without a head was written one item per sensor (a delta item names its `base`), by a
 * release before packs, and is read that way. Items written as a JSON string (before gzip) are
 * still read.
 */
export class DynamoReflectionStore implements ReflectionStore {
  private readonly baseSpanMs: number;
  private readonly maxDeltaBuckets: number;
  /** Per sensor, the last whole reflection this store wrote. */
  private readonly written = new Map<string, WrittenBase>();
  /** Pack counts of recent versions, oldest first (versions are immutable, so never stale). */
  private readonly packCounts = new Map<string, number>();

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
    // The writer leaves the version's pack count on the pointer: a reader spares the head read.
    if (Number.isInteger(res.Item.packs) && res.Item.packs >= 1) this.rememberPackCount(res.Item.version, res.Item.packs);
    return {
      version: res.Item.version,
      refreshedAt: res.Item.refreshed_at,
      windowEnd: res.Item.window_end,
      ...(typeof res.Item.built_from === 'string' ? { builtFrom: res.Item.built_from } : {}),
    };
  }

  async getReflections(version: string, sensorIds: readonly string[]): Promise<Map<string, SensorReflection>> {
    const wanted = new Set(sensorIds);
    if (wanted.size === 0) return new Map();
    const packs = await this.packCount(version);
    if (packs === null) return this.getSensorItems(version, [...wanted]);

    const packKeys = [...new Set([...wanted].map((id) => packOf(id, packs)))].map((k) => packKey(k, version));
    const packItems = await this.getItems(packKeys);
    const entries = new Map<string, PackEntry>();
    for (const key of packKeys) {
      const item = packItems.get(itemId(key));
      // Every pack is written, empty or not: a missing one is not a version without those sensors.
      if (!item) throw new ReflectionVersionIncompleteError(version, `its head names ${packs} packs, and ${key.pk} is missing`);
      for (const entry of decodeBody(item.body) as PackEntry[]) if (wanted.has(entry.sensorId)) entries.set(entry.sensorId, entry);
    }

    const itemKey = (e: PackEntry) => ('base' in e ? sensorKey(e.sensorId, e.base) : sensorKey(e.sensorId, version));
    const items = await this.getItems([...entries.values()].map(itemKey));
    const out = new Map<string, SensorReflection>();
    for (const entry of entries.values()) {
      const item = items.get(itemId(itemKey(entry)));
      if ('base' in entry) {
        // TTL deletes a base no earlier than the packs written against it.
        if (!item) throw new ReflectionVersionIncompleteError(version, `reflection ${entry.sensorId} is written against version ${entry.base}, which is missing`);
        out.set(entry.sensorId, applyReflectionDelta(decodeBody(item.body) as SensorReflection, entry.delta));
      } else {
        if (!item) throw new ReflectionVersionIncompleteError(version, `reflection ${entry.sensorId} is written whole, and its item is missing`);
        out.set(entry.sensorId, decodeBody(item.body) as SensorReflection);
      }
    }
    return out;
  }

  async putReflections(reflections: Iterable<SensorReflection>, expiresAt: number): Promise<void> {
    // A whole reflection is compressed on libuv's thread pool as soon as it arrives: gzip would
    // otherwise hold the event loop for every sensor in turn, and a lazy caller keeps computing
    // the next meanwhile. A pack entry is only stringified as it arrives: which pack it joins
    // depends on the pack count, known once all have arrived, and then each pack is compressed
    // in place (about 0.2 ms for 12 KB, less than the thread pool's round trips for its parts).
    let version: string | null = null;
    const wholes: { readonly base: WrittenBase; readonly body: Promise<Buffer> }[] = [];
    const entries: { readonly sensorId: string; readonly json: string }[] = [];
    let entryBytes = 0;
    for (const r of reflections) {
      version ??= r.version;
      if (r.version !== version) throw new Error(`putReflections writes one version, got ${version} and ${r.version}`);
      const base = this.written.get(r.sensorId);
      // Written against a base only while the base outlives this version's packs.
      const delta = base && base.expiresAt >= expiresAt ? reflectionDelta(base.reflection, r) : null;
      let entry: PackEntry;
      if (delta && changedBuckets(delta) <= this.maxDeltaBuckets) {
        entry = { sensorId: r.sensorId, base: base!.reflection.version, delta };
      } else {
        wholes.push({ base: { reflection: r, expiresAt: expiresAt + this.baseSpanMs }, body: gzipAsync(JSON.stringify(r)) });
        entry = { sensorId: r.sensorId, whole: true };
      }
      const json = JSON.stringify(entry);
      entries.push({ sensorId: r.sensorId, json });
      entryBytes += json.length;
    }
    if (version === null) return;

    const packs = Math.max(1, Math.ceil(entryBytes / PACK_JSON_BYTES));
    const members = Array.from({ length: packs }, (): string[] => []);
    for (const { sensorId, json } of entries) members[packOf(sensorId, packs)].push(json);
    const expiresAtSeconds = Math.floor(expiresAt / 1000);
    const packItems = members.map((jsons, k) => {
      const body = gzipSync(`[${jsons.join(',')}]`);
      if (body.byteLength > MAX_PACK_BODY_BYTES) throw new ReflectionPackTooLargeError(version, k, body.byteLength);
      return { ...packKey(k, version), body, expires_at: expiresAtSeconds };
    });
    const bodies = await Promise.all(wholes.map((w) => w.body));
    // A whole item becomes a base only once stored: a failed write leaves none to write against.
    for (const { base } of wholes) this.written.delete(base.reflection.sensorId);
    // One batch: the refresh flips the pointer only after it, so a reader never sees part of a version.
    await batchPut(this.doc, this.table, [
      { ...headKey(version), packs, expires_at: expiresAtSeconds },
      ...packItems,
      ...wholes.map(({ base }, i) => ({ ...sensorKey(base.reflection.sensorId, version), body: bodies[i], expires_at: Math.floor(base.expiresAt / 1000) })),
    ]);
    for (const { base } of wholes) this.written.set(base.reflection.sensorId, base);
    this.rememberPackCount(version, packs);
  }

  async flipPointer(pointer: ReflectionPointer, expectedVersion: string | null): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...POINTER_KEY,
            version: pointer.version,
            refreshed_at: pointer.refreshedAt,
            window_end: pointer.windowEnd,
            built_from: pointer.builtFrom,
            // Known only to the store that wrote the version; others' readers read the head.
            packs: this.packCounts.get(pointer.version),
          },
          ConditionExpression: expectedVersion === null ? 'attribute_not_exists(pk)' : 'version = :expected',
          ExpressionAttributeValues: expectedVersion === null ? undefined : { ':expected': expectedVersion },
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new ReflectionPointerConflictError(expectedVersion);
      throw e;
    }
  }

  /** How many packs `version` has; null: it has no head, so it was written one item per sensor. */
  private async packCount(version: string): Promise<number | null> {
    const known = this.packCounts.get(version);
    if (known !== undefined) return known;
    // Consistent: a head just written by the refresh must not look like an old version's absence.
    const res = await this.doc.send(new GetCommand({ TableName: this.table, Key: headKey(version), ConsistentRead: true }));
    if (!res.Item) return null;
    const packs = res.Item.packs;
    if (typeof packs !== 'number' || !Number.isInteger(packs) || packs < 1) throw new ReflectionVersionIncompleteError(version, `its head names ${String(packs)} packs`);
    this.rememberPackCount(version, packs);
    return packs;
  }

  private rememberPackCount(version: string, packs: number): void {
    this.packCounts.delete(version);
    this.packCounts.set(version, packs);
    if (this.packCounts.size > REMEMBERED_HEADS) this.packCounts.delete(this.packCounts.keys().next().value!);
  }

  /**
   * Items that must exist, by `itemId`. Keys the first, eventually consistent, read misses are read
   * again consistently (they may have been written a moment ago); any still missing are absent.
   */
  private async getItems(keys: readonly { pk: string; sk: string }[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    const add = (items: Record<string, unknown>[]) => {
      for (const item of items) found.set(itemId(item as { pk: string; sk: string }), item);
    };
    add(await batchGet(this.doc, this.table, keys));
    const missing = keys.filter((k) => !found.has(itemId(k)));
    if (missing.length > 0) add(await batchGet(this.doc, this.table, missing, { consistentRead: true }));
    return found;
  }

  /** A version written one item per sensor, before packs: a delta item names its base in `base`. */
  private async getSensorItems(version: string, sensorIds: readonly string[]): Promise<Map<string, SensorReflection>> {
    const items = await batchGet(this.doc, this.table, sensorIds.map((id) => sensorKey(id, version)));
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
        if (!reflection) throw new ReflectionVersionIncompleteError(version, `reflection ${delta.sensorId} is written against version ${base}, which is missing`);
        out.set(delta.sensorId, applyReflectionDelta(reflection, delta));
      }
    }
    return out;
  }
}

/** An item's body: gzipped JSON, or a JSON string as written before gzip. */
function decodeBody(body: unknown): unknown {
  return JSON.parse(typeof body === 'string' ? body : gunzipSync(body as Uint8Array).toString('utf8'));
}
