import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { CoordinatorPorts } from '../../shared/adapters/index.js';
import { sampleStddev, type Moments } from '../../shared/stats/index.js';
import { hourOfDay } from '../../shared/reflections/index.js';
import {
  ARROW_STREAM,
  QueryError,
  QuerySpecError,
  QueryNotFoundError,
  parseQuerySpec,
  parseQueryTime,
  QueryLogWriter,
  resultToArrowPieces,
  resultToJsonRows,
  runQuery,
  slaByHour,
  viewSpecBody,
  type QueryConfig,
  type QueryResult,
  type QuerySpec,
} from '../../shared/query/index.js';
import { openApiDocument } from './openapi.js';

/** A request as the core sees it, whatever the runtime: header names lower-case. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | null;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Text, or bytes: in one array, or in pieces to send one after another (an Arrow stream's
   * messages and column buffers, see {@link bodyBytes}), which a runtime that writes to a socket
   * sends without joining them.
   */
  readonly body: string | Uint8Array | readonly Uint8Array[];
}

/** A binary body in one buffer (a body in pieces joined, one in one array as it is). */
export function bodyBytes(body: Uint8Array | readonly Uint8Array[]): Buffer {
  return body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : Buffer.concat(body);
}

export interface CoordinatorDeps {
  readonly ports: CoordinatorPorts;
  readonly config: QueryConfig;
  /** |z| of a critical anomaly: the expected range GET /sensors/{id} reports. @default 3 */
  readonly criticalZ?: number;
  readonly now?: () => number;
  /** Where unexpected errors go. @default console.error */
  readonly logError?: (message: string, error: unknown) => void;
  /**
   * Whether a query's response waits for its query-log write. Lambda may freeze the process as
   * soon as the handler returns, so the Lambda entry waits; a long-lived process (the local
   * runtime) answers first and writes behind, several entries to a write (QueryLogWriter), and
   * GET /metrics/sla and `flush` wait for what is queued.
   * @default false
   */
  readonly awaitQueryLog?: boolean;
}

/** The coordinator core: its routes, and `flush` to write the queued query-log entries and wait for them (call it before shutting down). */
export interface CoordinatorApp {
  handle(req: ApiRequest): Promise<ApiResponse>;
  readonly routes: readonly Route[];
  flush(): Promise<void>;
}

/** A route of the API: what the OpenAPI document must describe, and the tests check it does. */
export interface Route {
  readonly method: 'GET' | 'POST';
  /** OpenAPI path template, e.g. /views/{name}. */
  readonly path: string;
  /** Whether the route needs the API key (when one is configured). */
  readonly auth: boolean;
  readonly run: (ctx: RouteContext) => Promise<ApiResponse>;
}

interface RouteContext {
  readonly req: ApiRequest;
  readonly params: Readonly<Record<string, string>>;
  readonly startedAt: number;
}

/** Most bytes a request body may have (a spec listing 1000 sensor ids fits). */
export const MAX_BODY_BYTES = 256 * 1024;
const DAY_MS = 86_400_000;

