import { TidelineError } from '../errors.js';
import type { BrokerPrice, PriceTable } from './prices.js';

/** The most records an MSK event source mapping delivers in one batch. */
const ESM_MAX_BATCH = 10_000;
/** Lambda's invocation payload limit, which also bounds an MSK batch. */
const ESM_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** MaximumBatchingWindowInSeconds for Kafka sources is whole seconds, 0–300. */
const ESM_MAX_WINDOW_S = 300;
/** Brokers are spread over three Availability Zones, so counts are multiples of three. */
const AZS = 3;

/** What the user's fleet sends and what they need; each field is a `tideline plan` option. */
export interface Workload {
  /** --sensors */
  readonly sensors: number;
  /** --hz: readings per second per sensor. */
  readonly hz: number;
  /** --record-bytes: one reading on the wire (JSON value + key). */
  readonly recordBytes: number;
  /** --freshness-s: longest acceptable time from a reading's arrival in Kafka to its judgment in the lake. @default 30 (the use case's "< 30 second latency") */
  readonly freshnessS: number;
  /** --refresh-minutes: how often the refresh rebuilds reflections. @default 60 */
  readonly refreshMinutes: number;
  /** --kafka-retention-hours. @default 24 */
  readonly kafkaRetentionHours: number;
  /** --lake-retention-days. @default 90 (the longest reflection window) */
  readonly lakeRetentionDays: number;
  /** --replication. @default 3 */
  readonly replicationFactor: number;
  /** --executor-memory-mb. @default 1769 (one full vCPU) */
  readonly executorMemoryMb: number;
  /** --max-concurrency: executors the account may run at once (one per partition). @default 1000 (Lambda's default regional quota) */
  readonly maxConcurrency: number;
}

export const DEFAULT_WORKLOAD: Omit<Workload, 'sensors' | 'hz' | 'recordBytes'> = {
  freshnessS: 30,
  refreshMinutes: 60,
  kafkaRetentionHours: 24,
  lakeRetentionDays: 90,
  replicationFactor: 3,
  executorMemoryMb: 1769,
  maxConcurrency: 1000,
};

/** A number the plan rests on, with where it came from (a benchmark figure, an option, or a documented default). */
export interface Assumption {
  readonly value: number;
  readonly unit: string;
  readonly source: string;
}

export type AssumptionName =
  | 'executor_readings_per_s'
  | 'batch_overhead_s'
  | 'parquet_bytes_per_reading'
  | 'refresh_column_fraction'
  | 'window_item_kb'
  | 'summary_item_kb'
  | 'reflection_item_kb'
  | 'reflection_change_kb'
  | 'alert_item_kb'
  | 'alert_rate'
  | 'dead_letter_rate'
  | 'target_utilisation'
  | 'dynamodb_target_utilisation'
  | 'refresh_function_s';

export type Assumptions = Readonly<Record<AssumptionName, Assumption>>;

const MEASURED = 'measured 2026-11-25 on a 2-core machine: executor against DynamoDB Local, 10,000-record batches of 1,000 simulated sensors';
const ITEMS = 'item sizes measured 2026-11-25 in DynamoDB Local after ingesting simulated sensors with 90 days of history';

/** A pack of reflection changes, gzipped: about one read unit (DynamoReflectionStore). */
const PACK_KB = 3.2;

/** The documented defaults, used where no benchmark figure is given. */
export const DEFAULT_ASSUMPTIONS: Assumptions = {
  executor_readings_per_s: { value: 2855, unit: 'readings/s per executor', source: `default, ${MEASURED}` },
  batch_overhead_s: { value: 0.2, unit: 's per batch', source: 'default: a batch\'s fixed DynamoDB round trips (mark, pointer, pending files)' },
  parquet_bytes_per_reading: { value: 132, unit: 'B', source: `default, ${MEASURED} (ZSTD, every enriched column)` },
  refresh_column_fraction: { value: 0.35, unit: 'of Parquet bytes', source: 'default: the refresh reads the six reading columns of the enriched rows' },
  window_item_kb: { value: 2.4, unit: 'KB', source: `default, ${ITEMS}: a sensor window stored with the version it came from` },
  summary_item_kb: { value: 0.25, unit: 'KB', source: `default, ${ITEMS}: one minute summary` },
  reflection_item_kb: { value: 5.5, unit: 'KB', source: `default, ${ITEMS}: hour-of-day, hour-of-week and 90-day profile of one sensor, gzipped JSON (16.5 KB as JSON)` },
  reflection_change_kb: { value: 0.32, unit: 'KB', source: 'default, measured 2026-12-04 in DynamoDB Local: one sensor\'s changes after one new hour, in packs of about ten sensors (3.2 KB gzipped each)' },
  alert_item_kb: { value: 1, unit: 'KB', source: `default, ${ITEMS}: an alert with its context` },
  alert_rate: { value: 0.001, unit: 'alerts per reading', source: 'default' },
  dead_letter_rate: { value: 0.0001, unit: 'per reading', source: 'default' },
  target_utilisation: { value: 0.8, unit: 'busy fraction per partition', source: 'default: the use case\'s 80 % utilisation target' },
  dynamodb_target_utilisation: { value: 0.7, unit: 'of provisioned units', source: 'default: DynamoDB auto scaling\'s usual target' },
  refresh_function_s: { value: 60, unit: 's per refresh', source: 'default: the refresh waits on its Athena query' },
};

