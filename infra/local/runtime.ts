import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  coordinatorPortsFrom,
  EmbeddedLog,
  lakeFrom,
  loadKafkaSettings,
  ReadingProducer,
  startKafkaEventConsumer,
  type RecordPosition,
  type RecordToProduce,
} from '../../shared/adapters/index.js';
import { loadRefreshConfig, numberVar, type Env } from '../../shared/config/index.js';
import { loadQueryConfig } from '../../shared/query/index.js';
import { TidelineError } from '../../shared/errors.js';
import type { IngestPorts, IngestResult } from '../../shared/ingest/index.js';
import type { AlertChange } from '../../shared/judgment/index.js';
import type { Reading } from '../../shared/readings/index.js';
import { makeExecutorHandler } from '../../functions/executor/executor.js';
import { createCoordinatorApp, type ApiRequest, type ApiResponse } from '../../functions/coordinator/app.js';
import { makeRefreshHandler } from '../../functions/refresh/refresh.js';
import { refreshPortsFrom } from '../../functions/refresh/ports.js';
import { scheduledEvent } from '../../functions/refresh/schedule.js';
import { makeCompactionHandler } from '../../functions/compaction/compaction.js';
import { startApiServer } from './api-server.js';
import { backfillHistory, progressBar } from './backfill.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { EventSourceMapping } from './event-source.js';
import { SensorSimulator, type GroundTruth } from './simulator.js';
import { dataDirFrom, ensurePortFree, startLocalStores, type LocalStores } from './stores.js';

/** Another runtime holds the data directory; the message says which process. */
export class DataDirInUseError extends TidelineError {}

/** Settings of the local runtime; each has an environment variable (README, "Running locally"). */
export interface LocalRuntimeSettings {
  /** HTTP port on 127.0.0.1 (API, dashboard, health). TIDELINE_PORT. @default 8787 */
  readonly port: number;
  /** Simulated sensors; 0 turns the simulator off. TIDELINE_SENSORS. @default 200 */
  readonly sensors: number;
  /** Simulated readings per second across all sensors. TIDELINE_RATE. @default one per sensor per second */
  readonly rate: number;
  /** Days of simulated history on first start; 0 skips it. TIDELINE_BACKFILL_DAYS. @default 30 */
  readonly backfillDays: number;
  /** Share of simulated records sent malformed (they become dead letters). TIDELINE_MALFORMED_RATE. @default 0.001 */
  readonly malformedRate: number;
  /** Probability of an injected spike per live reading. TIDELINE_ANOMALY_RATE. @default 0.002 */
  readonly anomalyRate: number;
  /** Partitions of a topic the embedded log creates. TIDELINE_PARTITIONS. @default 4 */
  readonly partitions: number;
  /** Records per executor invocation (MSK BatchSize). TIDELINE_BATCH_SIZE. @default 10000 */
  readonly batchSize: number;
  /** Batching window (MaximumBatchingWindowInSeconds, in ms). TIDELINE_BATCH_WINDOW_MS. @default 200 */
  readonly batchingWindowMs: number;
  /** Simulator seed. TIDELINE_SEED. @default 42 */
  readonly seed: number;
  /** Seconds between reflection refreshes (EventBridge schedule's stand-in); 0 turns them off. TIDELINE_REFRESH_INTERVAL_S. @default 900 */
  readonly refreshIntervalS: number;
  /** Seconds between lake compactions; 0 turns them off. TIDELINE_COMPACTION_INTERVAL_S. @default 600 */
  readonly compactionIntervalS: number;
}

