import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type ColumnInfo,
} from '@aws-sdk/client-athena';
import type { SqlEngine, SqlQueryOptions, SqlRow, SqlValue } from '../../ports/index.js';
import { TidelineError } from '../../errors.js';

/** Base of the Athena adapter's errors; carries the query execution id for the console. */
export class AthenaQueryError extends TidelineError {
  constructor(
    readonly queryExecutionId: string | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Athena ran the query and it failed (syntax, permissions, a missing table …). */
export class AthenaQueryFailedError extends AthenaQueryError {
  constructor(
    queryExecutionId: string,
    readonly reason: string,
    readonly errorType: string | null,
  ) {
    super(queryExecutionId, `Athena query ${queryExecutionId} failed: ${reason}`);
  }
}

/** The query was cancelled, by the caller (abort signal) or by someone in the console. */
export class AthenaQueryCancelledError extends AthenaQueryError {
  constructor(
    queryExecutionId: string,
    readonly reason: string,
  ) {
    super(queryExecutionId, `Athena query ${queryExecutionId} was cancelled: ${reason}`);
  }
}

/** The query ran longer than the adapter's limit; it is stopped so it stops costing. */
export class AthenaQueryTimeoutError extends AthenaQueryError {
  constructor(
    queryExecutionId: string,
    readonly timeoutMs: number,
  ) {
    super(queryExecutionId, `Athena query ${queryExecutionId} did not finish within ${timeoutMs} ms and was stopped`);
  }
}

export interface AthenaSqlEngineOptions {
  /** Glue database holding the lake's tables. */
  readonly database: string;
  /** @default 'primary' */
  readonly workGroup?: string;
  /** s3://… for results; omit when the workgroup enforces its own. */
  readonly outputLocation?: string;
  /** First poll delay; doubles up to maxPollIntervalMs. @default 250 */
  readonly pollIntervalMs?: number;
  /** @default 5000 */
  readonly maxPollIntervalMs?: number;
  /** @default 600000 (10 minutes) */
  readonly timeoutMs?: number;
  /** Injected for tests. @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

const NUMERIC = new Set(['tinyint', 'smallint', 'integer', 'int', 'bigint', 'double', 'float', 'real', 'decimal']);

/**
 * SqlEngine on Athena: StartQueryExecution, then GetQueryExecution polled with backoff until the
 * query leaves QUEUED/RUNNING, then GetQueryResults paged (the first row of the first page is
 * the header). Athena returns every value as text; numeric columns are converted by their
 * declared type. Failure, cancellation and timeout become typed errors.
 */
export class AthenaSqlEngine implements SqlEngine {
  readonly dialect = 'athena' as const;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly client: AthenaClient,
    private readonly options: AthenaSqlEngineOptions,
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = options.now ?? Date.now;
  }

  /** `lakeFiles` does not matter to Athena, which plans by itself; `signal` cancels the query. */
  async query(sql: string, { signal }: SqlQueryOptions & { signal?: AbortSignal } = {}): Promise<SqlRow[]> {
    const started = await this.client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        QueryExecutionContext: { Database: this.options.database },
        WorkGroup: this.options.workGroup ?? 'primary',
        ResultConfiguration: this.options.outputLocation ? { OutputLocation: this.options.outputLocation } : undefined,
      }),
    );
    const id = started.QueryExecutionId;
    if (!id) throw new AthenaQueryError(null, 'Athena StartQueryExecution returned no QueryExecutionId');
    await this.waitFor(id, signal);
    return this.results(id);
  }

  private async waitFor(id: string, signal: AbortSignal | undefined): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 600_000;
    const deadline = this.now() + timeoutMs;
    let delay = this.options.pollIntervalMs ?? 250;
    for (;;) {
      if (signal?.aborted) {
        await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
        throw new AthenaQueryCancelledError(id, 'cancelled by the caller');
      }
      const res = await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const status = res.QueryExecution?.Status;
      switch (status?.State) {
        case 'SUCCEEDED':
          return;
        case 'FAILED':
          throw new AthenaQueryFailedError(id, status.StateChangeReason ?? 'no reason given', status.AthenaError?.ErrorType?.toString() ?? null);
        case 'CANCELLED':
          throw new AthenaQueryCancelledError(id, status.StateChangeReason ?? 'cancelled outside Tideline');
        default:
          break; // QUEUED, RUNNING
      }
      if (this.now() >= deadline) {
        await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
        throw new AthenaQueryTimeoutError(id, timeoutMs);
      }
      await this.sleep(delay);
      delay = Math.min(delay * 2, this.options.maxPollIntervalMs ?? 5000);
    }
  }

  private async results(id: string): Promise<SqlRow[]> {
    const rows: SqlRow[] = [];
    let columns: ColumnInfo[] | null = null;
    let token: string | undefined;
    let first = true;
    do {
      const page = await this.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 }));
      columns ??= page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      const data = page.ResultSet?.Rows ?? [];
      for (let i = first ? 1 : 0; i < data.length; i++) {
        const cells = data[i].Data ?? [];
        const row: Record<string, SqlValue> = {};
        columns.forEach((c, j) => (row[c.Name ?? `_${j}`] = convert(cells[j]?.VarCharValue, c.Type)));
        rows.push(row);
      }
      first = false;
      token = page.NextToken;
    } while (token);
    return rows;
  }
}

function convert(text: string | undefined, type: string | undefined): SqlValue {
  if (text === undefined) return null;
  const t = (type ?? 'varchar').toLowerCase();
  if (NUMERIC.has(t)) return Number(text);
  if (t === 'boolean') return text === 'true';
  return text;
}
