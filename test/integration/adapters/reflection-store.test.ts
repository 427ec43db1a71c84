import { gunzipSync, gzipSync } from 'node:zlib';
import { DeleteCommand, PutCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  documentClient,
  DynamoReflectionStore,
  partitionForKey,
  ReflectionPackTooLargeError,
  ReflectionVersionIncompleteError,
} from '../../../shared/adapters/index.js';
import type { Reading } from '../../../shared/readings/index.js';
import { reflectionDelta, reflectionFromReadings, type SensorReflection } from '../../../shared/reflections/index.js';
import { generateReadings, T0 } from '../../helpers/factories.js';
import { testEnvironment, type TestEnvironment } from '../../helpers/stores.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

type Item = Record<string, unknown>;
const decode = (body: unknown): unknown => JSON.parse(gunzipSync(body as Uint8Array).toString('utf8'));
const getItem = async (env: TestEnvironment, pk: string, sk: string): Promise<Item | undefined> =>
  (await documentClient(env.dynamo).send(new GetCommand({ TableName: env.config.tables.reflections, Key: { pk, sk } }))).Item;
const itemsOf = async (env: TestEnvironment, pk: string): Promise<Item[]> =>
  (
    await documentClient(env.dynamo).send(
      new QueryCommand({ TableName: env.config.tables.reflections, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } }),
    )
  ).Items!;
const store = (env: TestEnvironment, options?: ConstructorParameters<typeof DynamoReflectionStore>[2]) =>
  new DynamoReflectionStore(documentClient(env.dynamo), env.config.tables.reflections, options);

interface StoredEntry {
  readonly sensorId: string;
  readonly base?: string;
  readonly whole?: true;
}

/** A version's items as stored: its head, its packs and, per sensor, its entry and the pack holding it. */
async function layoutOf(env: TestEnvironment, version: string) {
  const head = await getItem(env, 'head', `v#${version}`);
  const packs = head!.packs as number;
  const packItems = await Promise.all(Array.from({ length: packs }, (_, k) => getItem(env, `pack#${k}`, `v#${version}`)));
  const entries = new Map<string, StoredEntry & { pack: number }>();
  packItems.forEach((item, k) => {
    for (const e of decode(item!.body) as StoredEntry[]) entries.set(e.sensorId, { ...e, pack: k });
  });
  return { head: head!, packs, packItems: packItems as Item[], entries };
}

