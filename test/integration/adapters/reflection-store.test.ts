import { PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { documentClient } from '../../../shared/adapters/index.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
import { generateReadings, T0 } from '../../helpers/factories.js';
import { testEnvironment } from '../../helpers/stores.js';

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
});
