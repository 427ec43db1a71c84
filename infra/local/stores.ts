import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  createTables,
  DirectoryObjectStore,
  dynamoClientFrom,
  ingestPortsFrom,
  startDynamoDbLocal,
  type DynamoDbLocal,
} from '../../shared/adapters/index.js';
import { loadTidelineConfig, type TidelineConfig } from '../../shared/config/index.js';
import type { IngestPorts } from '../../shared/ingest/index.js';

export interface LocalStores {
  readonly dataDir: string;
  readonly config: TidelineConfig;
  readonly dynamodb: DynamoDbLocal;
  readonly ports: IngestPorts;
  stop(): Promise<void>;
}

/** The data directory: TIDELINE_DATA_DIR, or `.tideline` under the working directory. */
export function dataDirFrom(env: NodeJS.ProcessEnv): string {
  return resolve(env.TIDELINE_DATA_DIR || '.tideline');
}

/**
 * Starts the stand-ins the handlers need on one machine: DynamoDB Local keeping its data under
 * the data directory (a restart loses nothing), the tables from the shared specs, and the lake
 * as a directory.
 */
export async function startLocalStores(env: NodeJS.ProcessEnv = process.env): Promise<LocalStores> {
  const dataDir = dataDirFrom(env);
  const dbPath = join(dataDir, 'dynamodb');
  await mkdir(dbPath, { recursive: true });
  const dynamodb = await startDynamoDbLocal({ dbPath, port: env.TIDELINE_DYNAMODB_PORT ? Number(env.TIDELINE_DYNAMODB_PORT) : undefined });
  const config = loadTidelineConfig({ ...env, DYNAMODB_ENDPOINT: dynamodb.endpoint, LAKE_DIR: join(dataDir, 'lake') });
  const client = dynamoClientFrom(config);
  await createTables(client, config.tables);
  const ports = ingestPortsFrom(config, client, new DirectoryObjectStore(config.lakeDir));
  return { dataDir, config, dynamodb, ports, stop: () => dynamodb.stop() };
}
