import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoReflectionStore, documentClient, dynamoClientFrom, lakeFrom } from '../../shared/adapters/index.js';
import { AthenaSqlEngine } from '../../shared/adapters/athena/index.js';
import { DuckDbSqlEngine } from '../../shared/adapters/duckdb/index.js';
import type { RefreshConfig } from '../../shared/config/index.js';
import { resolve } from 'node:path';
import type { RefreshPorts } from '../../shared/refresh/index.js';

/**
 * The refresh's ports from configuration: Athena over the Glue tables when ATHENA_DATABASE is
 * set (AWS), otherwise DuckDB over the lake directory (one machine); reflections in DynamoDB.
 */
export function refreshPortsFrom(config: RefreshConfig): RefreshPorts {
  const lake = lakeFrom(config);
  const reflections = new DynamoReflectionStore(documentClient(dynamoClientFrom(config)), config.tables.reflections);
  if (config.athena) {
    const { database, workGroup, outputLocation, lakeUri } = config.athena;
    return { lake, reflections, sql: new AthenaSqlEngine(new AthenaClient({}), { database, workGroup, outputLocation }), lakeSql: { kind: 'athena', database, lakeUri } };
  }
  return { lake, reflections, sql: new DuckDbSqlEngine(), lakeSql: { kind: 'duckdb', root: resolve(config.lakeDir) } };
}
