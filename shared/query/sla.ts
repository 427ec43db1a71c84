/** One query the API answered, as the query log keeps it. */
export interface QueryLogEntry {
  readonly queryId: string;
  /** When the request arrived, epoch ms. */
  readonly startedAt: number;
  readonly latencyMs: number;
  /** e.g. `POST /query`, `GET /views/sensor_analytics_unified`. */
  readonly route: string;
  readonly status: number;
  readonly rows: number;
  readonly slices: number;
}

/** The use case's performance query, per hour. */
export interface SlaHour {
  readonly hour: number;
  readonly query_count: number;
  readonly p50_latency_ms: number;
  readonly p95_latency_ms: number;
  readonly p99_latency_ms: number;
  readonly queries_per_second: number;
  /** Little's law, L = λW: arrival rate × mean time in the system. */
  readonly avg_concurrent_queries: number;
  /** Share of queries answered within the SLA. */
  readonly sla_compliance_rate: number;
}

/** PERCENTILE_CONT over sorted values (linear interpolation), as the use case's SQL computes it. */
export function percentileCont(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Per hour: count, latency percentiles, qps, mean concurrency by Little's law, SLA compliance. Oldest hour first. */
export function slaByHour(entries: readonly QueryLogEntry[], slaMs: number): SlaHour[] {
  const hours = new Map<number, number[]>();
  for (const e of entries) {
    const h = Math.floor(e.startedAt / 3_600_000) * 3_600_000;
    let list = hours.get(h);
    if (!list) hours.set(h, (list = []));
    list.push(e.latencyMs);
  }
  return [...hours.entries()]
    .sort(([a], [b]) => a - b)
    .map(([hour, latencies]) => {
      const sorted = latencies.sort((a, b) => a - b);
      const n = sorted.length;
      const qps = n / 3600;
      const meanSeconds = sorted.reduce((s, x) => s + x, 0) / n / 1000;
      return {
        hour,
        query_count: n,
        p50_latency_ms: percentileCont(sorted, 0.5),
        p95_latency_ms: percentileCont(sorted, 0.95),
        p99_latency_ms: percentileCont(sorted, 0.99),
        queries_per_second: qps,
        avg_concurrent_queries: qps * meanSeconds,
        sla_compliance_rate: sorted.filter((x) => x <= slaMs).length / n,
      };
    });
}