/** Settings from the environment, with `overrides` taking precedence (argument, environment, default). */
export function runtimeSettingsFrom(env: Env, overrides: Partial<LocalRuntimeSettings> = {}): LocalRuntimeSettings {
  const sensors = overrides.sensors ?? numberVar(env, 'TIDELINE_SENSORS', 200, { min: 0, max: 100_000 });
  return {
    port: overrides.port ?? numberVar(env, 'TIDELINE_PORT', 8787, { min: 0, max: 65535 }),
    sensors,
    rate: overrides.rate ?? numberVar(env, 'TIDELINE_RATE', sensors, { min: 0, max: 1_000_000 }),
    backfillDays: overrides.backfillDays ?? numberVar(env, 'TIDELINE_BACKFILL_DAYS', 30, { min: 0, max: 90 }),
    malformedRate: overrides.malformedRate ?? numberVar(env, 'TIDELINE_MALFORMED_RATE', 0.001, { min: 0, max: 1 }),
    anomalyRate: overrides.anomalyRate ?? numberVar(env, 'TIDELINE_ANOMALY_RATE', 0.002, { min: 0, max: 1 }),
    partitions: overrides.partitions ?? numberVar(env, 'TIDELINE_PARTITIONS', 4, { min: 1, max: 1024 }),
    batchSize: overrides.batchSize ?? numberVar(env, 'TIDELINE_BATCH_SIZE', 10_000, { min: 1, max: 10_000 }),
    batchingWindowMs: overrides.batchingWindowMs ?? numberVar(env, 'TIDELINE_BATCH_WINDOW_MS', 200, { min: 0, max: 300_000 }),
    seed: overrides.seed ?? numberVar(env, 'TIDELINE_SEED', 42),
    refreshIntervalS: overrides.refreshIntervalS ?? numberVar(env, 'TIDELINE_REFRESH_INTERVAL_S', 900, { min: 0 }),
    compactionIntervalS: overrides.compactionIntervalS ?? numberVar(env, 'TIDELINE_COMPACTION_INTERVAL_S', 600, { min: 0 }),
  };
}

export interface LocalRuntimeOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly settings?: Partial<LocalRuntimeSettings>;
  /** Where start-up lines go. @default stdout */
  readonly log?: (line: string) => void;
  /** Draw the backfill progress bar in place (a terminal). @default stderr is a TTY */
  readonly tty?: boolean;
}

export interface LocalRuntime {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly apiKey: string;
  readonly dataDir: string;
  readonly settings: LocalRuntimeSettings;
  readonly stores: LocalStores;
  /** The embedded log, or null when a Kafka cluster is configured (KAFKA_BROKERS or MSK_CLUSTER_ARN). */
  readonly stream: EmbeddedLog | null;
  readonly eventSource: EventSourceMapping | null;
  readonly simulator: SensorSimulator;
  /** Stops in order: HTTP, the simulator, the timers, the batch in flight (finished and committed), the stream, the stores. */
  stop(): Promise<void>;
}

const RECENT_GROUND_TRUTH = 500;
const CAUGHT_WITHIN_MS = 10 * 60_000;

interface AlertSpan {
  readonly alertId: string;
  readonly kind: string;
  readonly from: number;
  to: number;
}

/** What the runtime has seen: executor results, alerts opened, and the simulator's ground truth. */
class RuntimeMonitor {
  readonly totals = { records: 0, processed: 0, deadLetters: 0, critical: 0, alertsOpened: 0, batches: 0 };
  readonly freshness: number[] = [];
  readonly groundTruth: GroundTruth[] = [];
  readonly injectedByKind: Record<string, number> = {};
  malformedSent = 0;
  private readonly alertSpans = new Map<string, AlertSpan[]>();
  private readonly seenAlerts = new Set<string>();

  batch(result: IngestResult, now: number): void {
    for (const k of ['records', 'processed', 'deadLetters', 'critical', 'alertsOpened'] as const) this.totals[k] += result[k];
    this.totals.batches++;
    if (result.newestEventTs !== null) {
      this.freshness.push(Math.max(0, now - result.newestEventTs));
      if (this.freshness.length > 1000) this.freshness.shift();
    }
  }

  alerts(changes: readonly AlertChange[]): void {
    for (const c of changes) {
      const sensorId = c.type === 'opened' ? c.alert.sensor_id : c.sensorId;
      const spans = this.alertSpans.get(sensorId) ?? [];
      this.alertSpans.set(sensorId, spans);
      if (c.type === 'opened') {
        if (this.seenAlerts.has(c.alert.alert_id)) continue;
        this.seenAlerts.add(c.alert.alert_id);
        spans.push({ alertId: c.alert.alert_id, kind: c.alert.kind, from: c.alert.reading.ts, to: Infinity });
      } else {
        const span = spans.find((s) => s.alertId === c.alertId);
        if (span) span.to = c.closedAt;
      }
    }
  }

  injected(gt: GroundTruth): void {
    this.injectedByKind[gt.kind] = (this.injectedByKind[gt.kind] ?? 0) + 1;
    this.groundTruth.push(gt);
    if (this.groundTruth.length > RECENT_GROUND_TRUTH) this.groundTruth.shift();
  }