describe('DynamoDB reflection store (DynamoDB Local)', () => {
  const history = generateReadings({ sensors: 3, start: T0 - 90 * DAY, end: T0 + HOUR, stepMs: 15 * 60_000, seed: 3 });
  const reflections = ['sensor-0', 'sensor-1'].map((id) => reflectionFromReadings(id, 'v7', history, T0));
  const next = (version: string, at: number, ids = ['sensor-0', 'sensor-1']) => ids.map((id) => reflectionFromReadings(id, version, history, at));

  it('reads back exactly the reflections it wrote, whole items gzipped at about a third of their JSON size', async () => {
    const env = await testEnvironment();
    await env.ports.reflections.putReflections(reflections, Date.now() + DAY);
    const got = await env.ports.reflections.getReflections('v7', ['sensor-0', 'sensor-1', 'sensor-9']);
    expect([...got.keys()].sort()).toEqual(['sensor-0', 'sensor-1']);
    expect(got.get('sensor-1')).toEqual(reflections[1]);

    const stored = (await getItem(env, 'sensor#sensor-0', 'v#v7'))?.body as Uint8Array;
    expect(stored).toBeInstanceOf(Uint8Array);
    expect(stored.byteLength).toBeLessThan(JSON.stringify(reflections[0]).length / 2);
    // A store with nothing to write against marks every sensor whole in its pack.
    const { packs, entries } = await layoutOf(env, 'v7');
    expect(packs).toBe(1);
    expect(Object.fromEntries([...entries].map(([id, e]) => [id, e.whole]))).toEqual({ 'sensor-0': true, 'sensor-1': true });
  });

  describe('later versions written against a whole one', () => {
    it('packs only what changed, and reads back exactly the reflections, also by a store that wrote nothing', async () => {
      const env = await testEnvironment();
      const writer = store(env);
      const expires = Date.now() + 30 * DAY;
      const v1 = next('v1', T0 - 2 * HOUR);
      await writer.putReflections(v1, expires);
      const v2 = next('v2', T0 - HOUR);
      await writer.putReflections(v2, expires + HOUR);
      const v3 = next('v3', T0);
      await writer.putReflections(v3, expires + 2 * HOUR);

      // One whole item per sensor (v1); v2 and v3 are entries in packs, against v1.
      expect((await itemsOf(env, 'sensor#sensor-0')).map((i) => i.sk)).toEqual(['v#v1']);
      const v3Layout = await layoutOf(env, 'v3');
      expect(Object.fromEntries([...v3Layout.entries].map(([id, e]) => [id, e.base]))).toEqual({ 'sensor-0': 'v1', 'sensor-1': 'v1' });
      expect((await layoutOf(env, 'v2')).entries.get('sensor-1')?.base).toBe('v1');
      // Both sensors' changes together take less than a third of one whole item.
      const packBytes = v3Layout.packItems.reduce((n, i) => n + (i.body as Uint8Array).byteLength, 0);
      expect(packBytes).toBeLessThan(((await getItem(env, 'sensor#sensor-0', 'v#v1'))!.body as Uint8Array).byteLength / 3);
      // The base outlives every version written against it: its packs and its head.
      const baseExpiry = (await getItem(env, 'sensor#sensor-0', 'v#v1'))!.expires_at as number;
      for (const item of [v3Layout.head, ...v3Layout.packItems]) expect(baseExpiry).toBeGreaterThanOrEqual(item.expires_at as number);

      for (const reader of [writer, store(env)]) {
        const got = await reader.getReflections('v3', ['sensor-0', 'sensor-1', 'sensor-9']);
        expect([...got.keys()].sort()).toEqual(['sensor-0', 'sensor-1']);
        expect(got.get('sensor-0')).toEqual(v3[0]);
        expect(got.get('sensor-1')).toEqual(v3[1]);
        expect((await reader.getReflections('v2', ['sensor-1'])).get('sensor-1')).toEqual(v2[1]);
        expect((await reader.getReflections('v1', ['sensor-0', 'sensor-1'])).get('sensor-0')).toEqual(v1[0]);
      }
    });

    it('reads back a version that mixes whole sensors with changes, and leaves out sensors it does not hold', async () => {
      const env = await testEnvironment();
      const writer = store(env);
      const expires = Date.now() + 30 * DAY;
      await writer.putReflections(next('v1', T0 - HOUR), expires);
      // sensor-2 is new: written whole; sensor-0 and sensor-1 as changes.
      const v2 = next('v2', T0, ['sensor-0', 'sensor-1', 'sensor-2']);
      await writer.putReflections(v2, expires + HOUR);
      // sensor-1 left the fleet.
      const v3 = next('v3', T0 + HOUR, ['sensor-0', 'sensor-2']);
      await writer.putReflections(v3, expires + 2 * HOUR);

      expect(Object.fromEntries([...(await layoutOf(env, 'v2')).entries].map(([id, e]) => [id, e.base ?? 'whole']))).toEqual({ 'sensor-0': 'v1', 'sensor-1': 'v1', 'sensor-2': 'whole' });
      expect(Object.fromEntries([...(await layoutOf(env, 'v3')).entries].map(([id, e]) => [id, e.base ?? 'whole']))).toEqual({ 'sensor-0': 'v1', 'sensor-2': 'v2' });
      const reader = store(env);
      expect(Object.fromEntries(await reader.getReflections('v2', ['sensor-0', 'sensor-1', 'sensor-2']))).toEqual(Object.fromEntries(v2.map((r) => [r.sensorId, r])));
      const got = await reader.getReflections('v3', ['sensor-0', 'sensor-1', 'sensor-2']);
      expect([...got.keys()].sort()).toEqual(['sensor-0', 'sensor-2']);
      expect(got.get('sensor-0')).toEqual(v3[0]);
      expect(got.get('sensor-2')).toEqual(v3[1]);
    });

    it('writes a version whole again once the base would expire before it, or it changed too many buckets', async () => {
      const env = await testEnvironment();
      const writer = store(env, { baseSpanMs: 2 * HOUR, maxDeltaBuckets: 10 });
      const expires = Date.now() + 30 * DAY;
      await writer.putReflections(next('v1', T0 - 2 * HOUR), expires);
      await writer.putReflections(next('v2', T0 - HOUR), expires + HOUR);
      // Past the base's span: whole, and the new base.
      await writer.putReflections(next('v3', T0), expires + 3 * HOUR);
      await writer.putReflections(next('v4', T0 + HOUR), expires + 4 * HOUR);
      // Five days on, every bucket differs: whole.
      await writer.putReflections(next('v5', T0 - 5 * DAY), expires + 4 * HOUR);
      const bases: Record<string, string | null> = {};
      for (const v of ['v1', 'v2', 'v3', 'v4', 'v5']) bases[v] = (await layoutOf(env, v)).entries.get('sensor-1')?.base ?? null;
      expect(bases).toEqual({ v1: null, v2: 'v1', v3: null, v4: 'v3', v5: null });
      expect((await itemsOf(env, 'sensor#sensor-1')).map((i) => i.sk)).toEqual(['v#v1', 'v#v3', 'v#v5']);
    });
    it('leaves the pack count on the pointer it flips, so a reader of the pointer needs no head', async () => {
      const env = await testEnvironment();
      const writer = store(env);
      await writer.putReflections(next('v1', T0 - HOUR), Date.now() + DAY);
      const v2 = next('v2', T0);
      await writer.putReflections(v2, Date.now() + DAY);
      await writer.flipPointer({ version: 'v2', refreshedAt: T0, windowEnd: T0 }, null);
      expect((await getItem(env, 'pointer', 'current'))?.packs).toBe(1);
      // Without its head, only a reader that read the pointer still finds the packs.
      await documentClient(env.dynamo).send(new DeleteCommand({ TableName: env.config.tables.reflections, Key: { pk: 'head', sk: 'v#v2' } }));
      expect((await store(env).getReflections('v2', ['sensor-0'])).size).toBe(0);
      const reader = store(env);
      expect((await reader.currentPointer())?.version).toBe('v2');
      expect((await reader.getReflections('v2', ['sensor-0'])).get('sensor-0')).toEqual(v2[0]);
    });
  });

  describe('a fleet', () => {
    // Three days of hourly readings: reflections of a realistic shape, quick to compute.
    const sensors = 240;
    const ids = Array.from({ length: sensors }, (_, i) => `sensor-${i}`);
    const bySensor = new Map<string, Reading[]>();
    for (const r of generateReadings({ sensors, start: T0 - 3 * DAY, end: T0 + HOUR, stepMs: HOUR, seed: 5 })) {
      bySensor.set(r.sensor_id, [...(bySensor.get(r.sensor_id) ?? []), r]);
    }
    const fleet = (version: string, at: number) => ids.map((id) => reflectionFromReadings(id, version, bySensor.get(id)!, at));

    it('spreads its changes over packs of a few KB, each sensor in the pack murmur2 picks, and reads back every sensor', async () => {
      const env = await testEnvironment();
      const writer = store(env);
      const expires = Date.now() + 30 * DAY;
      await writer.putReflections(fleet('v1', T0 - HOUR), expires);
      const v2 = fleet('v2', T0);
      await writer.putReflections(v2, expires + HOUR);

      const { packs, packItems, entries } = await layoutOf(env, 'v2');
      expect(packs).toBeGreaterThan(4);
      expect(entries.size).toBe(sensors);
      for (const item of packItems) {
        expect((item.body as Uint8Array).byteLength).toBeLessThan(8 * 1024);
        expect((decode(item.body) as unknown[]).length).toBeGreaterThan(0);
      }
      // The layout other readers (and releases) rely on: Kafka's partitioner over the pack count.
      for (const [id, e] of entries) expect(e.pack).toBe(partitionForKey(id, packs));

      const expected = Object.fromEntries(v2.map((r) => [r.sensorId, r]));
      expect(Object.fromEntries(await store(env).getReflections('v2', ids))).toEqual(expected);
      expect(Object.fromEntries(await writer.getReflections('v2', ids))).toEqual(expected);
      // One sensor at a time, as the query API reads: each from its own pack, by a cold reader.
      const cold = store(env);
      for (const id of ['sensor-0', 'sensor-17', 'sensor-239']) expect((await cold.getReflections('v2', [id])).get(id)).toEqual(expected[id]);
    });
  });

  describe('versions written one item per sensor, before packs', () => {
    const put = (env: TestEnvironment, item: Item) =>
      documentClient(env.dynamo).send(new PutCommand({ TableName: env.config.tables.reflections, Item: { expires_at: Math.floor(Date.now() / 1000) + 86_400, ...item } }));

    it('still reads a reflection item written as a JSON string by an earlier version', async () => {
      const env = await testEnvironment();
      await put(env, { pk: 'sensor#sensor-0', sk: 'v#v7', body: JSON.stringify(reflections[0]) });
      const got = await env.ports.reflections.getReflections('v7', ['sensor-0']);
      expect(got.get('sensor-0')).toEqual(reflections[0]);
    });

    it('still reads whole items and delta items that name their base', async () => {
      const env = await testEnvironment();
      const [v1, v2] = [next('v1', T0 - HOUR), next('v2', T0)];
      for (const r of v1) await put(env, { pk: `sensor#${r.sensorId}`, sk: 'v#v1', body: gzipSync(JSON.stringify(r)) });
      await put(env, { pk: 'sensor#sensor-0', sk: 'v#v2', base: 'v1', body: gzipSync(JSON.stringify(reflectionDelta(v1[0], v2[0]))) });
      await put(env, { pk: 'sensor#sensor-1', sk: 'v#v2', body: gzipSync(JSON.stringify(v2[1])) });

      const got = await store(env).getReflections('v2', ['sensor-0', 'sensor-1', 'sensor-9']);
      expect([...got.keys()].sort()).toEqual(['sensor-0', 'sensor-1']);
      expect(got.get('sensor-0')).toEqual(v2[0]);
      expect(got.get('sensor-1')).toEqual(v2[1]);
      expect((await store(env).getReflections('v1', ['sensor-1'])).get('sensor-1')).toEqual(v1[1]);
    });
  });

  describe('failures', () => {
    it('says a version is incomplete when a pack or a base is missing, rather than leave its sensors out', async () => {
      const env = await testEnvironment();
      const writer = store(env);
      await writer.putReflections(next('v1', T0 - HOUR), Date.now() + DAY);
      await writer.putReflections(next('v2', T0), Date.now() + DAY);
      const del = (pk: string, sk: string) => documentClient(env.dynamo).send(new DeleteCommand({ TableName: env.config.tables.reflections, Key: { pk, sk } }));

      await del('sensor#sensor-1', 'v#v1');
      await expect(store(env).getReflections('v2', ['sensor-1'])).rejects.toThrow(/sensor-1 is written against version v1, which is missing/);
      await expect(store(env).getReflections('v1', ['sensor-1'])).rejects.toThrow(ReflectionVersionIncompleteError);
      await del('pack#0', 'v#v2');
      await expect(store(env).getReflections('v2', ['sensor-0'])).rejects.toThrow(/head names 1 packs, and pack#0 is missing/);
    });

    it('refuses to write a pack over the item limit, and writes nothing of that version', async () => {
      const env = await testEnvironment();
      const writer = store(env);
      const [v1] = next('v1', T0 - HOUR, ['sensor-0']);
      await writer.putReflections([v1], Date.now() + DAY);
      // A profile of random numbers, which gzip cannot shrink below the limit.
      let seed = 7;
      const noise = Array.from({ length: 60_000 }, () => (seed = (seed * 48271) % 2147483647) / 2147483647);
      const huge = { ...v1, version: 'v2', profile: { ...v1.profile, noise } } as SensorReflection;
      await expect(writer.putReflections([huge], Date.now() + DAY)).rejects.toThrow(ReflectionPackTooLargeError);
      expect(await getItem(env, 'head', 'v#v2')).toBeUndefined();
      expect(await getItem(env, 'pack#0', 'v#v2')).toBeUndefined();
    });
  });
});
