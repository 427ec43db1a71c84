import { beforeAll, describe, expect, it } from 'vitest';
import {
  assumptionsFromBench,
  DEFAULT_ASSUMPTIONS,
  DEFAULT_WORKLOAD,
  hzForVolume,
  loadPriceTable,
  PlanInputError,
  planDeployment,
  PriceTableError,
  validatePriceTable,
  type PriceTable,
  type Workload,
} from '../../../shared/capacity/index.js';

const USE_CASE: Workload = { ...DEFAULT_WORKLOAD, sensors: 100_000, hz: hzForVolume(50, 100_000, 120), recordBytes: 120 };

describe('planDeployment', () => {
  let prices: PriceTable;
  beforeAll(async () => {
    prices = await loadPriceTable();
  });

  it('turns the use case (100K sensors, 50 GB/hour) into a plan that keeps its freshness target', () => {
    const plan = planDeployment(USE_CASE, DEFAULT_ASSUMPTIONS, prices);
    expect(plan.readings_per_s).toBeCloseTo(115_740.7, 0);
    expect(plan.gb_per_hour).toBeCloseTo(50, 5);
    expect(plan.freshness_s.max).toBeLessThanOrEqual(USE_CASE.freshnessS);
    expect(plan.utilisation).toBeLessThanOrEqual(DEFAULT_ASSUMPTIONS.target_utilisation.value);
    expect(plan.batch_size).toBeLessThanOrEqual(10_000);
    expect(Number.isInteger(plan.batching_window_s)).toBe(true);
    expect(plan.batching_window_s).toBeGreaterThanOrEqual(1);
    expect(plan.concurrency).toBe(plan.partitions);
    expect(plan.partitions % 3).toBe(0);
  });

  it('sizes busy executors by Little\'s law: arrival rate times time in the executor per reading', () => {
    const plan = planDeployment(USE_CASE, DEFAULT_ASSUMPTIONS, prices);
    const perReading = (DEFAULT_ASSUMPTIONS.batch_overhead_s.value + plan.batch_size / DEFAULT_ASSUMPTIONS.executor_readings_per_s.value) / plan.batch_size;
    expect(plan.busy_concurrency).toBeCloseTo(plan.readings_per_s * perReading, 0);
  });

  it('adds the services up to the monthly cost', () => {
    const plan = planDeployment(USE_CASE, DEFAULT_ASSUMPTIONS, prices);
    const sum = Object.values(plan.monthly_cost_by_service).reduce((a, b) => a + b, 0);
    expect(plan.monthly_cost).toBeCloseTo(sum, 0);
    expect(plan.monthly_cost_by_service.msk_brokers).toBeCloseTo(plan.brokers.count * 0.204 * 730, 1);
  });

  it('counts reflections written whole once a day and otherwise as packed changes, read as a pack and a base', () => {
    const hourly = planDeployment({ ...USE_CASE, refreshMinutes: 60 }, DEFAULT_ASSUMPTIONS, prices).dynamodb.by_table.reflections;
    // Per sensor and refresh: 1/24 of a 6-unit whole item, 23/24 of 0.32 KB of a 4-unit 3.2 KB pack.
    expect(hourly.writes_per_s).toBeCloseTo((100_000 * (6 / 24 + (23 / 24) * 0.4)) / 3600, 1);
    expect(hourly.reads_per_s).toBeCloseTo((100_000 * (2 + (23 / 24) * 0.1)) / 3600, 1);
    // Refreshed once a day or less often, every version is written whole.
    const daily = planDeployment({ ...USE_CASE, refreshMinutes: 1440 }, DEFAULT_ASSUMPTIONS, prices).dynamodb.by_table.reflections;
    expect(daily.writes_per_s).toBeCloseTo((100_000 * 6) / 86_400, 1);
  });

  it('costs the lake from Parquet bytes per reading and retention', () => {
    const plan = planDeployment(USE_CASE, DEFAULT_ASSUMPTIONS, prices);
    const lambda = USE_CASE.sensors * USE_CASE.hz;
    expect(plan.parquet_bytes_per_day).toBe(Math.round(lambda * 86_400 * 132));
    expect(plan.lake_bytes).toBe(Math.round(lambda * 86_400 * 132 * 90));
  });

  it('follows the prices it is given', () => {
    const dearer = validatePriceTable({ ...prices, msk: { ...prices.msk, brokers: prices.msk.brokers.map((b) => ({ ...b, hourly: b.hourly * 2 })) } }, 'test');
    const a = planDeployment(USE_CASE, DEFAULT_ASSUMPTIONS, prices);
    const b = planDeployment(USE_CASE, DEFAULT_ASSUMPTIONS, dearer);
    expect(b.monthly_cost_by_service.msk_brokers).toBeCloseTo(2 * a.monthly_cost_by_service.msk_brokers, 1);
  });

  it('needs fewer busy executors when the benchmark measures a faster executor', () => {
    const { assumptions, used } = assumptionsFromBench([
      { name: 'ingest.readings_per_s', value: 20_000, unit: 'readings/s' },
      { name: 'lake.parquet_bytes_per_reading', value: 90, unit: 'B' },
      { name: 'query.p95_ms', value: 800, unit: 'ms' },
      // Judgment in memory only, without the writes: not the executor's end-to-end rate.
      { name: 'executor.readings_per_s', value: 900_000, unit: 'readings/s' },
    ], DEFAULT_ASSUMPTIONS, 'bench.jsonl');
    expect(used).toEqual(['ingest.readings_per_s', 'lake.parquet_bytes_per_reading']);
    expect(assumptions.executor_readings_per_s).toEqual({ value: 20_000, unit: 'readings/s per executor', source: 'measured: ingest.readings_per_s = 20000 readings/s (bench.jsonl)' });
    const fast = planDeployment(USE_CASE, assumptions, prices);
    const slow = planDeployment(USE_CASE, DEFAULT_ASSUMPTIONS, prices);
    expect(fast.busy_concurrency).toBeLessThan(slow.busy_concurrency / 3);
    expect(fast.parquet_bytes_per_day).toBeLessThan(slow.parquet_bytes_per_day);
  });

  it('plans a small fleet on the minimum cluster with a full batching window', () => {
    const plan = planDeployment({ ...DEFAULT_WORKLOAD, sensors: 200, hz: 0.1, recordBytes: 120 }, DEFAULT_ASSUMPTIONS, prices);
    expect(plan).toMatchObject({ partitions: 3, brokers: { count: 3 }, batching_window_s: 29 });
  });

  it.each([
    [{ sensors: 0 }, '--sensors: must be ≥ 1, got 0'],
    [{ sensors: 1.5 }, '--sensors: must be a whole number, got 1.5'],
    [{ hz: 0 }, '--hz: must be ≥ 0.000001, got 0'],
    [{ recordBytes: 4 }, '--record-bytes: must be ≥ 16, got 4'],
    [{ replicationFactor: 5 }, '--replication: must be ≤ 3, got 5'],
    [{ freshnessS: 1 }, '--freshness-s: 1 s leaves no room for a 1 s batching window after 0.2 s of batch overhead'],
    [{ maxConcurrency: 3 }, '--freshness-s: no partition count up to --max-concurrency 3 keeps executors under 80 % busy within 30 s'],
  ])('rejects %j naming the option', async (change, message) => {
    expect(() => planDeployment({ ...USE_CASE, ...change }, DEFAULT_ASSUMPTIONS, prices)).toThrow(PlanInputError);
    expect(() => planDeployment({ ...USE_CASE, ...change }, DEFAULT_ASSUMPTIONS, prices)).toThrow(message);
  });
});

