import { describe, expect, it } from 'vitest';
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
} from '@aws-sdk/client-athena';
import {
  AthenaQueryCancelledError,
  AthenaQueryFailedError,
  AthenaQueryTimeoutError,
  AthenaSqlEngine,
} from '../../../shared/adapters/athena/index.js';

type Sent = { name: string; input: Record<string, unknown> };

/** A mocked Athena client: answers each command from a script, records what was sent. */
function mockedAthenaClient(script: {
  states: (string | { State: string; StateChangeReason?: string; ErrorType?: number })[];
  pages?: { columns: [string, string][]; rows: (string | undefined)[][]; next?: string }[];
}) {
  const sent: Sent[] = [];
  let poll = 0;
  let page = 0;
  const client = {
    async send(command: unknown) {
      const input = (command as { input: Record<string, unknown> }).input;
      const name = (command as object).constructor.name;
      sent.push({ name, input });
      if (command instanceof StartQueryExecutionCommand) return { QueryExecutionId: 'q-1' };
      if (command instanceof GetQueryExecutionCommand) {
        const s = script.states[Math.min(poll++, script.states.length - 1)];
        const status = typeof s === 'string' ? { State: s } : { State: s.State, StateChangeReason: s.StateChangeReason, AthenaError: s.ErrorType === undefined ? undefined : { ErrorType: s.ErrorType } };
        return { QueryExecution: { QueryExecutionId: 'q-1', Status: status } };
      }
      if (command instanceof GetQueryResultsCommand) {
        const p = (script.pages ?? [])[page];
        const header = page === 0 ? [{ Data: p.columns.map(([n]) => ({ VarCharValue: n })) }] : [];
        page++;
        return {
          ResultSet: {
            ResultSetMetadata: { ColumnInfo: p.columns.map(([Name, Type]) => ({ Name, Type })) },
            Rows: [...header, ...p.rows.map((r) => ({ Data: r.map((v) => (v === undefined ? {} : { VarCharValue: v })) }))],
          },
          NextToken: p.next,
        };
      }
      if (command instanceof StopQueryExecutionCommand) return {};
      throw new Error(`unexpected command ${name}`);
    },
  };
  const sleeps: number[] = [];
  let clock = 0;
  const options = {
    database: 'tideline_lake',
    workGroup: 'tideline',
    outputLocation: 's3://results/',
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
  };
  return { client: client as unknown as AthenaClient, sent, sleeps, options };
}

describe('AthenaSqlEngine against a mocked Athena client', () => {
  it('starts the query in the database and workgroup, polls with backoff until it succeeds, and pages the results', async () => {
    const m = mockedAthenaClient({
      states: ['QUEUED', 'RUNNING', 'RUNNING', 'SUCCEEDED'],
      pages: [
        { columns: [['sensor_id', 'varchar'], ['n', 'bigint'], ['mean', 'double']], rows: [['pump-1', '3', '1.5'], ['pump-2', '1', undefined]], next: 't2' },
        { columns: [['sensor_id', 'varchar'], ['n', 'bigint'], ['mean', 'double']], rows: [['pump-3', '7', '-2.25']] },
      ],
    });
    const engine = new AthenaSqlEngine(m.client, { ...m.options, pollIntervalMs: 100, maxPollIntervalMs: 300 });
    const rows = await engine.query('SELECT 1');
    expect(rows).toEqual([
      { sensor_id: 'pump-1', n: 3, mean: 1.5 },
      { sensor_id: 'pump-2', n: 1, mean: null },
      { sensor_id: 'pump-3', n: 7, mean: -2.25 },
    ]);
    expect(m.sent[0]).toEqual({
      name: 'StartQueryExecutionCommand',
      input: { QueryString: 'SELECT 1', QueryExecutionContext: { Database: 'tideline_lake' }, WorkGroup: 'tideline', ResultConfiguration: { OutputLocation: 's3://results/' } },
    });
    expect(m.sent.map((s) => s.name)).toEqual([
      'StartQueryExecutionCommand',
      'GetQueryExecutionCommand', 'GetQueryExecutionCommand', 'GetQueryExecutionCommand', 'GetQueryExecutionCommand',
      'GetQueryResultsCommand', 'GetQueryResultsCommand',
    ]);
    expect(m.sleeps).toEqual([100, 200, 300]);
    expect(m.sent[6].input).toMatchObject({ QueryExecutionId: 'q-1', NextToken: 't2' });
  });

  it('raises AthenaQueryFailedError with Athena\'s reason when the query fails', async () => {
    const m = mockedAthenaClient({ states: ['RUNNING', { State: 'FAILED', StateChangeReason: "TABLE_NOT_FOUND: Table 'tideline_lake.readings' does not exist", ErrorType: 1301 }] });
    const error = await new AthenaSqlEngine(m.client, m.options).query('SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryFailedError);
    expect(error).toMatchObject({ queryExecutionId: 'q-1', errorType: '1301', message: "Athena query q-1 failed: TABLE_NOT_FOUND: Table 'tideline_lake.readings' does not exist" });
  });

  it('raises AthenaQueryCancelledError when the query is cancelled outside Tideline', async () => {
    const m = mockedAthenaClient({ states: [{ State: 'CANCELLED', StateChangeReason: 'Query cancelled by user' }] });
    await expect(new AthenaSqlEngine(m.client, m.options).query('SELECT 1')).rejects.toThrow(new AthenaQueryCancelledError('q-1', 'Query cancelled by user'));
  });

  it('stops the query and raises AthenaQueryCancelledError when the caller aborts', async () => {
    const m = mockedAthenaClient({ states: ['RUNNING'] });
    const abort = new AbortController();
    const engine = new AthenaSqlEngine(m.client, { ...m.options, sleep: async () => abort.abort() });
    const error = await engine.query('SELECT 1', { signal: abort.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryCancelledError);
    expect((error as Error).message).toBe('Athena query q-1 was cancelled: cancelled by the caller');
    expect(m.sent.at(-1)).toEqual({ name: 'StopQueryExecutionCommand', input: { QueryExecutionId: 'q-1' } });
  });

  it('stops a query that outlives the timeout and raises AthenaQueryTimeoutError', async () => {
    const m = mockedAthenaClient({ states: ['RUNNING'] });
    const error = await new AthenaSqlEngine(m.client, { ...m.options, timeoutMs: 1000, pollIntervalMs: 400 }).query('SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryTimeoutError);
    expect((error as Error).message).toBe('Athena query q-1 did not finish within 1000 ms and was stopped');
    expect(m.sent.at(-1)?.name).toBe('StopQueryExecutionCommand');
  });
});