  /** Recent injected trouble, each with the alert that caught it (open within 10 minutes of it), if any. */
  caught(): { ground_truth: GroundTruth; caught_by: string | null }[] {
    return this.groundTruth.map((gt) => {
      const span = (this.alertSpans.get(gt.sensor_id) ?? []).find((s) => s.from <= gt.ts + CAUGHT_WITHIN_MS && s.to >= gt.ts - CAUGHT_WITHIN_MS);
      return { ground_truth: gt, caught_by: span ? span.alertId : null };
    });
  }
}

function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function loadOrCreateApiKey(dataDir: string): Promise<string> {
  const path = join(dataDir, 'api-key');
  try {
    const key = (await readFile(path, 'utf8')).trim();
    if (key.length >= 32) return key;
  } catch {
    // first start
  }
  const key = randomBytes(24).toString('base64url');
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  return key;
}

/** One runtime per data directory: a second would append to the same log and fight over DynamoDB Local's files. */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, 'runtime.pid');
  const other = Number(await readFile(path, 'utf8').catch(() => ''));
  if (Number.isInteger(other) && other > 0 && other !== process.pid) {
    let running = true;
    try {
      process.kill(other, 0);
    } catch {
      running = false;
    }
    if (running) throw new DataDirInUseError(`${dataDir} is in use by Tideline process ${other}: stop it, or set TIDELINE_DATA_DIR to another directory`);
  }
  await writeFile(path, String(process.pid));
  return () => rm(path, { force: true });
}

