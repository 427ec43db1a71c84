import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import {
  createTables,
  defaultTableNames,
  DirectoryObjectStore,
  dynamoClientFrom,
  ingestPortsFrom,
} from '../../shared/adapters/index.js';
import { loadTidelineConfig, type TidelineConfig } from '../../shared/config/index.js';
import type { IngestPorts } from '../../shared/ingest/index.js';
import type { Reading } from '../../shared/readings/index.js';
import { reflectionFromReadings } from '../../shared/reflections/index.js';

export interface TestEnvironment {
  readonly config: TidelineConfig;
  readonly ports: IngestPorts;
  readonly lakeDir: string;
  readonly dynamo: ReturnType<typeof dynamoClientFrom>;
}

/** Fresh tables (unique prefix) in the shared DynamoDB Local and a fresh lake directory. */
export async function testEnvironment(overrides: Record<string, string> = {}): Promise<TestEnvironment> {
  const prefix = `t${randomUUID().slice(0, 8)}-`;
  const lakeDir = await mkdtemp(join(tmpdir(), 'tideline-lake-'));
  const names = defaultTableNames(prefix);
  const env: Record<string, string> = {
    DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
    LAKE_DIR: lakeDir,
    TABLE_REFLECTIONS: names.reflections,
    TABLE_STATE: names.state,
    TABLE_MINUTE_SUMMARIES: names.minuteSummaries,
    TABLE_ALERTS: names.alerts,
    TABLE_DEAD_LETTERS: names.deadLetters,
    ...overrides,
  };
  const config = loadTidelineConfig(env);
  const dynamo = dynamoClientFrom(config);
  await createTables(dynamo, config.tables);
  return { config, dynamo, lakeDir, ports: ingestPortsFrom(config, dynamo, new DirectoryObjectStore(lakeDir)) };
}

/**
 * Materialises reflections of `sensorIds` from raw history as version `version` and puts it in
 * force. They expire a day from now (wall clock): DynamoDB Local really deletes expired items.
 */
export async function seedReflections(env: TestEnvironment, sensorIds: readonly string[], history: readonly Reading[], asOf: number, version = 'v1'): Promise<void> {
  await env.ports.reflections.putReflections(sensorIds.map((id) => reflectionFromReadings(id, version, history, asOf)), Date.now() + 86_400_000);
  await env.ports.reflections.flipPointer({ version, refreshedAt: asOf, windowEnd: asOf }, null);
}
