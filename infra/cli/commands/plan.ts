import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  assumptionsFromBench,
  BENCH_FIGURES,
  DEFAULT_ASSUMPTIONS,
  DEFAULT_WORKLOAD,
  hzForVolume,
  loadPriceTable,
  PlanInputError,
  planDeployment,
  PriceTableError,
  type BenchFigure,
  type DeploymentPlan,
  type Workload,
} from '../../../shared/capacity/index.js';
import { UsageError, type Command } from '../command.js';

const OPTIONS = {
  sensors: { type: 'string' },
  hz: { type: 'string' },
  'gb-per-hour': { type: 'string' },
  'record-bytes': { type: 'string', default: '120' },
  'freshness-s': { type: 'string', default: String(DEFAULT_WORKLOAD.freshnessS) },
  'refresh-minutes': { type: 'string', default: String(DEFAULT_WORKLOAD.refreshMinutes) },
  'kafka-retention-hours': { type: 'string', default: String(DEFAULT_WORKLOAD.kafkaRetentionHours) },
  'lake-retention-days': { type: 'string', default: String(DEFAULT_WORKLOAD.lakeRetentionDays) },
  replication: { type: 'string', default: String(DEFAULT_WORKLOAD.replicationFactor) },
  'executor-memory-mb': { type: 'string', default: String(DEFAULT_WORKLOAD.executorMemoryMb) },
  'max-concurrency': { type: 'string', default: String(DEFAULT_WORKLOAD.maxConcurrency) },
  bench: { type: 'string' },
  prices: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

const USAGE = `usage: tideline plan --sensors N (--hz R | --gb-per-hour G) [--record-bytes B] [--freshness-s S]
       [--refresh-minutes M] [--kafka-retention-hours H] [--lake-retention-days D] [--replication F]
       [--executor-memory-mb MB] [--max-concurrency C] [--bench FILE] [--prices FILE] [--json]

  --bench FILE   output of \`npm run bench -- --json\`; its ${Object.keys(BENCH_FIGURES).join(', ')} replace the defaults
  --prices FILE  an edited copy of shared/capacity/prices.json
`;

function num(values: Record<string, unknown>, name: string): number {
  const raw = values[name];
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${raw}"`);
  return n;
}

/** Reads `npm run bench -- --json` output: one JSON figure per line; other lines are skipped. */
async function readBench(file: string): Promise<BenchFigure[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--bench: cannot read "${file}": ${(e as Error).message}`);
  }
  const figures: BenchFigure[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    try {
      const f = JSON.parse(line) as Partial<BenchFigure>;
      if (typeof f.name === 'string' && typeof f.value === 'number') figures.push({ name: f.name, value: f.value, unit: f.unit });
    } catch {
      // Not a figure line (bench prints progress to stderr, but a copied log may mix them in).
    }
  }
  if (figures.length === 0) throw new UsageError(`--bench: "${file}" holds no figures; give the output of \`npm run bench -- --json\``);
  return figures;
}

