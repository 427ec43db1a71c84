import { dynamoClientFrom, ingestPortsFrom, lakeFrom } from '../../shared/adapters/index.js';
import { loadTidelineConfig } from '../../shared/config/index.js';
import { makeExecutorHandler } from './executor.js';

// Built once per container: configuration errors fail the cold start, naming the variable.
const config = loadTidelineConfig(process.env);
const ports = ingestPortsFrom(config, dynamoClientFrom(config), lakeFrom(config));

/** Lambda entry: MSK event source mapping → ingest. */
export const handler = makeExecutorHandler({ ports, config });
