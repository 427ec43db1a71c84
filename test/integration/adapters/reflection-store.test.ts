import { PutCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { documentClient, DynamoReflectionStore } from '../../../shared/adapters/index.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
import { generateReadings, T0 } from '../../helpers/factories.js';
import { testEnvironment } from '../../helpers/stores.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('DynamoDB reflection store (DynamoDB Local)', () => {
  const history = generateReadings({ sensors: 2, start: T0 - 90 * DAY, end: T0, stepMs: 15 * 60_000, seed: 3 });
  const reflections = ['sensor-0', 'sensor-1'].map((id) => reflectionFromReadings(id, 'v7', history, T0));

  it('reads back exactly the reflections it wrote, stored gzipped at about a third of their JSON size', async () => {
    const env = await testEnvironment();
    await env.ports.reflections.putReflections(reflections, Date.now() + DAY);
    const got = await env.ports.reflections.getReflections('v7', ['sensor-0', 'sensor-1', 'sensor-9']);
    expect([...got.keys()].sort()).toEqual(['sensor-0', 'sensor-1']);
    expect(got.get('sensor-1')).toEqual(reflections[1]);

    const item = await documentClient(env.dynamo).send(new GetCommand({ TableName: env.config.tables.reflections, Key: { pk: 'sensor#sensor-0', sk: 'v#v7' } }));
    const stored = item.Item?.body as Uint8Array;
    expect(stored).toBeInstanceOf(Uint8Array);
    expect(stored.byteLength).toBeLessThan(JSON.stringify(reflections[0]).length / 2);
  });

  it('still reads a reflection item written as a JSON string by an earlier version', async () => {
    const env = await testEnvironment();
    await documentClient(env.dynamo).send(
      new PutCommand({
        TableName: env.config.tables.reflections,
        Item: { pk: 'sensor#sensor-0', sk: 'v#v7', body: JSON.stringify(reflections[0]), expires_at: Math.floor(Date.now() / 1000) + 86_400 },
      }),
    );
    const got = await env.ports.reflections.getReflections('v7', ['sensor-0']);
    expect(got.get('sensor-0')).toEqual(reflections[0]);
  });

  describe('later versions written against a whole one', () => {
    const next = (version: string, at: number) => ['sensor-0', 'sensor-1'].map((id) => reflectionFromReadings(id, version, history, at));
    const items = async (env: Awaited<ReturnType<typeof testEnvironment>>, sensorId: string) =>
      (
        await documentClient(env.dynamo).send(
          new QueryCommand({ TableName: env.config.tables.reflections, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `sensor#${sensorId}` } }),
        )
      ).Items!;

    it('stores only what changed, and reads back exactly the reflections, also by a store that wrote nothing', async () => {
      const env = await testEnvironment();
      const writer = new DynamoReflectionStore(documentClient(env.dynamo), env.config.tables.reflections);
      const expires = Date.now() + 30 * DAY;
      await writer.putReflections(next('v1', T0 - 2 * HOUR), expires);
      const v2 = next('v2', T0 - HOUR);
      await writer.putReflections(v2, expires + HOUR);
      const v3 = next('v3', T0);
      await writer.putReflections(v3, expires + 2 * HOUR);

      const stored = await items(env, 'sensor-0');
      const bySk = new Map(stored.map((i) => [i.sk, i]));
      expect(bySk.get('v#v1')?.base).toBeUndefined();
      expect(bySk.get('v#v2')?.base).toBe('v1');
      expect(bySk.get('v#v3')?.base).toBe('v1');
      expect((bySk.get('v#v3')?.body as Uint8Array).byteLength).toBeLessThan((bySk.get('v#v1')?.body as Uint8Array).byteLength / 3);
      // The base outlives every version written against it.
      expect(bySk.get('v#v1')?.expires_at).toBeGreaterThanOrEqual(bySk.get('v#v3')?.expires_at);

      const reader = new DynamoReflectionStore(documentClient(env.dynamo), env.config.tables.reflections);
      const got = await reader.getReflections('v3', ['sensor-0', 'sensor-1', 'sensor-9']);
      expect([...got.keys()].sort()).toEqual(['sensor-0', 'sensor-1']);
      expect(got.get('sensor-0')).toEqual(v3[0]);
      expect(got.get('sensor-1')).toEqual(v3[1]);
      expect((await reader.getReflections('v2', ['sensor-1'])).get('sensor-1')).toEqual(v2[1]);
    });

    it('writes a version whole again once the base would expire before it, or it changed too many buckets', async () => {
      const env = await testEnvironment();
      const writer = new DynamoReflectionStore(documentClient(env.dynamo), env.config.tables.reflections, { baseSpanMs: 2 * HOUR, maxDeltaBuckets: 10 });
      const expires = Date.now() + 30 * DAY;
      await writer.putReflections(next('v1', T0 - 2 * HOUR), expires);
      await writer.putReflections(next('v2', T0 - HOUR), expires + HOUR);
      // Past the base's span: whole, and the new base.
      await writer.putReflections(next('v3', T0), expires + 3 * HOUR);
      await writer.putReflections(next('v4', T0 + HOUR), expires + 4 * HOUR);
      // Five days on, every bucket differs: whole.
      await writer.putReflections(next('v5', T0 - 5 * DAY), expires + 4 * HOUR);
      const bases = new Map((await items(env, 'sensor-1')).map((i) => [i.sk, i.base ?? null]));
      expect(Object.fromEntries(bases)).toEqual({ 'v#v1': null, 'v#v2': 'v1', 'v#v3': null, 'v#v4': 'v3', 'v#v5': null });
    });
  });
});

