import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaClient } from '@aws-sdk/client-kafka';
import type { KafkaMessage } from 'kafkajs';
import { makeExecutorHandler } from '../../../functions/executor/executor.js';
import {
  deliverBatch,
  freePort,
  KafkaClientError,
  loadKafkaSettings,
  ReadingProducer,
  readingMessage,
  resolveBrokers,
  startKafkaEventConsumer,
} from '../../../shared/adapters/index.js';
import type { MskEvent } from '../../../shared/readings/index.js';
import { readingFactory, T0 } from '../../helpers/factories.js';
import { testEnvironment, type TestEnvironment } from '../../helpers/stores.js';

const ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/plant-telemetry/0b6c2a8e-1111-2222-3333-444455556666-7';

/** kafkajs-shaped messages for readings of three sensors, with one malformed record. */
function kafkaMessages(first: number, count: number): KafkaMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const offset = first + i;
    const reading = readingFactory({ sensor_id: `sensor-${i % 3}`, ts: T0 + offset * 1000, temperature: 20 + (i % 5) });
    const m = readingMessage(reading, T0 + offset * 1000);
    const value = i === 4 ? '{"sensor_id": "sensor-1", "ts": "yesterday"}' : (m.value as string);
    return { key: Buffer.from(m.key as string), value: Buffer.from(value), timestamp: String(T0 + offset * 1000), attributes: 0, offset: String(offset), headers: {} } as KafkaMessage;
  });
}

function eachBatchPayload(messages: KafkaMessage[], partition: number) {
  return {
    batch: { topic: 'sensor_readings', partition, messages, highWatermark: '0', isEmpty: () => false, firstOffset: () => null, lastOffset: () => '0', offsetLag: () => '0', offsetLagLow: () => '0' },
    resolveOffset: () => undefined,
    heartbeat: async () => undefined,
    isRunning: () => true,
    isStale: () => false,
  };
}

describe('the kafkajs consumer feeding the executor handler (no Kafka broker can run here: kafkajs-shaped batches)', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await testEnvironment();
  });

  it('delivers events the executor ingests, committing after each, and a redelivery changes nothing', async () => {
    const handler = makeExecutorHandler({ ports: env.ports, config: env.config });
    const results: Awaited<ReturnType<typeof handler>>[] = [];
    const commits: string[] = [];
    const options = { eventSourceArn: ARN, bootstrapServers: 'b-1:9098', maxRecords: 8 };
    const messages = kafkaMessages(500, 20);
    const deliver = () =>
      deliverBatch(eachBatchPayload(messages, 2), async (e: MskEvent) => void results.push(await handler(e)), async (p) => void commits.push(p.offset), options);

    expect(await deliver()).toBe(20);
    expect(commits).toEqual(['508', '516', '520']);
    expect(results.reduce((n, r) => n + r.processed, 0)).toBe(19);
    expect(results.reduce((n, r) => n + r.deadLetters, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.lakeFiles, 0)).toBeGreaterThan(0);

    results.length = 0;
    await deliver();
    expect(results.map((r) => r.alreadyApplied)).toEqual([8, 8, 4]);
    expect(results.reduce((n, r) => n + r.processed, 0)).toBe(0);
  });
});

describe('Kafka connection errors', () => {
  it('names KAFKA_BROKERS when no broker answers', async () => {
    const port = await freePort();
    const settings = loadKafkaSettings({ KAFKA_BROKERS: `127.0.0.1:${port}`, KAFKA_RETRIES: '0', KAFKA_CONNECTION_TIMEOUT_MS: '500' });
    const connecting = ReadingProducer.connect({ settings, topic: 'sensor_readings' });
    await expect(connecting).rejects.toThrow(KafkaClientError);
    await expect(connecting).rejects.toThrow(`cannot reach Kafka at 127.0.0.1:${port}`);
    await expect(connecting).rejects.toMatchObject({ setting: 'KAFKA_BROKERS' });
  });

  it('names KAFKA_BROKERS when the consumer cannot reach the cluster', async () => {
    const port = await freePort();
    const settings = loadKafkaSettings({ KAFKA_BROKERS: `127.0.0.1:${port}`, KAFKA_RETRIES: '0', KAFKA_CONNECTION_TIMEOUT_MS: '500' });
    const starting = startKafkaEventConsumer({ settings, topics: ['sensor_readings'], handler: async () => undefined });
    await expect(starting).rejects.toMatchObject({ name: 'KafkaClientError', setting: 'KAFKA_BROKERS' });
  });
});

describe('MSK bootstrap brokers against recorded GetBootstrapBrokers responses', () => {
  let server: Server;
  let endpoint: string;
  const requests: string[] = [];
  // The body MSK's control plane returns for a cluster with IAM and TLS enabled (JSON field names as the API sends them).
  const recorded = {
    bootstrapBrokerStringTls: 'b-1.planttelemetry.abc123.c2.kafka.eu-west-1.amazonaws.com:9094,b-2.planttelemetry.abc123.c2.kafka.eu-west-1.amazonaws.com:9094',
    bootstrapBrokerStringSaslIam: 'b-1.planttelemetry.abc123.c2.kafka.eu-west-1.amazonaws.com:9098,b-2.planttelemetry.abc123.c2.kafka.eu-west-1.amazonaws.com:9098',
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`);
      if (req.url?.includes(encodeURIComponent(ARN)) || req.url?.includes(ARN)) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(recorded));
      } else {
        res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'NotFoundException' }).end(JSON.stringify({ message: 'The requested resource could not be found.' }));
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const client = () => new KafkaClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

  it('picks the IAM bootstrap string for KAFKA_AUTH=iam', async () => {
    const settings = loadKafkaSettings({ MSK_CLUSTER_ARN: ARN, KAFKA_AUTH: 'iam' });
    expect(await resolveBrokers(settings, client())).toEqual([
      'b-1.planttelemetry.abc123.c2.kafka.eu-west-1.amazonaws.com:9098',
      'b-2.planttelemetry.abc123.c2.kafka.eu-west-1.amazonaws.com:9098',
    ]);
    expect(requests.at(-1)).toBe(`GET /v1/clusters/${ARN}/bootstrap-brokers`);
  });

  it('names KAFKA_AUTH when the cluster has no listener for the chosen access control', async () => {
    const settings = loadKafkaSettings({ MSK_CLUSTER_ARN: ARN, KAFKA_AUTH: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });
    await expect(resolveBrokers(settings, client())).rejects.toThrow(
      `cluster ${ARN} has no BootstrapBrokerStringSaslScram (it does not accept KAFKA_AUTH=scram-sha-512); choose the access control the cluster has enabled`,
    );
  });

  it('names MSK_CLUSTER_ARN for a cluster that does not exist', async () => {
    const other = ARN.replace('plant-telemetry', 'no-such-cluster');
    const settings = loadKafkaSettings({ MSK_CLUSTER_ARN: other, KAFKA_AUTH: 'iam' });
    await expect(resolveBrokers(settings, client())).rejects.toMatchObject({ name: 'KafkaClientError', setting: 'MSK_CLUSTER_ARN' });
    await expect(resolveBrokers(settings, client())).rejects.toThrow(`no MSK cluster ${other} in eu-west-1`);
  });
});