/**
 * Tideline on one machine: the same handlers as on AWS, wired to local stand-ins. DynamoDB Local
 * and the lake under the data directory; the embedded log in place of MSK, delivering MSK-shaped
 * batches to the executor handler; the HTTP API, dashboard and `/health` on 127.0.0.1; and the
 * sensor simulator. On first start it backfills simulated history so judgments mean something at once.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const env = options.env ?? process.env;
  const settings = runtimeSettingsFrom(env, options.settings);
  const say = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dataDir = dataDirFrom(env);
  await mkdir(dataDir, { recursive: true });
  await ensurePortFree(settings.port, 'TIDELINE_PORT');
  const unlock = await lockDataDir(dataDir);
  const cleanups: (() => Promise<void>)[] = [unlock];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };

  const monitor = new RuntimeMonitor();
  try {
    const stores = await startLocalStores(env);
    cleanups.push(() => stores.stop());
    const apiKey = await loadOrCreateApiKey(dataDir);
    const topics = [stores.config.topics.readings, stores.config.topics.deviceStatus];
    // A real cluster when one is configured (issue 9's kafkajs adapters); otherwise the embedded log.
    const kafka = env.KAFKA_BROKERS || env.MSK_CLUSTER_ARN ? loadKafkaSettings(env) : null;
    const stream = kafka ? null : await EmbeddedLog.open(join(dataDir, 'stream'), { partitions: settings.partitions });
    if (stream) {
      cleanups.push(() => stream.close());
      for (const t of topics) await stream.partitions(t);
    }
    // The functions' own configuration, as their handlers would read it on Lambda, pointed at the local stand-ins.
    const functionEnv = { ...env, DYNAMODB_ENDPOINT: stores.dynamodb.endpoint, LAKE_DIR: stores.config.lakeDir, TIDELINE_API_KEY: apiKey };
    const logLevel = (env.POWERTOOLS_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN';

    // EventBridge's stand-in below runs these on timers; the backfill runs the refresh once itself.
    const refreshConfig = loadRefreshConfig(functionEnv);
    const refresh = makeRefreshHandler({ ports: refreshPortsFrom(refreshConfig), reflectionTtlMs: refreshConfig.reflectionTtlMs, logger: new Logger({ serviceName: 'tideline-refresh', logLevel }) });
    const compaction = makeCompactionHandler({
      lake: lakeFrom(refreshConfig),
      graceMs: refreshConfig.compactionGraceMs,
      lookbackHours: refreshConfig.compactionLookbackHours,
      logger: new Logger({ serviceName: 'tideline-compaction', logLevel }),
    });

    const simulator = new SensorSimulator({ sensors: settings.sensors, seed: settings.seed, anomalyRate: settings.anomalyRate });
    if (settings.backfillDays > 0 && settings.sensors > 0 && !(await stores.ports.reflections.currentPointer())) {
      say(`first start: backfilling ${settings.backfillDays} simulated days of history for ${settings.sensors} sensors into the lake, then refreshing the reflections`);
      const bar = progressBar('history', (s) => process.stderr.write(s), options.tty ?? Boolean(process.stderr.isTTY));
      const until = Date.now();
      await backfillHistory({ simulator, lake: stores.ports.lake, refresh: () => refresh(scheduledEvent(until)), until, days: settings.backfillDays, progress: bar });
    }

    // The executor handler, exactly as on Lambda, with the alert port observed for "what was caught".
    const ports: IngestPorts = {
      ...stores.ports,
      alerts: {
        apply: async (changes) => {
          await stores.ports.alerts.apply(changes);
          monitor.alerts(changes);
        },
      },
    };
    const executor = makeExecutorHandler({ ports, config: stores.config, logger: new Logger({ serviceName: 'tideline-executor', logLevel }) });
    const onBatch = (result: unknown) => monitor.batch(result as IngestResult, Date.now());
    let eventSource: EventSourceMapping | null = null;
    let backend: StreamBackend;
    if (stream) {
      const mapping = new EventSourceMapping(
        {
          log: stream,
          topics,
          batchSize: settings.batchSize,
          batchingWindowMs: settings.batchingWindowMs,
          onError: (e, attempt) => say(`executor batch failed (attempt ${attempt}, will retry): ${(e as Error).message}`),
          onBatch: ({ result }) => onBatch(result),
        },
        executor,
      );
      await mapping.start();
      cleanups.push(() => mapping.stop());
      eventSource = mapping;
      backend = embeddedBackend(stream, mapping);
    } else {
      const settingsKafka = kafka!;
      const consumer = await startKafkaEventConsumer({
        settings: settingsKafka,
        topics,
        maxRecords: settings.batchSize,
        handler: async (event) => {
          const result = await executor(event);
          onBatch(result);
          return result;
        },
        onCrash: (e) => say(`Kafka consumer stopped: ${e.message}`),
      });
      cleanups.push(() => consumer.stop());
      const producer = settings.sensors > 0 && settings.rate > 0 ? await ReadingProducer.connect({ settings: settingsKafka, topic: stores.config.topics.readings }) : null;
      if (producer) cleanups.push(() => producer.close());
      backend = kafkaBackend(consumer, producer);
    }

    // EventBridge's stand-in: the refresh and compaction handlers on timers, one run at a time.
    cleanups.push(schedule('refresh', settings.refreshIntervalS, () => refresh(scheduledEvent(Date.now())), say));
    cleanups.push(schedule('compaction', settings.compactionIntervalS, () => compaction(scheduledEvent(Date.now())), say));

    const groundTruthFile = join(dataDir, 'ground-truth.ndjson');
    cleanups.push(
      runSimulator(simulator, settings, backend, stores.config.topics.readings, monitor, groundTruthFile, (e) => say(`simulator: ${(e as Error).message}`)),
    );

    // API Gateway's stand-in in front of the coordinator's core, with the local-only routes beside
    // it (produce, status, ground truth) and the dashboard as static pages. The core is served
    // directly, not through the API Gateway adapter: binary answers (Arrow) go to the socket as
    // bytes instead of through base64 and back.
    const queryConfig = loadQueryConfig(functionEnv);
    const coordinator = createCoordinatorApp({ ports: coordinatorPortsFrom(stores.config, queryConfig, stores.dynamo, stores.ports.lake), config: queryConfig, criticalZ: stores.config.judgment.criticalZ });
    // Runs after the server closes (cleanups run last first): the last answers' query-log entries are written before the stores stop.
    cleanups.push(() => coordinator.flush());
    const local = localRoutes({ apiKey, topics, backend, monitor, simulator, settings, stores });
    const server = await startApiServer({
      port: settings.port,
      app: { handle: async (req) => (await local(req)) ?? coordinator.handle(req) },
      staticRoutes: await dashboardRoutes(),
    });
    cleanups.push(() => server.close());
    return { url: server.url, apiKey, dataDir, settings, stores, stream, eventSource, simulator, stop: cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** Runs `task` every `intervalS` seconds (never two at once); returns the stop function, which waits for a run in progress. */
function schedule(name: string, intervalS: number, task: () => Promise<unknown>, say: (line: string) => void): () => Promise<void> {
  if (intervalS <= 0) return async () => undefined;
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = task()
      .catch((e: unknown) => say(`${name} failed (next run in ${intervalS} s): ${(e as Error).message}`))
      .finally(() => (running = null));
  }, intervalS * 1000);
  return async () => {
    clearInterval(timer);
    await running;
  };
}