const fmt = (n: number) => (Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : String(n));
function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${Number(n.toPrecision(3))} ${units[i]}`;
}

/** The plan as a person reads it. */
export function describePlan(p: DeploymentPlan, benchUsed: readonly string[]): string {
  const money = (n: number) => `${p.currency === 'USD' ? '$' : `${p.currency} `}${fmt(Math.round(n))}`;
  const lines = [
    `Workload        ${fmt(p.readings_per_s)} readings/s · ${p.ingress_mb_s} MB/s · ${p.gb_per_hour} GB/hour`,
    '',
    'MSK',
    `  partitions    ${p.partitions} (the cheapest count that keeps the freshness target; one executor each at most)`,
    `  brokers       ${p.brokers.count} × ${p.brokers.type} (${p.brokers.partitions_per_broker} partition replicas each)`,
    'Event source mapping',
    `  BatchSize     ${fmt(p.batch_size)}`,
    `  MaximumBatchingWindowInSeconds ${p.batching_window_s}`,
    `  a batch every ${p.batch_interval_s} s per partition, processed in ${p.batch_processing_s} s (${Math.round(p.utilisation * 100)} % busy)`,
    'Executor',
    `  concurrency   ${p.concurrency} at most, ${p.busy_concurrency} busy on average (Little's law: λ × time per reading)`,
    `  freshness     p50 ${p.freshness_s.p50} s, max ${p.freshness_s.max} s from Kafka to the lake; reflections at most ${p.freshness_s.reflections_max_minutes} min old`,
    `DynamoDB (${p.dynamodb.mode})`,
    `  write units   ${fmt(p.dynamodb.writes_per_s)}/s → ${fmt(p.dynamodb.wcu)} WCU provisioned`,
    `  read units    ${fmt(p.dynamodb.reads_per_s)}/s → ${fmt(p.dynamodb.rcu)} RCU provisioned`,
    ...Object.entries(p.dynamodb.by_table).map(([t, v]) => `    ${t.padEnd(16)} ${fmt(v.writes_per_s)} writes/s, ${fmt(v.reads_per_s)} reads/s`),
    'S3 lake',
    `  objects       ${fmt(p.s3_objects_per_hour)} per hour`,
    `  Parquet       ${bytes(p.parquet_bytes_per_day)} per day, ${bytes(p.lake_bytes)} kept`,
    'Athena',
    `  scanned       ${bytes(p.athena_bytes_per_refresh)} per refresh`,
    '',
    `Monthly cost    ${money(p.monthly_cost)} (${p.prices.region}, prices of ${p.prices.date})`,
    ...Object.entries(p.monthly_cost_by_service).map(([k, v]) => `  ${k.padEnd(16)} ${money(v)}`),
    '',
    'Assumptions',
    ...Object.entries(p.assumptions).map(([k, v]) => `  ${k.padEnd(28)} ${v.value} ${v.unit} — ${v.source}`),
    benchUsed.length > 0 ? `  (from --bench: ${benchUsed.join(', ')})` : '  (no --bench given: documented defaults)',
  ];
  return `${lines.join('\n')}\n`;
}

export default {
  summary: 'size a deployment: partitions, batching, concurrency, DynamoDB units, S3, Athena, freshness and monthly cost (--sensors, --hz | --gb-per-hour, --json)',
  async run(args) {
    let values: Record<string, string | boolean | undefined>;
    try {
      ({ values } = parseArgs({ args, options: OPTIONS, strict: true }));
    } catch (e) {
      throw new UsageError(`${(e as Error).message}\n${USAGE}`);
    }
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (values.sensors === undefined) throw new UsageError(`--sensors is required\n${USAGE}`);
    if ((values.hz === undefined) === (values['gb-per-hour'] === undefined)) throw new UsageError(`give exactly one of --hz and --gb-per-hour\n${USAGE}`);
    const sensors = num(values, 'sensors');
    const recordBytes = num(values, 'record-bytes');
    try {
      const workload: Workload = {
        sensors,
        recordBytes,
        hz: values.hz !== undefined ? num(values, 'hz') : hzForVolume(num(values, 'gb-per-hour'), sensors, recordBytes),
        freshnessS: num(values, 'freshness-s'),
        refreshMinutes: num(values, 'refresh-minutes'),
        kafkaRetentionHours: num(values, 'kafka-retention-hours'),
        lakeRetentionDays: num(values, 'lake-retention-days'),
        replicationFactor: num(values, 'replication'),
        executorMemoryMb: num(values, 'executor-memory-mb'),
        maxConcurrency: num(values, 'max-concurrency'),
      };
      const prices = await loadPriceTable(values.prices as string | undefined);
      const bench = values.bench ? assumptionsFromBench(await readBench(values.bench as string), DEFAULT_ASSUMPTIONS, values.bench as string) : { assumptions: DEFAULT_ASSUMPTIONS, used: [] };
      const plan = planDeployment(workload, bench.assumptions, prices);
      if (values.json) process.stdout.write(`${JSON.stringify(plan)}\n`);
      else process.stdout.write(describePlan(plan, bench.used));
      return 0;
    } catch (e) {
      if (e instanceof PlanInputError) throw new UsageError(e.message);
      if (e instanceof PriceTableError) throw new UsageError(`--prices: ${e.message}`);
      throw e;
    }
  },
} satisfies Command;