/**
 * Benchmark figure names (from `npm run bench -- --json`) that replace a default. Throughput must
 * be end to end (decode, judge, Parquet and DynamoDB writes): `executor.readings_per_s` times
 * judgment in memory only, so it is not used here.
 */
export const BENCH_FIGURES: Readonly<Record<string, { readonly assumption: AssumptionName; readonly scale: number }>> = {
  'ingest.readings_per_s': { assumption: 'executor_readings_per_s', scale: 1 },
  'ingest.batch_overhead_ms': { assumption: 'batch_overhead_s', scale: 0.001 },
  'lake.parquet_bytes_per_reading': { assumption: 'parquet_bytes_per_reading', scale: 1 },
};

/** A plan input that cannot be planned for; `option` names the command-line option to change. */
export class PlanInputError extends TidelineError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
  }
}

/** One JSON line of `npm run bench -- --json`. */
export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  readonly unit?: string;
}

/**
 * Replaces defaults by the benchmark figures that measure them; figures the plan does not use
 * are ignored. Returns the assumptions and the names of the figures used.
 */
export function assumptionsFromBench(figures: readonly BenchFigure[], base: Assumptions = DEFAULT_ASSUMPTIONS, file = 'bench'): { assumptions: Assumptions; used: string[] } {
  const out: Record<AssumptionName, Assumption> = { ...base };
  const used: string[] = [];
  for (const f of figures) {
    const target = BENCH_FIGURES[f.name];
    if (!target || !Number.isFinite(f.value) || f.value <= 0) continue;
    out[target.assumption] = { value: f.value * target.scale, unit: base[target.assumption].unit, source: `measured: ${f.name} = ${f.value}${f.unit ? ` ${f.unit}` : ''} (${file})` };
    used.push(f.name);
  }
  return { assumptions: out, used };
}

export interface DynamoDbPlan {
  readonly mode: 'provisioned' | 'on-demand';
  /** Average write and read units per second the pipeline uses. */
  readonly writes_per_s: number;
  readonly reads_per_s: number;
  /** Provisioned capacity at the target utilisation. */
  readonly wcu: number;
  readonly rcu: number;
  readonly storage_gb: number;
  readonly by_table: Readonly<Record<string, { readonly writes_per_s: number; readonly reads_per_s: number }>>;
}

/** The deployment a workload needs; keys are snake_case so `--json` prints them as they are. */
export interface DeploymentPlan {
  readonly readings_per_s: number;
  readonly ingress_mb_s: number;
  readonly gb_per_hour: number;
  readonly partitions: number;
  readonly brokers: { readonly type: string; readonly count: number; readonly partitions_per_broker: number };
  /** Event source mapping BatchSize and MaximumBatchingWindowInSeconds. */
  readonly batch_size: number;
  readonly batching_window_s: number;
  /** Seconds between batches on a partition (the window, or less when the batch fills first). */
  readonly batch_interval_s: number;
  readonly batch_processing_s: number;
  /** Maximum executor concurrency: one per partition (Lambda's ceiling for Kafka sources). */
  readonly concurrency: number;
  /** Executors busy on average, by Little's law: arrival rate × time in the executor per reading. */
  readonly busy_concurrency: number;
  readonly utilisation: number;
  readonly freshness_s: { readonly p50: number; readonly max: number; readonly reflections_max_minutes: number };
  readonly dynamodb: DynamoDbPlan;
  readonly s3_objects_per_hour: number;
  readonly parquet_bytes_per_day: number;
  readonly lake_bytes: number;
  readonly athena_bytes_per_refresh: number;
  readonly monthly_cost: number;
  readonly monthly_cost_by_service: Readonly<Record<string, number>>;
  readonly currency: string;
  readonly prices: { readonly source: string; readonly date: string; readonly region: string };
  readonly assumptions: Assumptions;
}

