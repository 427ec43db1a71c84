import { describe, expect, it } from 'vitest';
import { percentileCont, slaByHour, type QueryLogEntry } from '../../../shared/query/index.js';

const H = Date.UTC(2026, 10, 25, 6);
const entry = (startedAt: number, latencyMs: number): QueryLogEntry => ({ queryId: `q${startedAt}`, startedAt, latencyMs, route: 'POST /query', status: 200, rows: 1, slices: 1 });

describe('slaByHour', () => {
  it('computes the use case\'s performance query per hour, with Little\'s law for concurrency', () => {
    const entries = [entry(H + 1, 100), entry(H + 2, 200), entry(H + 3, 300), entry(H + 4, 1400), entry(H + 3_600_000, 50)];
    const [first, second] = slaByHour(entries, 1000);
    expect(first).toEqual({
      hour: H,
      query_count: 4,
      p50_latency_ms: 250,
      p95_latency_ms: percentileCont([100, 200, 300, 1400], 0.95),
      p99_latency_ms: percentileCont([100, 200, 300, 1400], 0.99),
      queries_per_second: 4 / 3600,
      avg_concurrent_queries: (4 / 3600) * 0.5,
      sla_compliance_rate: 0.75,
    });
    expect(second.query_count).toBe(1);
    expect(second.hour).toBe(H + 3_600_000);
  });

  it('interpolates percentiles like PERCENTILE_CONT', () => {
    expect(percentileCont([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentileCont([10], 0.99)).toBe(10);
    expect(percentileCont([0, 100], 0.95)).toBeCloseTo(95, 12);
  });
});
