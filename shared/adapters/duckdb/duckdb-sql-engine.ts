import type { DuckDBInstance } from '@duckdb/node-api';
import type { SqlEngine, SqlRow, SqlValue } from '../../ports/index.js';
import { TidelineError } from '../../errors.js';

/** A DuckDB statement failed; carries the statement's first line for the log. */
export class DuckDbQueryError extends TidelineError {
  constructor(
    readonly statement: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`DuckDB query failed: ${message}`, options);
  }
}

/**
 * Athena's stand-in on one machine: DuckDB (in process) over the lake directory's Parquet files.
 * The instance is opened on first use, so a handler can build the engine at module scope, and the
 * native module is loaded only then: a Lambda bundle on Athena never loads it (mark
 * `@duckdb/node-api` external when bundling).
 * Each query runs on its own connection, so the refresh's queries may run side by side.
 */
export class DuckDbSqlEngine implements SqlEngine {
  readonly dialect = 'duckdb' as const;
  private instance: Promise<DuckDBInstance> | null = null;

  /** @param path database file; `:memory:` (the default) keeps nothing on disk. */
  constructor(private readonly path = ':memory:') {}

  async query(sql: string): Promise<SqlRow[]> {
    this.instance ??= import('@duckdb/node-api').then(({ DuckDBInstance }) => DuckDBInstance.create(this.path));
    const connection = await (await this.instance).connect();
    try {
      const reader = await connection.runAndReadAll(sql);
      const columns = reader.columnNames();
      const data = reader.getColumnsJS();
      const rows: Record<string, SqlValue>[] = new Array(reader.currentRowCount);
      for (let i = 0; i < rows.length; i++) {
        const row: Record<string, SqlValue> = {};
        for (let c = 0; c < columns.length; c++) row[columns[c]] = toSqlValue(data[c][i]);
        rows[i] = row;
      }
      return rows;
    } catch (e) {
      throw new DuckDbQueryError(sql.split('\n')[0], (e as Error).message, { cause: e });
    } finally {
      connection.closeSync();
    }
  }

  /** Closes the instance; a later query opens a new one. */
  async close(): Promise<void> {
    const instance = this.instance;
    this.instance = null;
    if (instance) (await instance).closeSync();
  }
}

function toSqlValue(v: unknown): SqlValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  return String(v);
}