function check(option: string, value: number, rule: { min?: number; max?: number; integer?: boolean }): void {
  if (!Number.isFinite(value)) throw new PlanInputError(option, `must be a number, got ${value}`);
  if (rule.integer && !Number.isInteger(value)) throw new PlanInputError(option, `must be a whole number, got ${value}`);
  if (rule.min !== undefined && value < rule.min) throw new PlanInputError(option, `must be ≥ ${rule.min}, got ${value}`);
  if (rule.max !== undefined && value > rule.max) throw new PlanInputError(option, `must be ≤ ${rule.max}, got ${value}`);
}

function validateWorkload(w: Workload): void {
  check('--sensors', w.sensors, { min: 1, integer: true });
  check('--hz', w.hz, { min: 1e-6 });
  check('--record-bytes', w.recordBytes, { min: 16, max: 1_000_000 });
  check('--freshness-s', w.freshnessS, { min: 1 });
  check('--refresh-minutes', w.refreshMinutes, { min: 1 });
  check('--kafka-retention-hours', w.kafkaRetentionHours, { min: 1 });
  check('--lake-retention-days', w.lakeRetentionDays, { min: 1 });
  check('--replication', w.replicationFactor, { min: 1, max: 3, integer: true });
  check('--executor-memory-mb', w.executorMemoryMb, { min: 128, max: 10240, integer: true });
  check('--max-concurrency', w.maxConcurrency, { min: AZS, integer: true });
}

const roundUpTo = (n: number, multiple: number) => Math.ceil(n / multiple) * multiple;
const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

interface PartitionShape {
  partitions: number;
  windowS: number;
  batchSize: number;
  intervalS: number;
  processingS: number;
  utilisation: number;
}

/**
 * The batching on one partition with `partitions` partitions, sized so a reading is judged
 * within the freshness target: a batch collects for W seconds and takes o + B/μ to process, so
 * the oldest reading in it waits W + o + λₚW/μ; W is the largest whole number of seconds that
 * keeps this within the target (Little's law: B = λₚ·W readings are in the window).
 */
function partitionShape(partitions: number, lambda: number, w: Workload, a: Assumptions, maxBatch: number): PartitionShape | null {
  const lp = lambda / partitions;
  const mu = a.executor_readings_per_s.value;
  const o = a.batch_overhead_s.value;
  const ideal = (w.freshnessS - o) / (1 + lp / mu);
  const windowS = Math.min(ESM_MAX_WINDOW_S, Math.floor(ideal));
  if (windowS < 1) return null;
  const batchSize = Math.max(1, Math.min(maxBatch, Math.ceil(lp * windowS)));
  const intervalS = Math.min(windowS, batchSize / lp);
  const processingS = o + batchSize / mu;
  return { partitions, windowS, batchSize, intervalS, processingS, utilisation: processingS / intervalS };
}

function chooseBrokers(partitions: number, ingressMbS: number, w: Workload, prices: PriceTable): { broker: BrokerPrice; count: number } {
  let best: { broker: BrokerPrice; count: number; cost: number } | null = null;
  for (const broker of prices.msk.brokers) {
    const count = Math.max(
      AZS,
      roundUpTo(ingressMbS / broker.ingress_mb_s, AZS),
      roundUpTo((partitions * w.replicationFactor) / broker.max_partitions, AZS),
    );
    const cost = count * broker.hourly;
    if (!best || cost < best.cost) best = { broker, count, cost };
  }
  return best as { broker: BrokerPrice; count: number };
}

/**
 * Turns a workload into a deployment plan: MSK partitions and brokers, the event source
 * mapping's batch size and window, executor concurrency, DynamoDB units, S3 objects and bytes,
 * Athena bytes per refresh, expected freshness, and the monthly cost at `prices`.
 *
 * @example
 * const plan = planDeployment({ ...DEFAULT_WORKLOAD, sensors: 100_000, hz: 1, recordBytes: 120 }, DEFAULT_ASSUMPTIONS, prices);
 * plan.partitions; plan.batch_size; plan.monthly_cost;
 */
