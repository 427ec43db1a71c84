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

/** Each sensor's current window, from its own item or from the buckets of the layout its partition's mark records. */
function currentWindows(state: readonly Record<string, unknown>[]): { pk: string; current: unknown }[] {
  type Stored = { sensorId: string; current: { window: unknown } };
  const layouts = new Set(state.filter((i) => String(i.pk).startsWith('partition#')).map((i) => `windows#${String(i.pk).slice('partition#'.length)}#${i.window_buckets ?? 0}`));
  const out: { pk: string; current: unknown }[] = [];
  for (const i of state) {
    const pk = String(i.pk);
    if (pk.startsWith('sensor#')) out.push({ pk, current: (JSON.parse(i.body as string) as Stored).current.window });
    else if (layouts.has(pk)) for (const w of JSON.parse(i.body as string) as Stored[]) out.push({ pk: `sensor#${w.sensorId}`, current: w.current.window });
  }
  return out.sort((a, b) => a.pk.localeCompare(b.pk));
}

/**
 * Everything the executor writes, in a comparable form: lake rows (by partition and offset),
 * minute summaries, alerts, dead letters, partition marks (without the window layout) and each
 * sensor's current window, whichever layout holds it. A window's `previous` depends on batch
 * boundaries, so only `current.window` is compared.
 */
export async function snapshotOutputs(env: TestEnvironment): Promise<Record<string, unknown>> {
  const state = await scan(env, env.config.tables.state);
  return {
    lake: await lakeRows(await duckdb(), env.lakeDir).catch((e: Error) => (/No files found/.test(e.message) ? [] : Promise.reject(e))),
    minuteSummaries: await scan(env, env.config.tables.minuteSummaries),
    alerts: await scan(env, env.config.tables.alerts),
    deadLetters: await scan(env, env.config.tables.deadLetters),
    marks: state.filter((i) => String(i.pk).startsWith('partition#')).map(({ window_buckets: _, ...mark }) => mark),
    windows: currentWindows(state),
  };
}
