import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../shared/adapters/index.js';
import { duckdb, lakeRows } from './duckdb.js';
import type { TestEnvironment } from './stores.js';

async function scan(env: TestEnvironment, table: string): Promise<Record<string, unknown>[]> {
  const doc = documentClient(env.dynamo);
  const out: Record<string, unknown>[] = [];
  let key: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: key, ConsistentRead: true }));
    // expires_at is set from the wall clock when written, so it differs between runs.
    out.push(...((res.Items ?? []) as Record<string, unknown>[]).map(({ expires_at: _, ...item }) => item));
    key = res.LastEvaluatedKey;
  } while (key);
  return out.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/**
 * Everything the executor writes, in a comparable form: lake rows (by partition and offset),
 * minute summaries, alerts, dead letters, partition marks and each sensor's current window.
 * A window's `previous` depends on batch boundaries, so only `current.window` is compared.
 */
export async function snapshotOutputs(env: TestEnvironment): Promise<Record<string, unknown>> {
  const state = await scan(env, env.config.tables.state);
  return {
    lake: await lakeRows(await duckdb(), env.lakeDir).catch((e: Error) => (/No files found/.test(e.message) ? [] : Promise.reject(e))),
    minuteSummaries: await scan(env, env.config.tables.minuteSummaries),
    alerts: await scan(env, env.config.tables.alerts),
    deadLetters: await scan(env, env.config.tables.deadLetters),
    marks: state.filter((i) => String(i.pk).startsWith('partition#')),
    windows: state
      .filter((i) => String(i.pk).startsWith('sensor#'))
      .map((i) => ({ pk: i.pk, current: (JSON.parse(i.body as string) as { current: { window: unknown } }).current.window })),
  };
}
