import { describe, expect, it } from 'vitest';
import {
  BENCH_FIGURE_NAMES,
  benchTable,
  checkFigures,
  figure,
  HeapPeak,
  meetsTarget,
} from '../../../infra/bench/benchmark.js';

describe('the benchmark framework', () => {
  it('names exactly the figures the issues list', () => {
    expect(BENCH_FIGURE_NAMES).toEqual([
      'executor.readings_per_s',
      'executor.vs_duckdb',
      'executor.peak_heap_mb',
      'refresh.incremental_vs_full',
      'backfill.rows_per_s',
      'query.p95_ms',
      'query.vs_duckdb',
      'freshness.p95_ms',
    ]);
  });

  it('fills unit and target from the figure name', () => {
    expect(figure('query.p95_ms', 31.2)).toEqual({ name: 'query.p95_ms', value: 31.2, unit: 'ms', target: '<= 50' });
  });

  it.each([
    [figure('executor.readings_per_s', 1_200_000), true],
    [figure('executor.readings_per_s', 999_999), false],
    [figure('refresh.incremental_vs_full', 0.02), true],
    [figure('freshness.p95_ms', 1500), false],
    [figure('backfill.rows_per_s', 5), null],
  ])('judges %j against its target', (f, met) => {
    expect(meetsTarget(f)).toBe(met);
  });

  it('reports expected figures nobody measured and figures no issue names', () => {
    const figures = [figure('query.p95_ms', 10), { name: 'query.p50_ms', value: 5, unit: 'ms', target: 'reported' }];
    const { missing, unknown } = checkFigures(figures);
    expect(missing).toHaveLength(7);
    expect(missing).not.toContain('query.p95_ms');
    expect(unknown).toEqual(['query.p50_ms']);
    expect(checkFigures(figures, []).missing).toEqual([]);
  });

  it('prints each figure beside its target in the issues\' order, with what is not measured', () => {
    const table = benchTable([figure('query.p95_ms', 61.25), figure('executor.readings_per_s', 1_234_567.8)], ['freshness.p95_ms']);
    expect(table.split('\n')).toEqual([
      'figure                   value      unit             target      ',
      'executor.readings_per_s  1,234,568  readings/s/core  >= 1000000  met',
      'query.p95_ms             61.25      ms               <= 50       NOT MET',
      'freshness.p95_ms         —          ms               <= 1000     not measured',
    ].map((l) => l.trimEnd()));
  });

  it('records the peak heap of work that samples it', () => {
    const peak = new HeapPeak(1000);
    const before = process.memoryUsage().heapUsed / 2 ** 20;
    const held: number[][] = [];
    for (let i = 0; i < 20; i++) {
      held.push(new Array(50_000).fill(i));
      peak.sample();
    }
    const mb = peak.stop();
    expect(held).toHaveLength(20);
    // 20 arrays of 50,000 small integers hold about 8 MB.
    expect(mb).toBeGreaterThan(before + 4);
  });
});