describe('hzForVolume', () => {
  it('derives the per-sensor rate from GB per hour', () => {
    expect(hzForVolume(50, 100_000, 120)).toBeCloseTo(1.1574, 4);
  });
});

describe('validatePriceTable', () => {
  it('names the entry that is missing or wrong', async () => {
    const prices = await loadPriceTable();
    expect(() => validatePriceTable({ ...prices, s3: { ...prices.s3, per_thousand_puts: 'cheap' } }, 'mine.json')).toThrow(PriceTableError);
    expect(() => validatePriceTable({ ...prices, s3: { ...prices.s3, per_thousand_puts: 'cheap' } }, 'mine.json')).toThrow('mine.json: s3.per_thousand_puts must be a number ≥ 0, got "cheap"');
    expect(() => validatePriceTable({ ...prices, msk: { ...prices.msk, brokers: [{ type: 'kafka.m7g.large', hourly: 0.2 }] } }, 'mine.json')).toThrow('mine.json: msk.brokers[0].ingress_mb_s must be a number > 0, got undefined');
    expect(() => validatePriceTable({ ...prices, date: undefined }, 'mine.json')).toThrow('mine.json: date must be text');
  });

  it('reports a price file that cannot be read', async () => {
    await expect(loadPriceTable('/nonexistent/prices.json')).rejects.toThrow('/nonexistent/prices.json: (file) cannot be read');
  });
});
