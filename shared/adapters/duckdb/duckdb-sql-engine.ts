import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { SqlEngine, SqlQueryOptions, SqlRow, SqlValue } from '../../ports/index.js';
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
 *
 * A query over a few lake files (`lakeFiles` ≤ `serialMaxFiles`) runs on a second instance with
 * one thread: an hour of new data is one file and one row group, which one thread reads, and on a
 * 2-vCPU machine waking DuckDB's other worker for it took the query from 5–6 ms to 10–11 ms at
 * the median. Scans of many files (a rebuild, an hour not compacted yet) keep every core.
 */
export class DuckDbSqlEngine implements SqlEngine {
  readonly dialect = 'duckdb' as const;
  private parallel: Pool | null = null;
  private serial: Pool | null = null;
  private readonly serialMaxFiles: number;

  /**
   * @param path database file; `:memory:` (the default) keeps nothing on disk. A file-backed
   *   engine has one instance: DuckDB lets one process open a database file once.
   */
  constructor(
    private readonly path = ':memory:',
    options: { readonly serialMaxFiles?: number } = {},
  ) {
    this.serialMaxFiles = path === ':memory:' ? (options.serialMaxFiles ?? 4) : -1;
  }

  async query(sql: string, options: SqlQueryOptions = {}): Promise<SqlRow[]> {
    const serial = options.lakeFiles !== undefined && options.lakeFiles <= this.serialMaxFiles;
    const pool = serial ? (this.serial ??= new Pool(this.path, { threads: '1' })) : (this.parallel ??= new Pool(this.path, {}));
    const connection = await pool.acquire();
    let reusable = false;
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
      reusable = true;
      return rows;
    } catch (e) {
      throw new DuckDbQueryError(sql.split('\n')[0], (e as Error).message, { cause: e });
    } finally {
      pool.release(connection, reusable);
    }
  }

  /** Closes the instances; a later query opens new ones. */
  async close(): Promise<void> {
    const pools = [this.parallel, this.serial];
    this.parallel = this.serial = null;
    for (const pool of pools) if (pool) await pool.close();
  }
}

/** How many idle connections an instance keeps: the refresh runs at most three queries at once. */
const IDLE_CONNECTIONS = 4;

/**
 * One DuckDB instance and its idle connections: a connection serves one query at a time, and
 * opening one costs 1.5–3 ms on this machine, so a query takes an idle one when there is one.
 * A connection whose query failed is closed rather than reused.
 */
class Pool {
  private readonly instance: Promise<DuckDBInstance>;
  private readonly idle: DuckDBConnection[] = [];

  constructor(path: string, config: Record<string, string>) {
    this.instance = import('@duckdb/node-api').then(({ DuckDBInstance }) => DuckDBInstance.create(path, config));
  }

  async acquire(): Promise<DuckDBConnection> {
    return this.idle.pop() ?? (await this.instance).connect();
  }

  release(connection: DuckDBConnection, reusable: boolean): void {
    if (reusable && this.idle.length < IDLE_CONNECTIONS) this.idle.push(connection);
    else connection.closeSync();
  }

  async close(): Promise<void> {
    for (const connection of this.idle.splice(0)) connection.closeSync();
    (await this.instance).closeSync();
  }
}

function toSqlValue(v: unknown): SqlValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  return String(v);
}