const json = (status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

const problem = (status: number, type: string, message: string, extra: Record<string, unknown> = {}): ApiResponse =>
  json(status, { error: { type, message, ...extra } });

/**
 * The coordinator's runtime-agnostic core: routes, auth, validation, query fan-out and
 * encoding. Adapters (API Gateway on Lambda, the local HTTP server) turn their requests into
 * {@link ApiRequest} and map the {@link ApiResponse} back; nothing here knows which runtime it is.
 */
export function createCoordinatorApp(deps: CoordinatorDeps): CoordinatorApp {
  const { ports, config } = deps;
  const now = deps.now ?? Date.now;
  const criticalZ = deps.criticalZ ?? 3;
  const logError = deps.logError ?? ((m, e) => console.error(m, e));
  const queryLog = new QueryLogWriter(ports.queryLog, { waitForEachWrite: deps.awaitQueryLog ?? false, onError: logError });
  const flush = () => queryLog.flush();
  const keyDigest = config.apiKey === undefined ? null : createHash('sha256').update(config.apiKey).digest();

  async function answer(route: string, spec: QuerySpec, ctx: RouteContext): Promise<ApiResponse> {
    const queryId = randomUUID();
    const log = (status: number, result: QueryResult | null) =>
      queryLog.add({ queryId, startedAt: ctx.startedAt, latencyMs: now() - ctx.startedAt, route, status, rows: result?.rowCount ?? 0, slices: result?.stats.slices ?? 0 });
    let result: QueryResult & { queryId: string };
    try {
      result = await runQuery(spec, ports, { maxQueryMs: config.limits.maxQueryMs, queryId, now });
    } catch (e) {
      await log(e instanceof QueryError ? e.status : 500, null);
      throw e;
    }
    // When the response waits for its log write (Lambda), the write runs while the result is encoded.
    const logged = log(200, result);
    const headers = { 'x-tideline-query-id': queryId, 'x-tideline-truncated': String(result.truncated), 'x-tideline-rows': String(result.rowCount) };
    const response: ApiResponse = wantsArrow(ctx.req)
      ? { status: 200, headers: { 'content-type': ARROW_STREAM, ...headers }, body: await resultToArrowPieces(result) }
      : json(
          200,
          { query_id: queryId, columns: result.columns, rows: resultToJsonRows(result), row_count: result.rowCount, truncated: result.truncated, stats: result.stats },
          headers,
        );
    await logged;
    return response;
  }

  const routes: Route[] = [
    {
      method: 'POST',
      path: '/query',
      auth: true,
      run: async (ctx) => {
        const text = ctx.req.body ?? '';
        if (text.trim() === '') throw new QuerySpecError('body', 'is empty; send a JSON query spec, e.g. {"metrics": ["temperature"], "aggregates": ["mean"]}');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch (e) {
          throw new QuerySpecError('body', `is not valid JSON (${(e as Error).message.slice(0, 120)}); send a JSON query spec`);
        }
        return answer('POST /query', parseQuerySpec(body, config, now()), ctx);
      },
    },
    {
      method: 'GET',
      path: '/views/{name}',
      auth: true,
      run: async (ctx) => {
        const spec = parseQuerySpec(viewSpecBody(ctx.params.name, ctx.req.query), config, now());
        return answer(`GET /views/${ctx.params.name}`, spec, ctx);
      },
    },
    {
      method: 'GET',
      path: '/sensors/{id}',
      auth: true,
      run: async (ctx) => json(200, await sensorNowVsNormal(ctx.params.id)),
    },
    {
      method: 'GET',
      path: '/alerts',
      auth: true,
      run: async (ctx) => {
        const q = ctx.req.query;
        unknownParams(q, ['since', 'limit']);
        const limit = q.limit === undefined ? 100 : intParam(q.limit, 'limit', 1, 1000);
        const since = q.since === undefined ? now() - DAY_MS : timeParam(q.since, 'since');
        const [open, closed] = await Promise.all([ports.alerts.openAlerts(limit), ports.alerts.recentlyClosedAlerts(since, limit)]);
        return json(200, { open, recently_closed: closed, since: new Date(since).toISOString() });
      },
    },
    {
      method: 'GET',
      path: '/metrics/sla',
      auth: true,
      run: async (ctx) => {
        const q = ctx.req.query;
        unknownParams(q, ['from', 'to']);
        const to = q.to === undefined ? now() : timeParam(q.to, 'to');
        const from = q.from === undefined ? to - DAY_MS : timeParam(q.from, 'from');
        // The same range rules as a query: ordered, and no longer than the maximum range.
        parseQuerySpec({ from, to }, config, now());
        await flush();
        const hours = slaByHour(await ports.queryLog.entriesBetween(from, to), config.slaMs);
        return json(200, { sla_ms: config.slaMs, from: new Date(from).toISOString(), to: new Date(to).toISOString(), hours: hours.map((h) => ({ ...h, hour: new Date(h.hour).toISOString() })) });
      },
    },
    { method: 'GET', path: '/health', auth: false, run: async () => json(200, { status: 'ok', time: new Date(now()).toISOString() }) },
    { method: 'GET', path: '/openapi.json', auth: false, run: async () => json(200, openApiDocument(config)) },
  ];

  async function sensorNowVsNormal(id: string) {
    const [sensorId] = parseQuerySpec({ sensors: [id] }, config, now()).sensors!;
    const t = now();
    let latest: Record<string, unknown> | null = null;
    // Newest hour first, so a live sensor costs one hour's files.
    for (let hour = Math.floor(t / 3_600_000) * 3_600_000; hour > t - config.sensorLookbackMs - 3_600_000 && !latest; hour -= 3_600_000) {
      const spec = parseQuerySpec({ select: 'rows', sensors: [sensorId], from: hour, to: hour + 3_600_000, limit: config.limits.maxRows }, config, t);
      const result = await runQuery(spec, ports, { maxQueryMs: config.limits.maxQueryMs, now });
      if (result.rowCount > 0) {
        const rows = resultToJsonRows(result);
        latest = rows[rows.length - 1];
      }
    }
    const pointer = await ports.reflections.currentPointer();
    const reflection = pointer ? (await ports.reflections.getReflections(pointer.version, [sensorId])).get(sensorId) ?? null : null;
    if (!latest && !reflection) throw new QueryNotFoundError(`sensor "${sensorId}" has no reading in the last ${config.sensorLookbackMs / 3_600_000} h and no reflection; check the id`);
    const hour = hourOfDay(t);
    const hp = reflection?.hourOfDay?.[hour] ?? null;
    const stats = (m: Moments) => ({ count: m.n, mean: m.n ? m.mean : null, stddev: sampleStddev(m) });
    const sd = hp ? sampleStddev(hp.temperature) : null;
    const [openAlerts] = await Promise.all([ports.alerts.openAlertsOf(sensorId)]);
    return {
      sensor_id: sensorId,
      latest,
      normal_for_this_hour: hp && {
        hour_of_day: hour,
        reflection_version: pointer!.version,
        temperature: stats(hp.temperature),
        pressure: stats(hp.pressure),
        vibration: stats(hp.vibration),
        max_pressure: hp.maxPressure,
        expected_temperature_range: sd === null ? null : { low: hp.temperature.mean - criticalZ * sd, high: hp.temperature.mean + criticalZ * sd },
      },
      profile: reflection?.profile && {
        temperature: stats(reflection.profile.temperature),
        pressure_p95: reflection.profile.pressureP95,
        failure_count: reflection.profile.failureCount,
        last_failure_ts: reflection.profile.lastFailureTs === null ? null : new Date(reflection.profile.lastFailureTs).toISOString(),
      },
      open_alerts: openAlerts,
    };
  }

  function authorised(req: ApiRequest): boolean {
    if (!keyDigest) return true;
    const given = req.headers['x-api-key'];
    return given !== undefined && timingSafeEqual(createHash('sha256').update(given).digest(), keyDigest);
  }

  async function handle(req: ApiRequest): Promise<ApiResponse> {
    const startedAt = now();
    const match = matchRoute(routes, req.method, req.path);
    if (match === 'method') return problem(405, 'MethodNotAllowed', `${req.method} is not allowed on ${req.path.slice(0, 100)}; see GET /openapi.json`);
    if (!match) return problem(404, 'NotFound', `no route ${req.method} ${req.path.slice(0, 100)}; routes are ${routes.map((r) => `${r.method} ${r.path}`).join(', ')}`);
    if (match.route.auth && !authorised(req)) return problem(401, 'Unauthorized', 'send the API key in the x-api-key header (printed when the local runtime starts, kept in its data directory)');
    const size = req.body === null ? 0 : Buffer.byteLength(req.body);
    if (size > MAX_BODY_BYTES) return problem(413, 'PayloadTooLarge', `body is ${size} bytes, over the maximum of ${MAX_BODY_BYTES}; list fewer sensors or use sensor_prefix`);
    try {
      return await match.route.run({ req, params: match.params, startedAt });
    } catch (e) {
      if (e instanceof QueryError) return queryErrorResponse(e);
      const id = randomUUID();
      logError(`unexpected error (${id}) on ${req.method} ${req.path}`, e);
      return problem(500, 'InternalError', `unexpected error ${id}; it is logged under that id`);
    }
  }

  return { handle, routes, flush };
}

/** A query error as the API answers it: its status, and its type, message and fields under `error`. */
export function queryErrorResponse(e: QueryError): ApiResponse {
  const extra: Record<string, unknown> = {};
  for (const k of ['field', 'limit', 'sliceId'] as const) if (k in e) extra[k === 'sliceId' ? 'slice' : k] = (e as unknown as Record<string, unknown>)[k];
  return problem(e.status, e.name, e.message, extra);
}

function matchRoute(routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string> } | 'method' | null {
  const parts = path.split('/').filter(Boolean);
  let methodMismatch = false;
  for (const route of routes) {
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      if (pattern[i].startsWith('{')) {
        try {
          params[pattern[i].slice(1, -1)] = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
        }
      } else ok = pattern[i] === parts[i];
    }
    if (!ok) continue;
    if (route.method !== method.toUpperCase()) {
      methodMismatch = true;
      continue;
    }
    return { route, params };
  }
  return methodMismatch ? 'method' : null;
}

function wantsArrow(req: ApiRequest): boolean {
  return (req.headers.accept ?? '').split(',').some((t) => t.trim().split(';')[0].toLowerCase() === ARROW_STREAM);
}

function unknownParams(q: Readonly<Record<string, string | undefined>>, allowed: readonly string[]): void {
  for (const k of Object.keys(q)) if (!allowed.includes(k)) throw new QuerySpecError(k.slice(0, 64), `is not a parameter here; use ${allowed.join(', ')}`);
}

function intParam(v: string, name: string, min: number, max: number): number {
  const n = /^\d{1,15}$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw new QuerySpecError(name, `must be an integer from ${min} to ${max}; got ${JSON.stringify(v.slice(0, 64))}`);
  return n;
}

function timeParam(v: string, name: string): number {
  return parseQueryTime(/^\d{1,15}$/.test(v) ? Number(v) : v, name);
}
