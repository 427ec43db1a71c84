import { randomUUID } from 'node:crypto';
import { coordinatorPortsFrom, DirectoryObjectStore, type CoordinatorPorts } from '../../../shared/adapters/index.js';
import { ingestBatch } from '../../../shared/ingest/index.js';
import { loadQueryConfig, type QueryConfig } from '../../../shared/query/index.js';
import type { Reading } from '../../../shared/readings/index.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
import { makeApiGatewayHandler } from '../../../functions/coordinator/api-gateway.js';
import { createCoordinatorApp, type CoordinatorDeps } from '../../../functions/coordinator/app.js';
import { startApiServer, type ApiServer } from '../../../infra/local/api-server.js';
import { generateReadings, mskEventFactory, prng, recordsFor, T0 } from '../../helpers/factories.js';
import { testEnvironment, type TestEnvironment } from '../../helpers/stores.js';

const DAY = 86_400_000;
export const SENSORS = 12;
export const PARTITIONS = 4;
export const LIVE_HOURS = 6;
export const LIVE_END = T0 + LIVE_HOURS * 3_600_000;
export const API_KEY = 'test-key-0123456789';

export interface QueryFixture {
  readonly env: TestEnvironment;
  readonly ports: CoordinatorPorts;
  readonly config: QueryConfig;
  readonly live: readonly Reading[];
}

/**
 * A lake written by the real ingest path: 30 days of history become reflections, then six hours
 * of readings from 12 sensors (with injected spikes and missing values) go through ingestBatch
 * on 4 Kafka partitions, in batches, so the lake holds many files per hour and per shard.
 */
export async function queryFixture(envOverrides: Record<string, string> = {}): Promise<QueryFixture> {
  const env = await testEnvironment({ TABLE_QUERY_LOG: `t${randomUUID().slice(0, 8)}-query-log` });
  const sensorIds = Array.from({ length: SENSORS }, (_, i) => `sensor-${i}`);
  const history = generateReadings({ sensors: SENSORS, start: T0 - 30 * DAY, end: T0, stepMs: 1_200_000, seed: 7 });
  // Expiry from the wall clock: DynamoDB Local deletes expired items (TTL), and T0 is in the past.
  await env.ports.reflections.putReflections(sensorIds.map((id) => reflectionFromReadings(id, 'v1', history, T0)), Date.now() + 90 * DAY);
  await env.ports.reflections.flipPointer({ version: 'v1', refreshedAt: T0, windowEnd: T0 }, null);

  const rand = prng(11);
  const live = generateReadings({ sensors: SENSORS, start: T0, end: LIVE_END, stepMs: 120_000, seed: 3, missingRate: 0.05 }).map((r) =>
    rand() < 0.02 && r.temperature !== null ? { ...r, temperature: r.temperature + 25 } : r,
  );
  for (let p = 0; p < PARTITIONS; p++) {
    const mine = live.filter((r) => Number(r.sensor_id.split('-')[1]) % PARTITIONS === p).sort((a, b) => a.ts - b.ts);
    for (let i = 0; i < mine.length; i += 97) {
      await ingestBatch(mskEventFactory(recordsFor(mine.slice(i, i + 97), { partition: p, firstOffset: i })), env.ports, env.config);
    }
  }
  const config = loadQueryConfig({ TIDELINE_API_KEY: API_KEY, ...envOverrides });
  const ports = coordinatorPortsFrom(env.config, config, env.dynamo, new DirectoryObjectStore(env.lakeDir));
  return { env, ports, config, live };
}

/**
 * The coordinator behind the local API server, with the clock at the end of the live data: its
 * core served directly, as the local runtime serves it, or through the Lambda entry's API
 * Gateway adapter (`via: 'api-gateway'`), as on AWS.
 */
export async function serveCoordinator(f: QueryFixture, overrides: Partial<CoordinatorDeps> = {}, via: 'core' | 'api-gateway' = 'core'): Promise<ApiServer> {
  const app = createCoordinatorApp({ ports: f.ports, config: f.config, now: () => LIVE_END, logError: () => {}, ...overrides });
  return via === 'core' ? startApiServer({ app }) : startApiServer({ handler: makeApiGatewayHandler(app) });
}

/** POST /query over HTTP. */
export async function postQuery(server: ApiServer, spec: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, ...headers },
    body: typeof spec === 'string' ? spec : JSON.stringify(spec),
  });
}