export function planDeployment(workload: Workload, assumptions: Assumptions, prices: PriceTable): DeploymentPlan {
  validateWorkload(workload);
  const w = workload;
  const a = assumptions;
  const lambda = w.sensors * w.hz;
  const ingressMbS = (lambda * w.recordBytes) / 1e6;
  const mu = a.executor_readings_per_s.value;
  const target = a.target_utilisation.value;
  if (w.freshnessS - a.batch_overhead_s.value < 1) {
    throw new PlanInputError('--freshness-s', `${w.freshnessS} s leaves no room for a 1 s batching window after ${a.batch_overhead_s.value} s of batch overhead`);
  }
  // Base64 grows a record by 4/3; ~200 bytes of envelope per record in the event.
  const maxBatch = Math.min(ESM_MAX_BATCH, Math.floor(ESM_MAX_PAYLOAD_BYTES / ((w.recordBytes * 4) / 3 + 200)));

  // Fewer partitions mean fewer brokers; more partitions mean longer batch intervals, so each
  // sensor's window and minute summary are rewritten less often. Take the cheapest feasible count.
  const start = roundUpTo(Math.max(AZS, Math.ceil(lambda / (target * mu))), AZS);
  let best: DeploymentPlan | null = null;
  for (let p = start, tried = 0; p <= w.maxConcurrency && tried < 2000; p += AZS) {
    const shape = partitionShape(p, lambda, w, a, maxBatch);
    if (!shape || shape.utilisation > target) continue;
    tried++;
    const plan = planForShape(shape, lambda, ingressMbS, w, a, prices);
    if (!best || plan.monthly_cost < best.monthly_cost) best = plan;
  }
  if (!best) {
    throw new PlanInputError(
      '--freshness-s',
      `no partition count up to --max-concurrency ${w.maxConcurrency} keeps executors under ${target * 100} % busy within ${w.freshnessS} s; raise --freshness-s or --max-concurrency`,
    );
  }
  return best;
}

