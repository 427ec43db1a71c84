import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbSqlEngine } from '../../../shared/adapters/duckdb/index.js';

describe('DuckDB SQL engine', () => {
  const engine = new DuckDbSqlEngine(':memory:', { serialMaxFiles: 4 });
  afterAll(() => engine.close());
  const threads = async (lakeFiles?: number) => (await engine.query("SELECT current_setting('threads') AS t", lakeFiles === undefined ? {} : { lakeFiles }))[0].t;

  it('runs a query of a few lake files on one thread, and any other on every core', async () => {
    expect(await threads(1)).toBe(1);
    expect(await threads(4)).toBe(1);
    expect(await threads(5)).toBe(availableParallelism());
    expect(await threads()).toBe(availableParallelism());
  });

  it('answers the same on either instance', async () => {
    const sql = 'SELECT i % 7 AS k, count(*) AS n, avg(i) AS mean, var_samp(i) AS v FROM range(100000) t(i) GROUP BY k ORDER BY k';
    expect(await engine.query(sql, { lakeFiles: 1 })).toEqual(await engine.query(sql, { lakeFiles: 1000 }));
  });

  it('names the failing statement in its error, and answers the next query', async () => {
    await expect(engine.query('SELECT * FROM no_such_table', { lakeFiles: 1 })).rejects.toThrow(/DuckDB query failed: .*no_such_table/);
    expect(await engine.query('SELECT 42 AS x', { lakeFiles: 1 })).toEqual([{ x: 42 }]);
  });

  it('runs queries side by side, each on a connection of its own, and again once those are idle', async () => {
    const sql = (i: number) => `SELECT ${i} AS i, count(*) AS n FROM range(200000)`;
    const answers = await Promise.all([1, 2, 3].map((i) => engine.query(sql(i), { lakeFiles: 1 })));
    expect(answers).toEqual([1, 2, 3].map((i) => [{ i, n: 200_000 }]));
    expect(await Promise.all([4, 5, 6].map((i) => engine.query(sql(i), { lakeFiles: 1 })))).toEqual([4, 5, 6].map((i) => [{ i, n: 200_000 }]));
  });
});