type LocalHandler = (req: ApiRequest) => Promise<ApiResponse | null>;

function json(status: number, body: unknown): ApiResponse {
  return { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body) };
}

function problem(status: number, type: string, message: string): ApiResponse {
  // The coordinator's error shape, so clients handle one.
  return json(status, { error: { type, message } });
}

/**
 * Routes only the local runtime has: produce to the embedded stream (the Kafka REST proxy's
 * shape), the stream's and simulator's status, and the ground truth of injected trouble with
 * what caught it. Null: not a local route (the coordinator answers).
 */
function localRoutes(deps: {
  apiKey: string;
  topics: string[];
  backend: StreamBackend;
  monitor: RuntimeMonitor;
  simulator: SensorSimulator;
  settings: LocalRuntimeSettings;
  stores: LocalStores;
}): LocalHandler {
  const keyDigest = createHash('sha256').update(deps.apiKey).digest();
  return async (req) => {
    const { path, method } = req;
    const produce = /^\/topics\/([^/]+)$/.exec(path);
    if (!produce && !path.startsWith('/local/')) return null;
    const given = req.headers['x-api-key'];
    if (given === undefined || !timingSafeEqual(createHash('sha256').update(given).digest(), keyDigest)) {
      return problem(401, 'Unauthorized', 'send the API key in the x-api-key header (printed when the local runtime starts, kept in its data directory)');
    }
    if (produce) {
      if (method !== 'POST') return problem(405, 'MethodNotAllowed', `use POST to produce to ${path}`);
      const topic = decodeURIComponent(produce[1]);
      if (!deps.topics.includes(topic)) return problem(404, 'NotFound', `topic "${topic}" is not one Tideline reads: use ${deps.topics.join(' or ')}`);
      const parsed = parseProduceBody(req.body ?? '');
      if (typeof parsed === 'string') return problem(400, 'BadRequest', parsed);
      if (!deps.backend.produce) return problem(409, 'Conflict', 'this runtime reads from a Kafka cluster (KAFKA_BROKERS / MSK_CLUSTER_ARN): produce to its topic there');
      const positions = await deps.backend.produce(topic, parsed);
      return json(200, { offsets: positions.map((p) => ({ partition: p.partition, offset: p.offset })) });
    }
    if (method !== 'GET') return problem(405, 'MethodNotAllowed', `use GET on ${path}`);
    if (path === '/local/status') {
      const { monitor, settings } = deps;
      return json(200, {
        stream: await deps.backend.status(),
        executor: monitor.totals,
        freshness_ms: { p50: percentile(monitor.freshness, 50), p95: percentile(monitor.freshness, 95), samples: monitor.freshness.length },
        simulator: {
          sensors: settings.sensors,
          sensor_ids: deps.simulator.sensorIds.slice(0, 1000),
          rate: settings.rate,
          injected: monitor.injectedByKind,
          malformed_sent: monitor.malformedSent,
          misbehaving: deps.simulator.misbehaving,
        },
        reflection: await deps.stores.ports.reflections.currentPointer(),
      });
    }
    if (path === '/local/ground-truth') {
      const caught = deps.monitor.caught();
      return json(200, { injected: caught.length, caught: caught.filter((c) => c.caught_by).length, recent: caught.slice(-100).reverse() });
    }
    return problem(404, 'NotFound', `no local route ${method} ${path}; local routes are POST /topics/{topic}, GET /local/status, GET /local/ground-truth`);
  };
}

/**
 * Parses a produce body, `{"records": [{"key": "…", "value": {…} | "raw text"}]}` (the Kafka REST
 * proxy's shape), or returns what is wrong with it.
 */