function planForShape(shape: PartitionShape, lambda: number, ingressMbS: number, w: Workload, a: Assumptions, prices: PriceTable): DeploymentPlan {
  const P = shape.partitions;
  const T = shape.intervalS;
  const { broker, count: brokerCount } = chooseBrokers(P, ingressMbS, w, prices);
  const secondsPerMonth = prices.hours_per_month * 3600;

  // DynamoDB: per batch, each sensor present in it gets its window and minute summary rewritten.
  const batchesPerS = P / T;
  const sensorsPerBatch = (w.sensors / P) * (1 - Math.exp(-w.hz * T));
  const kb = (x: number) => Math.ceil(x);
  const rkb = (x: number) => Math.ceil(x / 4);
  const refreshS = w.refreshMinutes * 60;
  /** Of a sensor's reflection writes, those whole: one a day (DynamoReflectionStore's baseSpanMs). */
  const wholeShare = Math.min(1, w.refreshMinutes / 1440);
  const byTable = {
    state: {
      writes_per_s: batchesPerS * (sensorsPerBatch * kb(a.window_item_kb.value) + 2),
      reads_per_s: batchesPerS * (sensorsPerBatch * rkb(a.window_item_kb.value) + 1),
    },
    minuteSummaries: {
      writes_per_s: batchesPerS * sensorsPerBatch * (1 + T / 60) * kb(a.summary_item_kb.value),
      reads_per_s: batchesPerS * sensorsPerBatch * (1 + T / 60) * rkb(a.summary_item_kb.value),
    },
    alerts: { writes_per_s: lambda * a.alert_rate.value * kb(a.alert_item_kb.value), reads_per_s: 0 },
    deadLetters: { writes_per_s: lambda * a.dead_letter_rate.value, reads_per_s: 0 },
    // A sensor's reflection is written whole once a day (the base its later versions are written
    // against) and otherwise as its changes, packed with other sensors'; a reader reads its pack
    // and its base.
    reflections: {
      writes_per_s: (w.sensors * (wholeShare * kb(a.reflection_item_kb.value) + (1 - wholeShare) * (kb(PACK_KB) * a.reflection_change_kb.value) / PACK_KB)) / refreshS,
      reads_per_s: (w.sensors * (rkb(a.reflection_item_kb.value) + (1 - wholeShare) * (rkb(PACK_KB) * a.reflection_change_kb.value) / PACK_KB)) / refreshS,
    },
  };
  const writes = Object.values(byTable).reduce((n, t) => n + t.writes_per_s, 0);
  const reads = Object.values(byTable).reduce((n, t) => n + t.reads_per_s, 0);
  const util = a.dynamodb_target_utilisation.value;
  const wcu = Math.max(1, Math.ceil(writes / util));
  const rcu = Math.max(1, Math.ceil(reads / util));
  const dynamoStorageGb =
    (w.sensors * 1440 * 7 * 1.05 * a.summary_item_kb.value + w.sensors * 2 * a.reflection_item_kb.value + w.sensors * a.window_item_kb.value) / 1e6;
  const provisionedCost = (wcu * prices.dynamodb.provisioned_wcu_hour + rcu * prices.dynamodb.provisioned_rcu_hour) * prices.hours_per_month;
  const onDemandCost = ((writes * secondsPerMonth) / 1e6) * prices.dynamodb.on_demand_per_million_writes + ((reads * secondsPerMonth) / 1e6) * prices.dynamodb.on_demand_per_million_reads;
  const dynamoMode = provisionedCost <= onDemandCost ? 'provisioned' : 'on-demand';

  // S3: one Parquet object per batch and event hour (a batch spanning an hour boundary writes two).
  const objectsPerHour = batchesPerS * 3600 * (1 + T / 3600);
  const parquetPerDay = lambda * 86_400 * a.parquet_bytes_per_reading.value;
  const lakeBytes = parquetPerDay * w.lakeRetentionDays;
  // Athena: an incremental refresh reads only the partitions that arrived since the last one.
  const athenaPerRefresh = Math.max(prices.athena.min_bytes_per_query, lambda * refreshS * a.parquet_bytes_per_reading.value * a.refresh_column_fraction.value);
  const refreshesPerMonth = secondsPerMonth / refreshS;

  const memoryGb = w.executorMemoryMb / 1024;
  const busy = lambda * (shape.processingS / shape.batchSize);
  const cost: Record<string, number> = {
    msk_brokers: brokerCount * broker.hourly * prices.hours_per_month,
    msk_storage: ((ingressMbS * 3600 * w.kafkaRetentionHours * w.replicationFactor) / 1000) * prices.msk.storage_gb_month,
    lambda_executor: busy * secondsPerMonth * memoryGb * prices.lambda.gb_second + ((batchesPerS * secondsPerMonth) / 1e6) * prices.lambda.per_million_requests,
    lambda_refresh: refreshesPerMonth * a.refresh_function_s.value * 1 * prices.lambda.gb_second,
    dynamodb: Math.min(provisionedCost, onDemandCost) + dynamoStorageGb * prices.dynamodb.storage_gb_month,
    s3_storage: (lakeBytes / 1e9) * prices.s3.storage_gb_month,
    s3_requests: ((objectsPerHour * prices.hours_per_month) / 1000) * prices.s3.per_thousand_puts + ((objectsPerHour * prices.hours_per_month) / 1000) * prices.s3.per_thousand_gets,
    athena: ((athenaPerRefresh * refreshesPerMonth) / 1e12) * prices.athena.per_tb_scanned,
  };
  const total = Object.values(cost).reduce((n, c) => n + c, 0);

  return {
    readings_per_s: round(lambda, 1),
    ingress_mb_s: round(ingressMbS, 2),
    gb_per_hour: round((ingressMbS * 3600) / 1000, 2),
    partitions: P,
    brokers: { type: broker.type, count: brokerCount, partitions_per_broker: Math.ceil((P * w.replicationFactor) / brokerCount) },
    batch_size: shape.batchSize,
    batching_window_s: shape.windowS,
    batch_interval_s: round(T, 2),
    batch_processing_s: round(shape.processingS, 2),
    concurrency: P,
    busy_concurrency: round(busy, 1),
    utilisation: round(shape.utilisation, 2),
    freshness_s: { p50: round(T / 2 + shape.processingS, 1), max: round(T + shape.processingS, 1), reflections_max_minutes: w.refreshMinutes },
    dynamodb: {
      mode: dynamoMode,
      writes_per_s: round(writes, 1),
      reads_per_s: round(reads, 1),
      wcu,
      rcu,
      storage_gb: round(dynamoStorageGb, 2),
      by_table: Object.fromEntries(Object.entries(byTable).map(([k, v]) => [k, { writes_per_s: round(v.writes_per_s, 1), reads_per_s: round(v.reads_per_s, 1) }])),
    },
    s3_objects_per_hour: Math.round(objectsPerHour),
    parquet_bytes_per_day: Math.round(parquetPerDay),
    lake_bytes: Math.round(lakeBytes),
    athena_bytes_per_refresh: Math.round(athenaPerRefresh),
    monthly_cost: round(total, 2),
    monthly_cost_by_service: Object.fromEntries(Object.entries(cost).map(([k, v]) => [k, round(v, 2)])),
    currency: prices.currency,
    prices: { source: prices.source, date: prices.date, region: prices.region },
    assumptions: a,
  };
}

/** The readings per second per sensor that make `gbPerHour` of `recordBytes`-byte readings. */
export function hzForVolume(gbPerHour: number, sensors: number, recordBytes: number): number {
  check('--gb-per-hour', gbPerHour, { min: 1e-6 });
  return (gbPerHour * 1e9) / 3600 / recordBytes / sensors;
}
