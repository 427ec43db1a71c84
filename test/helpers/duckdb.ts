import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/** A fresh in-memory DuckDB connection. */
export async function duckdb(): Promise<DuckDBConnection> {
  return (await DuckDBInstance.create(':memory:')).connect();
}

/** Runs SQL and returns rows as plain objects; BIGINTs become numbers. */
export async function rows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjects().map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) out[k] = typeof v === 'bigint' ? Number(v) : v;
    return out;
  });
}

/** Every enriched row in a lake directory, timestamps as epoch ms, ordered by partition and offset. */
export async function lakeRows(conn: DuckDBConnection, lakeDir: string): Promise<Record<string, unknown>[]> {
  return rows(
    conn,
    `SELECT * EXCLUDE (dt, hour) REPLACE (epoch_ms(ts) AS ts, epoch_ms(last_failure_ts) AS last_failure_ts)
     FROM read_parquet('${lakeDir}/readings/**/*.parquet', hive_partitioning = true)
     ORDER BY kafka_partition, kafka_offset`,
  );
}