export function parseProduceBody(body: string): RecordToProduce[] | string {
  const example = '{"records": [{"key": "sensor-1", "value": {"sensor_id": "sensor-1", "ts": "2026-01-01T00:00:00Z", "temperature": 20}}]}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `the body must be JSON: ${example}`;
  }
  const records = (parsed as { records?: unknown } | null)?.records;
  if (!Array.isArray(records)) return `the body must have a "records" array: ${example}`;
  if (records.length > 10_000) return `at most 10000 records per request, got ${records.length}: split the request`;
  const out: RecordToProduce[] = [];
  for (let i = 0; i < records.length; i++) {
    const r: unknown = records[i];
    if (typeof r !== 'object' || r === null) return `records[${i}] must be an object with "key" and "value"`;
    const { key, value } = r as { key?: unknown; value?: unknown };
    if (key !== undefined && key !== null && typeof key !== 'string') return `records[${i}].key must be a string or null, got ${typeof key}`;
    // A string value is sent as it is (so malformed records can be produced on purpose); anything else as JSON.
    const text = value === undefined || value === null ? null : typeof value === 'string' ? value : JSON.stringify(value);
    out.push({ key: (key as string | null | undefined) ?? null, value: text });
  }
  return out;
}

/** Where the runtime's records go and how far the consumer is: the embedded log, or a Kafka cluster. */
interface StreamBackend {
  /** Appends records and resolves with their positions once durable; absent when records go to Kafka. */
  readonly produce?: (topic: string, records: readonly RecordToProduce[]) => Promise<RecordPosition[]>;
  /** The simulator's sink: raw records for the embedded log, readings for a Kafka producer. */
  send(topic: string, records: readonly RecordToProduce[], readings: readonly Reading[]): Promise<void>;
  status(): Promise<Record<string, unknown>>;
}

function embeddedBackend(stream: EmbeddedLog, mapping: EventSourceMapping): StreamBackend {
  return {
    produce: (topic, records) => stream.produce(topic, records),
    send: async (topic, records) => void (await stream.produce(topic, records)),
    async status() {
      const lag = await mapping.lag();
      return { kind: 'embedded', partitions: lag, lag: lag.reduce((s, p) => s + p.lag, 0), delivered: mapping.delivered, batches: mapping.batches };
    },
  };
}

function kafkaBackend(consumer: { brokers: readonly string[]; delivered(): number }, producer: ReadingProducer | null): StreamBackend {
  return {
    // ReadingProducer sends readings (malformed simulated records stay local: Kafka gets well-formed ones).
    async send(_topic, _records, readings) {
      if (!producer) return;
      for (const r of readings) await producer.send(r);
      await producer.flush();
    },
    async status() {
      return { kind: 'kafka', brokers: consumer.brokers, delivered: consumer.delivered(), lag: null };
    },
  };
}

/** Produces simulated readings at `rate` per second until stopped; returns the stop function. */
function runSimulator(
  simulator: SensorSimulator,
  settings: LocalRuntimeSettings,
  backend: StreamBackend,
  topic: string,
  monitor: RuntimeMonitor,
  groundTruthFile: string,
  onError: (e: unknown) => void,
): () => Promise<void> {
  if (settings.sensors === 0 || settings.rate === 0) return async () => undefined;
  const started = Date.now();
  simulator.goLive(started);
  let running = true;
  let produced = 0;
  let cursor = 0;
  let rand = settings.seed >>> 0;
  const chance = () => ((rand = (Math.imul(rand, 1664525) + 1013904223) >>> 0) / 4294967296);
  const loop = (async () => {
    while (running) {
      const now = Date.now();
      const due = Math.floor(((now - started) / 1000) * settings.rate) - produced;
      const count = Math.min(due, 20_000);
      if (count > 0) {
        const records: RecordToProduce[] = [];
        const readings: Reading[] = [];
        const truths: GroundTruth[] = [];
        for (let k = 0; k < count; k++) {
          // Each reading at the moment it was due, so a late tick does not stack one sensor's readings on one instant.
          const at = Math.min(now, Math.round(started + ((produced + k + 1) * 1000) / settings.rate));
          const i = cursor++ % simulator.sensorIds.length;
          const id = simulator.sensorIds[i];
          if (chance() < settings.malformedRate) {
            records.push({ key: id, value: simulator.malformed(i), timestamp: at });
            monitor.malformedSent++;
            continue;
          }
          const { reading, injected } = simulator.reading(i, at);
          if (injected) truths.push(injected);
          readings.push(reading);
          records.push({ key: id, value: JSON.stringify({ ...reading, ts: new Date(reading.ts).toISOString() }), timestamp: at });
        }
        produced += count;
        try {
          await backend.send(topic, records, readings);
          for (const t of truths) monitor.injected(t);
          if (truths.length > 0) await appendFile(groundTruthFile, truths.map((t) => JSON.stringify(t)).join('\n') + '\n');
        } catch (e) {
          onError(e);
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}
