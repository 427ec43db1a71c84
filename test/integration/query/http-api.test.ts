import { tableFromIPC } from 'apache-arrow';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSlicePool } from '../../../shared/adapters/index.js';
import { ARROW_STREAM, METRIC_COLUMNS, runQuerySlice, VIEW_NAMES } from '../../../shared/query/index.js';
import { createCoordinatorApp } from '../../../functions/coordinator/app.js';
import { startApiServer, type ApiServer } from '../../../infra/local/api-server.js';
import { makeApiGatewayHandler } from '../../../functions/coordinator/api-gateway.js';
import type { QueryLog } from '../../../shared/ports/index.js';
import { T0 } from '../../helpers/factories.js';
import { API_KEY, LIVE_END, postQuery, queryFixture, serveCoordinator, type QueryFixture } from './lake-fixture.js';

const INJECTIONS = ["'; DROP TABLE readings; --", '../../etc/passwd', '<script>alert(1)</script>', '\u0000', '${process.exit()}', "sensor-1' OR '1'='1", '%00', 'readings/**/*.parquet', '𝕏'.repeat(300)];

/** Requests a careless or hostile client might send: bad JSON, wrong types, huge ranges, unknown names, injections. */
function fuzzRequest(): fc.Arbitrary<{ method: string; path: string; body?: string; key: boolean }> {
  const junk = fc.oneof(fc.string(), fc.constantFrom(...INJECTIONS), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
  const time = fc.oneof(fc.integer({ min: -1e15, max: 1e16 }), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), junk, fc.constantFrom(T0, LIVE_END, '2026-01-05T01:00:00Z', '2026-01-05T01:00:00', '1999-01-01T00:00:00Z'));
  const spec = fc.record(
    {
      sensors: fc.oneof(fc.array(fc.oneof(fc.constantFrom('sensor-1', 'sensor-2'), fc.string(), fc.constantFrom(...INJECTIONS)), { maxLength: 4 }), junk),
      sensor_prefix: fc.oneof(fc.constantFrom('sensor-', 'sensor-1'), junk),
      from: time,
      to: time,
      where: fc.oneof(fc.record({ classification: fc.oneof(fc.constantFrom(['CRITICAL_ANOMALY'], ['NORMAL', 'WARNING']), junk), status: fc.oneof(fc.constant(['OK']), junk) }, { requiredKeys: [] }), junk),
      select: fc.oneof(fc.constantFrom('rows', 'aggregates'), junk),
      group_by: fc.oneof(fc.subarray(['sensor', 'minute', 'hour', 'day', 'hour_of_day', 'classification']), junk),
      metrics: fc.oneof(fc.subarray([...METRIC_COLUMNS, 'secret_column', 'temperature; DROP']), junk),
      aggregates: fc.oneof(fc.subarray(['count', 'mean', 'p95', 'p99', 'median', 'stddev']), junk),
      columns: fc.oneof(fc.subarray(['sensor_id', 'ts', 'temperature', 'password']), junk),
      limit: fc.oneof(fc.integer({ min: -10, max: 10_000_000 }), junk),
      fan_out: fc.oneof(fc.integer({ min: -5, max: 5000 }), junk),
      [fc.string().toString()]: junk,
    },
    { requiredKeys: [] },
  );
  const queryBody = fc.oneof(
    { weight: 6, arbitrary: spec.map((s) => JSON.stringify(s)) },
    { weight: 1, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: spec.map((s) => JSON.stringify(s).slice(0, -1)) },
  );
  const param = fc.tuple(fc.constantFrom('sensor', 'from', 'to', 'limit', 'classification', 'fan_out', 'since', 'x', 'sensor_prefix'), fc.oneof(fc.string(), fc.constantFrom(...INJECTIONS), fc.integer().map(String)));
  const qs = fc.array(param, { maxLength: 3 }).map((ps) => (ps.length ? `?${ps.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : ''));
  const segment = fc.oneof(fc.constantFrom(...VIEW_NAMES, 'sensor-1', 'nope'), fc.string({ minLength: 1 }), fc.constantFrom(...INJECTIONS)).map(encodeURIComponent);
  return fc.oneof(
    { weight: 10, arbitrary: fc.record({ method: fc.constant('POST'), path: fc.constant('/query'), body: queryBody, key: fc.boolean().map((b) => b || Math.random() < 0.9) }) },
    { weight: 3, arbitrary: fc.record({ method: fc.constant('GET'), path: fc.tuple(segment, qs).map(([s, q]) => `/views/${s}${q}`), key: fc.constant(true) }) },
    { weight: 1, arbitrary: fc.record({ method: fc.constant('GET'), path: fc.tuple(segment, qs).map(([s, q]) => `/sensors/${s}${q}`), key: fc.constant(true) }) },
    { weight: 1, arbitrary: fc.record({ method: fc.constant('GET'), path: qs.map((q) => `/alerts${q}`), key: fc.constant(true) }) },
    { weight: 1, arbitrary: fc.record({ method: fc.constant('GET'), path: qs.map((q) => `/metrics/sla${q}`), key: fc.constant(true) }) },
    { weight: 1, arbitrary: fc.record({ method: fc.constantFrom('PUT', 'DELETE', 'GET', 'PATCH'), path: fc.constantFrom('/query', '/', '/admin', '/views'), key: fc.boolean() }) },
  );
}

describe('the query API over HTTP', () => {
  let f: QueryFixture;
  let server: ApiServer;
  beforeAll(async () => {
    f = await queryFixture();
    server = await serveCoordinator(f);
  }, 300_000);
  afterAll(() => server?.close());

  it('answers 10,000 fuzzed requests with no 5xx, and every 4xx says what to fix', async () => {
    const requests = fc.sample(fuzzRequest(), { numRuns: 10_000, seed: 42 });
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const r = requests[next++];
        const res = await fetch(`${server.url}${r.path}`, {
          method: r.method,
          headers: { 'content-type': 'application/json', ...(r.key ? { 'x-api-key': API_KEY } : {}) },
          body: r.body,
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${r.method} ${r.path} ${r.body ?? ''} → ${text.slice(0, 300)}`).toBeLessThan(500);
        if (res.status >= 400) {
          const { error } = JSON.parse(text) as { error: { type: string; message: string; field?: string } };
          expect(error.message.length, text).toBeGreaterThan(15);
          // Says what to do: names the allowed values, the limit, or the way to narrow the query.
          expect(error.message, text).toMatch(/must|use |one of|not |give|send|narrow|list|ask|routes are|maximum|before|split|no view|check/);
          if (res.status === 400 || res.status === 422) expect(error.message.startsWith(`${error.field}:`), text).toBe(true);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    // The sample reaches past validation too, so the bound on 5xx covers running queries.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(50);
  }, 900_000);

  it('returns the same answer as an Arrow IPC stream, read back with apache-arrow', async () => {
    const spec = { from: T0, to: LIVE_END, group_by: ['sensor', 'hour'], metrics: ['temperature', 'vibration'], aggregates: ['count', 'mean', 'p95'] };
    const asJson = (await (await postQuery(server, spec)).json()) as { rows: Record<string, unknown>[] };
    const res = await postQuery(server, spec, { accept: ARROW_STREAM });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(ARROW_STREAM);
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.schema.fields.map((x) => x.name)).toEqual(['sensor_id', 'bucket', 'count', 'temperature_mean', 'temperature_p95', 'vibration_mean', 'vibration_p95']);
    expect(table.numRows).toBe(asJson.rows.length);
    const fromArrow = table.toArray().map((r) => {
      const o = r.toJSON() as Record<string, unknown>;
      return { ...o, bucket: new Date(Number(o.bucket)).toISOString(), count: Number(o.count) };
    });
    expect(fromArrow).toEqual(asJson.rows);
  });

  it('serves the views as Arrow rows with the judged columns', async () => {
    const res = await fetch(`${server.url}/views/sensor_analytics_unified?sensor=sensor-3,sensor-4&from=${T0}&to=${LIVE_END}&limit=50`, { headers: { 'x-api-key': API_KEY, accept: ARROW_STREAM } });
    expect(res.status).toBe(200);
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.numRows).toBe(50);
    expect(res.headers.get('x-tideline-truncated')).toBe('true');
    expect(new Set(table.getChild('sensor_id')!.toArray())).toEqual(new Set(['sensor-3', 'sensor-4']));
    expect(table.schema.fields.map((x) => x.name)).toContain('temperature_z_score');
  });

  it('answers the same bytes served directly as through the Lambda entry\'s API Gateway adapter', async () => {
    const lambda = await serveCoordinator(f, {}, 'api-gateway');
    try {
      const path = `/views/sensor_analytics_unified?from=${T0}&to=${LIVE_END}&limit=100000`;
      for (const accept of [ARROW_STREAM, 'application/json']) {
        const [direct, viaLambda] = await Promise.all([server, lambda].map((s) => fetch(`${s.url}${path}`, { headers: { 'x-api-key': API_KEY, accept } })));
        expect([direct.status, viaLambda.status]).toEqual([200, 200]);
        expect(direct.headers.get('content-type')).toBe(viaLambda.headers.get('content-type'));
        expect(direct.headers.get('x-tideline-rows')).toBe(viaLambda.headers.get('x-tideline-rows'));
        const [a, b] = await Promise.all([direct.arrayBuffer(), viaLambda.arrayBuffer()]);
        expect(a.byteLength).toBeGreaterThan(10_000);
        // Query ids differ between the two; everything else is the same answer.
        const strip = (x: ArrayBuffer) => (accept === ARROW_STREAM ? Buffer.from(x) : Buffer.from(Buffer.from(x).toString().replace(/"query_id":"[^"]+"/, '')));
        expect(strip(a).equals(strip(b))).toBe(true);
      }
    } finally {
      await lambda.close();
    }
  });

  it('summarises minutes by sensor and classification in realtime_sensor_summary', async () => {
    const res = await fetch(`${server.url}/views/realtime_sensor_summary?sensor=sensor-1&from=${T0}&to=${T0 + 600_000}`, { headers: { 'x-api-key': API_KEY } });
    const body = (await res.json()) as { rows: { sensor_id: string; bucket: string; anomaly_classification: string; count: number }[] };
    expect(res.status).toBe(200);
    expect(body.rows.map((r) => r.bucket)).toEqual([...body.rows.map((r) => r.bucket)].sort());
    expect(body.rows.reduce((s, r) => s + r.count, 0)).toBe(f.live.filter((r) => r.sensor_id === 'sensor-1' && r.ts < T0 + 600_000).length);
  });

  it('refuses a range over the maximum with a 422 naming the limit', async () => {
    const res = await postQuery(server, { from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    const { error } = (await res.json()) as { error: { limit: string; message: string } };
    expect(res.status).toBe(422);
    expect(error.limit).toBe('maxRangeMs (TIDELINE_QUERY_MAX_RANGE_HOURS)');
    expect(error.message).toMatch(/^from: the range .* is 8760 h, over the maximum of 744 h; narrow from\/to or split the query$/);
  });

  it('refuses a grouping with more groups than the row limit, suggesting a coarser bucket', async () => {
    const res = await postQuery(server, { from: T0, to: LIVE_END, group_by: ['sensor', 'minute'], limit: 100 });
    const { error } = (await res.json()) as { error: { message: string } };
    expect(res.status).toBe(422);
    expect(error.message).toMatch(/^group_by: the grouping gives more than 100 groups .*group by hour instead of minute/);
  });

  it('needs the API key, except on /health and /openapi.json', async () => {
    expect((await postQuery(server, {}, { 'x-api-key': 'wrong' })).status).toBe(401);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/openapi.json`)).status).toBe(200);
  });

  it('shows a sensor now vs normal: latest reading, this hour\'s profile, open alerts', async () => {
    const res = await fetch(`${server.url}/sensors/sensor-2`, { headers: { 'x-api-key': API_KEY } });
    const body = (await res.json()) as { latest: { ts: string; sensor_id: string }; normal_for_this_hour: { hour_of_day: number; temperature: { count: number } }; open_alerts: unknown[] };
    expect(res.status).toBe(200);
    expect(body.normal_for_this_hour, JSON.stringify(body).slice(0, 2000)).not.toBeNull();
    const newest = Math.max(...f.live.filter((r) => r.sensor_id === 'sensor-2').map((r) => r.ts));
    expect(body.latest.ts).toBe(new Date(newest).toISOString());
    expect(body.normal_for_this_hour.hour_of_day).toBe(new Date(LIVE_END).getUTCHours());
    expect(body.normal_for_this_hour.temperature.count).toBeGreaterThan(0);
    expect(Array.isArray(body.open_alerts)).toBe(true);
    expect((await fetch(`${server.url}/sensors/unknown-sensor`, { headers: { 'x-api-key': API_KEY } })).status).toBe(404);
  });

  it('lists open and recent alerts with their context from the by-status index', async () => {
    const res = await fetch(`${server.url}/alerts?since=${T0}`, { headers: { 'x-api-key': API_KEY } });
    const body = (await res.json()) as { open: { status: string; opened_at: number; expected_range: unknown; recent: unknown }[]; recently_closed: { status: string }[] };
    expect(res.status).toBe(200);
    expect(body.open.length + body.recently_closed.length).toBeGreaterThan(0);
    expect(body.open.every((a) => a.status === 'OPEN')).toBe(true);
    expect(body.recently_closed.every((a) => a.status === 'CLOSED')).toBe(true);
    expect(body.open.map((a) => a.opened_at)).toEqual([...body.open.map((a) => a.opened_at)].sort((a, b) => b - a));
  });

  it('reports SLA figures per hour from the query log', async () => {
    for (let i = 0; i < 5; i++) await postQuery(server, { from: T0, to: LIVE_END });
    const res = await fetch(`${server.url}/metrics/sla?from=${LIVE_END - 3_600_000}&to=${LIVE_END + 3_600_000}`, { headers: { 'x-api-key': API_KEY } });
    const body = (await res.json()) as { hours: { hour: string; query_count: number; p95_latency_ms: number; queries_per_second: number; avg_concurrent_queries: number; sla_compliance_rate: number }[] };
    expect(res.status).toBe(200);
    const h = body.hours.find((x) => x.hour === new Date(LIVE_END).toISOString())!;
    expect(h.query_count).toBeGreaterThanOrEqual(5);
    expect(h.queries_per_second).toBeCloseTo(h.query_count / 3600, 12);
    expect(h.sla_compliance_rate).toBeGreaterThan(0);
    expect(h.sla_compliance_rate).toBeLessThanOrEqual(1);
  });

  /** The real query log, with each write held until `release` is called. */
  function heldQueryLog(): { log: QueryLog; release: () => void } {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const log: QueryLog = {
      record: async (entries) => {
        await gate;
        await f.ports.queryLog.record(entries);
      },
      entriesBetween: (from, to) => f.ports.queryLog.entriesBetween(from, to),
    };
    return { log, release };
  }
  const settled = async (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), ms))]);
  const logged = async (queryId: string | null) => (await f.ports.queryLog.entriesBetween(LIVE_END - 1, LIVE_END + 1)).some((e) => e.queryId === queryId);

  it('answers before its query-log write lands, and GET /metrics/sla waits for the write', async () => {
    const { log, release } = heldQueryLog();
    const behind = await serveCoordinator(f, { ports: { ...f.ports, queryLog: log } });
    try {
      const res = await postQuery(behind, { from: T0, to: LIVE_END });
      expect(res.status).toBe(200);
      const queryId = res.headers.get('x-tideline-query-id');
      expect(await logged(queryId)).toBe(false);
      const sla = fetch(`${behind.url}/metrics/sla?from=${LIVE_END - 3_600_000}&to=${LIVE_END + 3_600_000}`, { headers: { 'x-api-key': API_KEY } });
      expect(await settled(sla, 300)).toBe(false);
      release();
      const body = (await (await sla).json()) as { hours: { hour: string; query_count: number }[] };
      expect(await logged(queryId)).toBe(true);
      expect(body.hours.find((h) => h.hour === new Date(LIVE_END).toISOString())?.query_count).toBeGreaterThanOrEqual(1);
    } finally {
      release();
      await behind.close();
    }
  });

  it('waits for the query-log write before answering when told to, as on Lambda', async () => {
    const { log, release } = heldQueryLog();
    const waiting = await serveCoordinator(f, { ports: { ...f.ports, queryLog: log }, awaitQueryLog: true });
    try {
      const res = postQuery(waiting, { from: T0, to: LIVE_END });
      expect(await settled(res, 300)).toBe(false);
      release();
      const queryId = (await res).headers.get('x-tideline-query-id');
      expect(await logged(queryId)).toBe(true);
    } finally {
      release();
      await waiting.close();
    }
  });

  /** The coordinator behind a server that holds responses to `maxResponseBytes`, as the Lambda entry does with 6 MB. */
  async function limitedServer(maxResponseBytes: number): Promise<ApiServer> {
    const app = createCoordinatorApp({ ports: f.ports, config: f.config, now: () => LIVE_END, logError: () => {} });
    return startApiServer({ handler: makeApiGatewayHandler(app, { maxResponseBytes }) });
  }

  it('refuses a response over the Lambda payload limit with a 422 whose suggested row limit then fits', async () => {
    const limited = await limitedServer(200_000);
    try {
      const rows = { select: 'rows', from: T0, to: LIVE_END, limit: 2000 };
      const res = await postQuery(limited, rows, { 'accept-encoding': 'identity' });
      const { error } = (await res.json()) as { error: { type: string; message: string; limit: string; field: string } };
      expect(res.status).toBe(422);
      expect(error.type).toBe('QueryLimitError');
      expect(error.limit).toBe('maxResponseBytes (Lambda response payload, 6 MB)');
      expect(error.message).toMatch(/^limit: the response is \d+\.\d MB as Lambda returns it, over the 0\.2 MB a Lambda function may return; ask for at most about \d+ rows \(limit\), or fewer columns .*, or the Arrow form .*, or Accept-Encoding: gzip$/);
      const suggested = Number(/about (\d+) rows/.exec(error.message)![1]);
      expect(suggested).toBeLessThan(2000);
      const narrowed = await postQuery(limited, { ...rows, limit: suggested }, { 'accept-encoding': 'identity' });
      expect(narrowed.status).toBe(200);
      expect(((await narrowed.json()) as { row_count: number }).row_count).toBe(suggested);
    } finally {
      await limited.close();
    }
  });

  it('gzips a response over the Lambda payload limit when the client accepts gzip, and fetch reads it back', async () => {
    const rows = { select: 'rows', from: T0, to: LIVE_END, limit: 2000 };
    const plain = Buffer.from(await (await postQuery(server, rows, { accept: ARROW_STREAM })).arrayBuffer());
    // Base64 makes the body a third larger: this limit refuses it uncompressed.
    const limited = await limitedServer(Math.ceil((plain.length * 4) / 3));
    try {
      const res = await postQuery(limited, rows, { accept: ARROW_STREAM, 'accept-encoding': 'gzip' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBe('gzip');
      const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
      expect(table.numRows).toBe(2000);
      // The same bytes as before, uncompressed (Buffer.equals: a deep equality over a megabyte is slow).
      const again = Buffer.from(await (await postQuery(server, rows, { accept: ARROW_STREAM })).arrayBuffer());
      expect(again.equals(plain)).toBe(true);
    } finally {
      await limited.close();
    }
  });
});

describe('slice failures', () => {
  let f: QueryFixture;
  beforeAll(async () => {
    f = await queryFixture({ TIDELINE_QUERY_MAX_MS: '2000' });
  }, 300_000);

  const spec = { from: T0, to: LIVE_END, group_by: ['sensor'], metrics: ['temperature'], aggregates: ['count', 'mean'], fan_out: 4 };

  it('retries a slice that fails once and answers as if nothing happened', async () => {
    const failed = new Set<string>();
    const pool = new LocalSlicePool(async (slice) => {
      if (slice.sliceId.endsWith('/s1') && !failed.has(slice.sliceId)) {
        failed.add(slice.sliceId);
        throw new Error('executor crashed (injected)');
      }
      return runQuerySlice(slice, f.ports.lake);
    }, 4);
    // A generous time budget: this test is about the retry, not the clock.
    const config = { ...f.config, limits: { ...f.config.limits, maxQueryMs: 60_000 } };
    const flaky = await serveCoordinator(f, { config, ports: { ...f.ports, invoker: pool } });
    const steady = await serveCoordinator(f, { config });
    try {
      const a = (await (await postQuery(flaky, spec)).json()) as { rows: unknown[] };
      const b = (await (await postQuery(steady, spec)).json()) as { rows: unknown[] };
      expect(b.rows, JSON.stringify(b)).toHaveLength(12);
      expect(failed.size).toBe(1);
      expect(a.rows).toEqual(b.rows);
    } finally {
      await flaky.close();
      await steady.close();
    }
  });

  it('fails with a 502 naming the slice when it fails twice, never a partial answer', async () => {
    const pool = new LocalSlicePool(async (slice) => {
      if (slice.sliceId.endsWith('/s2')) throw new Error('executor crashed (injected)');
      return runQuerySlice(slice, f.ports.lake);
    }, 4);
    const server = await serveCoordinator(f, { ports: { ...f.ports, invoker: pool } });
    try {
      const res = await postQuery(server, spec);
      const { error } = (await res.json()) as { error: { type: string; message: string; slice: string } };
      expect(res.status).toBe(502);
      expect(error.type).toBe('SliceFailedError');
      expect(error.slice).toMatch(/\/s2$/);
      expect(error.message).toMatch(/^slice .*\/s2 \(shards .*, hours .*\) failed twice: executor crashed \(injected\); no partial answer was returned/);
    } finally {
      await server.close();
    }
  });

  it('fails with a 504 naming the slice when it outlives the query time limit', async () => {
    const pool = new LocalSlicePool(async (slice) => {
      if (slice.sliceId.endsWith('/s0')) await new Promise((r) => setTimeout(r, 10_000));
      return runQuerySlice(slice, f.ports.lake);
    }, 4);
    const server = await serveCoordinator(f, { ports: { ...f.ports, invoker: pool } });
    try {
      const res = await postQuery(server, spec);
      const { error } = (await res.json()) as { error: { type: string; message: string } };
      expect(res.status).toBe(504);
      expect(error.type).toBe('SliceTimeoutError');
      expect(error.message).toMatch(/^slice .*\/s0 .* did not finish within the query's 2000 ms/);
    } finally {
      await server.close();
    }
  });
});

describe('the OpenAPI document', () => {
  it('describes exactly the routes the coordinator serves', async () => {
    const f = { ports: {} as never, config: (await import('../../../shared/query/index.js')).loadQueryConfig({}) };
    const app = createCoordinatorApp(f);
    const doc = (await import('../../../functions/coordinator/openapi.js')).openApiDocument(f.config) as { openapi: string; paths: Record<string, Record<string, { security?: unknown[] }>> };
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    expect(documented).toEqual(app.routes.map((r) => `${r.method} ${r.path}`).sort());
    for (const r of app.routes) expect(doc.paths[r.path][r.method.toLowerCase()].security === undefined, `${r.method} ${r.path}`).toBe(r.auth);
  });
});
