import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { positiveInt, UsageError, type Command } from '../command.js';
import { makeExecutorHandler } from '../../../functions/executor/executor.js';
import {
  createTables,
  defaultTableNames,
  DirectoryObjectStore,
  dynamoClientFrom,
  ingestPortsFrom,
  startDynamoDbLocal,
} from '../../../shared/adapters/index.js';
import { loadTidelineConfig } from '../../../shared/config/index.js';
import {
  addChangepointDelays,
  addConfusion,
  changepointDelays,
  checkColumnMap,
  confusionOf,
  consecutiveFolds,
  DEFAULT_SKAB_COLUMN_MAP,
  delaySummary,
  EMPTY_CONFUSION,
  leaveFilesOut,
  nabProbationaryLength,
  nabScore,
  parseColumnMap,
  parseNabCsv,
  parseNabWindows,
  parseSkab,
  qualityOf,
  SKAB_HISTORY_ROWS,
  sweepChannelCriticalZ,
  type ChangepointDelays,
  type ColumnMap,
  type Confusion,
  type SkabSeries,
} from '../../../shared/evaluation/index.js';
import { replayAlertDecisions, type AlertInputs, type JudgmentConfig } from '../../../shared/judgment/index.js';
import { decodeParquet } from '../../../shared/lake/index.js';
import { DuckDbSqlEngine } from '../../../shared/adapters/duckdb/index.js';
import { backfill, readingsHistorySource, refreshReflections } from '../../../shared/refresh/index.js';
import { METRICS, toMskEvent, type ProducedRecord, type Reading } from '../../../shared/readings/index.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const TOPIC = 'sensor_readings';

/** One labelled series to run through the pipeline: its readings, of which the first `historyRows` are history. */
export interface PipelineSeries {
  readonly sensorId: string;
  readonly readings: readonly Reading[];
  readonly historyRows: number;
}

/** What the product decided for one streamed reading, read back from the lake. */
export interface JudgedRow {
  readonly ts: number;
  /** An alert is open after this reading: the reading's alert decision. */
  readonly alertOpen: boolean;
  /** This reading raised an alert. */
  readonly alertOpened: boolean;
  /** The columns the alert rule read, to replay the decision under other thresholds. */
  readonly inputs: AlertInputs;
}

/**
 * How history becomes reflections: `refresh` imports it with the backfill and runs the product's
 * incremental refresh over the lake (as a deployment would); `reference` computes them with
 * reflectionFromReadings, the definition the refresh must equal.
 */
export type HistoryMode = 'refresh' | 'reference';

export interface PipelineOptions {
  readonly history: HistoryMode;
  /** Records per partition in one MSK event. */
  readonly batchSize: number;
  /** Event time between refreshes of the reflections while streaming. */
  readonly refreshEveryMs: number;
  readonly log: (line: string) => void;
}

/**
 * Runs series through the real pipeline: history becomes reflections (the reference computation a
 * refresh must equal, written through the ReflectionStore), the rest is streamed through the
 * executor handler in MSK-shaped batches against DynamoDB Local and a lake directory, and the
 * judged rows are read back from the lake's Parquet. Reflections are refreshed every
 * `refreshEveryMs` of event time from everything seen so far, as the scheduled refresh would.
 * Uses DYNAMODB_ENDPOINT when set (fresh uniquely-prefixed tables), else starts DynamoDB Local.
 */
export async function judgeThroughPipeline(series: readonly PipelineSeries[], options: PipelineOptions): Promise<Map<string, JudgedRow[]>> {
  const external = process.env.DYNAMODB_ENDPOINT;
  const dynamodb = external ? null : await startDynamoDbLocal();
  const lakeDir = await mkdtemp(join(tmpdir(), 'tideline-eval-lake-'));
  let sql: DuckDbSqlEngine | null = null;
  try {
    const names = defaultTableNames(`eval-${randomUUID().slice(0, 8)}-`);
    const config = loadTidelineConfig({
      ...process.env,
      DYNAMODB_ENDPOINT: external ?? (dynamodb as { endpoint: string }).endpoint,
      LAKE_DIR: lakeDir,
      TABLE_REFLECTIONS: names.reflections,
      TABLE_STATE: names.state,
      TABLE_MINUTE_SUMMARIES: names.minuteSummaries,
      TABLE_ALERTS: names.alerts,
      TABLE_DEAD_LETTERS: names.deadLetters,
      TOPIC_READINGS: TOPIC,
    });
    const client = dynamoClientFrom(config);
    await createTables(client, config.tables);
    const lake = new DirectoryObjectStore(lakeDir);
    const ports = ingestPortsFrom(config, client, lake);
    // stdout is for figures: the executor's batch logs and EMF metric lines are muted (warnings still reach stderr).
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    const executor = makeExecutorHandler({ ports, config, logger: new Logger({ serviceName: 'tideline-eval', logLevel: 'WARN' }) });

    if (options.history === 'refresh') sql = new DuckDbSqlEngine();
    let version: string | null = null;
    let refreshes = 0;
    // Each series is its own sensor and experiment (SKAB files are consecutive runs), so each is
    // reflected as of its own first unseen reading.
    const refresh = async (windowEnd: number, seen: (s: PipelineSeries) => number) => {
      if (sql) {
        // The product's refresh: windows end at the start of the hour of `now`, over what is in the lake.
        await refreshReflections({ lake, reflections: ports.reflections, sql, lakeSql: { kind: 'duckdb', root: lakeDir } }, { now: windowEnd, force: true });
        refreshes++;
        return;
      }
      const next = `eval-${++refreshes}`;
      await ports.reflections.putReflections(
        series.map((s) => {
          const n = seen(s);
          const asOf = n < s.readings.length ? s.readings[n].ts : s.readings[s.readings.length - 1].ts + 1;
          return reflectionFromReadings(s.sensorId, next, s.readings.slice(0, n), asOf);
        }),
        Date.now() + DAY,
      );
      await ports.reflections.flipPointer({ version: next, refreshedAt: Date.now(), windowEnd }, version);
      version = next;
    };
    // History: every series' first rows, as of the first streamed reading.
    const streamStart = Math.min(...series.map((s) => s.readings[s.historyRows]?.ts ?? Infinity));
    if (sql) {
      await backfill(series.map((s) => readingsHistorySource(s.sensorId, s.readings.slice(0, s.historyRows))), lake);
      // The hour after the newest history reading, so the refresh's windows hold all of it.
      const newest = Math.max(...series.map((s) => s.readings[s.historyRows - 1].ts));
      await refresh(newest - (newest % HOUR) + HOUR, (s) => s.historyRows);
    } else {
      await refresh(streamStart, (s) => s.historyRows);
    }

    // Stream in event-time rounds; each round is one MSK event holding the next chunk of every
    // series (one partition per series, offsets = row numbers), refreshing between rounds.
    const cursor = series.map((s) => s.historyRows);
    let nextRefresh = streamStart + options.refreshEveryMs;
    let streamed = 0;
    for (;;) {
      const records: ProducedRecord[] = [];
      series.forEach((s, p) => {
        const end = Math.min(s.readings.length, cursor[p] + options.batchSize);
        for (let i = cursor[p]; i < end; i++) {
          const r = s.readings[i];
          records.push({ topic: TOPIC, partition: p, offset: i, timestamp: r.ts, key: r.sensor_id, value: JSON.stringify(r) });
        }
        cursor[p] = end;
      });
      if (records.length === 0) break;
      const result = await executor(toMskEvent(records));
      if (result.deadLetters > 0) throw new Error(`the executor dead-lettered ${result.deadLetters} benchmark readings; the series cannot be evaluated`);
      streamed += records.length;
      const reached = Math.min(...series.map((s, p) => (cursor[p] < s.readings.length ? s.readings[cursor[p]].ts : Infinity)));
      if (reached !== Infinity && reached >= nextRefresh) {
        await refresh(reached, (s) => cursor[series.indexOf(s)]);
        while (nextRefresh <= reached) nextRefresh += options.refreshEveryMs;
      }
    }
    options.log(`streamed ${streamed} readings through the executor (${refreshes} reflection version${refreshes === 1 ? '' : 's'}, history by ${options.history})`);
    return await judgedRowsFromLake(lake, series);
  } finally {
    await sql?.close();
    await rm(lakeDir, { recursive: true, force: true });
    await dynamodb?.stop();
  }
}

/** Reads the enriched rows back from the lake's Parquet, in stream order per sensor; every streamed reading must be there. */
async function judgedRowsFromLake(lake: DirectoryObjectStore, series: readonly PipelineSeries[]): Promise<Map<string, JudgedRow[]>> {
  const bySensor = new Map<string, { offset: number; row: JudgedRow }[]>(series.map((s) => [s.sensorId, []]));
  for (const key of await lake.list('readings/')) {
    const bytes = await lake.get(key);
    if (!bytes) continue;
    const table = decodeParquet(bytes);
    const col = (name: string) => {
      const c = table.getChild(name);
      if (!c) throw new Error(`lake file ${key} has no ${name} column`);
      return c;
    };
    const [sensor, ts, offset, open, opened, topic, classification, risk] = [
      'sensor_id', 'ts', 'kafka_offset', 'alert_open', 'alert_opened', 'kafka_topic', 'anomaly_classification', 'predictive_failure_risk',
    ].map(col);
    // Written only for sensors that report channels.
    const score = table.getChild('channel_score');
    for (let i = 0; i < table.numRows; i++) {
      // Imported history shares the lake; only what the executor judged is scored.
      if (topic.get(i) !== TOPIC) continue;
      bySensor.get(sensor.get(i) as string)?.push({
        offset: Number(offset.get(i)),
        row: {
          ts: Number(ts.get(i)),
          alertOpen: open.get(i) === true,
          alertOpened: opened.get(i) === true,
          inputs: {
            channel_score: (score?.get(i) as number | null | undefined) ?? null,
            anomaly_classification: classification.get(i) as AlertInputs['anomaly_classification'],
            predictive_failure_risk: Number(risk.get(i)),
          },
        },
      });
    }
  }
  const out = new Map<string, JudgedRow[]>();
  for (const s of series) {
    const rows = (bySensor.get(s.sensorId) ?? []).sort((a, b) => a.offset - b.offset);
    const expected = s.readings.length - s.historyRows;
    if (rows.length !== expected) throw new Error(`the lake holds ${rows.length} judged readings of ${s.sensorId}, expected ${expected}`);
    out.set(s.sensorId, rows.map((r) => r.row));
  }
  return out;
}

/** Every .csv file under `path` (or `path` itself), in natural order (valve1/2 before valve1/10). */
async function csvFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new UsageError(`${path} does not exist`);
  if (info.isFile()) return [path];
  const found: string[] = [];
  for (const entry of await readdir(path, { recursive: true, withFileTypes: true })) {
    if (!entry.name.endsWith('.csv')) continue;
    const file = join(entry.parentPath, entry.name);
    // A linked file counts like a file (a directory of links picks files without copying them).
    if (entry.isFile() || (entry.isSymbolicLink() && (await stat(file).catch(() => null))?.isFile())) found.push(file);
  }
  return found.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

function sensorIdFor(prefix: string, name: string): string {
  return `${prefix}.${name.replace(/\.csv$/, '').replace(/[^A-Za-z0-9._:-]+/g, '-')}`.slice(0, 128);
}

/** A column name as a channel name: letters, digits and '_' ("Volume Flow RateRMS" → "Volume_Flow_RateRMS"). */
export function channelNameOf(column: string): string {
  const name = column.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^[^A-Za-z]+/, '').slice(0, 64);
  return name === '' || (METRICS as readonly string[]).includes(name) ? `c_${name}`.slice(0, 64) : name;
}

/**
 * The file's rows as readings: mapped columns become the metrics and, unless `mappedOnly`, every
 * other numeric column becomes an extra channel (the product may use everything it is given).
 */
function skabReadings(s: SkabSeries, sensorId: string, map: ColumnMap, mappedOnly: boolean): Reading[] {
  const column = (metric: keyof ColumnMap) => (map[metric] ? (s.columns.get(map[metric] as string) as readonly number[]) : null);
  const [t, p, v] = [column('temperature'), column('pressure'), column('vibration')];
  const mapped = new Set(Object.values(map));
  const extra = mappedOnly ? [] : [...s.columns].filter(([name]) => !mapped.has(name)).map(([name, values]) => [channelNameOf(name), values] as const);
  return s.ts.map((ts, i) => ({
    sensor_id: sensorId,
    ts,
    temperature: t?.[i] ?? null,
    pressure: p?.[i] ?? null,
    vibration: v?.[i] ?? null,
    status: 'OK' as const,
    ...(extra.length > 0 ? { channels: Object.fromEntries(extra.map(([name, values]) => [name, values[i]])) } : {}),
  }));
}

/** --history, or the default: the product's refresh. */
function historyMode(value: string | undefined): HistoryMode {
  if (value === undefined) return 'refresh';
  if (value !== 'refresh' && value !== 'reference') throw new UsageError(`--history must be refresh or reference, got "${value}"`);
  return value;
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)} %`);
const fixed = (x: number | null, d = 3) => (x === null ? 'n/a' : x.toFixed(d));
const round = (x: number | null, d = 4) => (x === null ? null : Number(x.toFixed(d)));

interface FileOutcome {
  readonly file: string;
  readonly confusion: Confusion;
  readonly changepoints: ChangepointDelays;
}

async function evalSkab(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      'per-file': { type: 'boolean', default: false },
      map: { type: 'string' },
      'mapped-only': { type: 'boolean', default: false },
      history: { type: 'string' },
      batch: { type: 'string', default: '500' },
      sweep: { type: 'string' },
      'normal-files': { type: 'boolean', default: false },
      'history-rows': { type: 'string' },
    },
  });
  if (positionals.length !== 1) {
    throw new UsageError('usage: tideline eval skab <dir or file> [--json] [--per-file] [--map metric=Column,…] [--mapped-only] [--history refresh|reference] [--batch N] [--sweep z,z,…] [--normal-files] [--history-rows N]');
  }
  const sweepZs = values.sweep === undefined ? null : parseSweep(values.sweep);
  const historyRows = values['history-rows'] === undefined ? SKAB_HISTORY_ROWS : positiveInt(values['history-rows'], '--history-rows');
  let map: ColumnMap;
  try {
    map = values.map ? parseColumnMap(values.map) : DEFAULT_SKAB_COLUMN_MAP;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const root = positionals[0];
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const files = await csvFiles(root);
  // normalOnly: a file without labels (anomaly-free.csv), judged with --normal-files as all normal.
  const series: { file: string; skab: SkabSeries; pipeline: PipelineSeries; normalOnly: boolean }[] = [];
  for (const path of files) {
    const name = relative(root, path) || path.split('/').pop() as string;
    const skab = parseSkab(await readFile(path, 'utf8'), path);
    if (!skab.anomaly && !values['normal-files']) {
      log(`skipped ${name}: no anomaly labels (SKAB's leaderboard does not score the anomaly-free file; --normal-files judges it as normal operation)`);
      continue;
    }
    checkColumnMap(skab, map);
    if (skab.ts.length <= historyRows) throw new UsageError(`${path} has ${skab.ts.length} rows; SKAB files need more than ${historyRows} (the first ${historyRows} are history)`);
    const sensorId = sensorIdFor('skab', name);
    series.push({ file: name, skab, pipeline: { sensorId, readings: skabReadings(skab, sensorId, map, values['mapped-only']), historyRows }, normalOnly: !skab.anomaly });
  }
  const labelled = series.filter((s) => !s.normalOnly);
  if (series.length === 0) throw new UsageError(`no labelled SKAB .csv file under ${root}${values['normal-files'] ? '' : ' (--normal-files also judges files without labels)'}`);
  if (historyRows !== SKAB_HISTORY_ROWS) log(`history: the first ${historyRows} rows of each file (SKAB's protocol uses ${SKAB_HISTORY_ROWS}; these figures are not comparable with its leaderboard)`);
  const channels = Object.keys(series[0].pipeline.readings[0].channels ?? {});
  log(`evaluating ${series.length} SKAB file${series.length === 1 ? '' : 's'} · map ${Object.entries(map).map(([m, c]) => `${c}→${m}`).join(', ')} · extra channels: ${channels.join(', ') || 'none'}`);
  const history = historyMode(values.history);
  // SKAB's protocol trains once, on the history: no refresh while streaming.
  const judged = await judgeThroughPipeline(series.map((s) => s.pipeline), { history, batchSize: positiveInt(values.batch, '--batch'), refreshEveryMs: Number.POSITIVE_INFINITY, log });

  const judgment = loadTidelineConfig(process.env).judgment;
  const judgedFiles = labelled.map(({ skab, pipeline }) => {
    const rows = judged.get(pipeline.sensorId) as JudgedRow[];
    // The replay must reproduce the decisions the executor wrote, or a sweep would mean nothing.
    const replayed = replayAlertDecisions(rows.map((r) => r.inputs), judgment);
    const differs = replayed.findIndex((open, i) => open !== rows[i].alertOpen);
    if (differs >= 0) throw new Error(`replaying the alert rule on ${pipeline.sensorId} disagrees with the lake at judged reading ${differs}`);
    return { labels: (skab.anomaly as readonly boolean[]).slice(historyRows), rows: rows.map((r) => r.inputs) };
  });
  const outcomes: FileOutcome[] = labelled.map(({ file, skab, pipeline }) => {
    const rows = judged.get(pipeline.sensorId) as JudgedRow[];
    const labels = (skab.anomaly as readonly boolean[]).slice(historyRows);
    const predictions = rows.map((r) => r.alertOpen);
    const cps = skab.changepoint ? skab.changepoint.slice(historyRows) : labels.map(() => false);
    return { file, confusion: confusionOf(labels, predictions), changepoints: changepointDelays(skab.ts.slice(historyRows), cps, predictions) };
  });
  // Normal operation only: every alert-open reading is a false alarm.
  const normal = series.filter((s) => s.normalOnly).map(({ file, pipeline }) => {
    const rows = judged.get(pipeline.sensorId) as JudgedRow[];
    const open = rows.filter((r) => r.alertOpen).length;
    return { file, readings: rows.length, fp: open, far: open / rows.length, alertsOpened: rows.filter((r) => r.alertOpened).length };
  });
  const pooled = outcomes.reduce((a, o) => addConfusion(a, o.confusion), EMPTY_CONFUSION);
  const cps = outcomes.reduce((a, o) => addChangepointDelays(a, o.changepoints), { changepoints: 0, detected: 0, delaysMs: [] } as ChangepointDelays);
  const q = qualityOf(pooled);
  const delay = delaySummary(cps);

  if (values['per-file']) {
    log('file                 F1     FAR      MAR      TP    FP    FN    TN   changepoints');
    for (const o of outcomes) {
      const fq = qualityOf(o.confusion);
      const c = o.confusion;
      log(`${o.file.padEnd(18)} ${fixed(fq.f1).padStart(6)} ${pct(fq.far).padStart(8)} ${pct(fq.mar).padStart(8)} ${String(c.tp).padStart(5)} ${String(c.fp).padStart(5)} ${String(c.fn).padStart(5)} ${String(c.tn).padStart(5)}   ${o.changepoints.detected}/${o.changepoints.changepoints}`);
    }
  }
  const lines = outcomes.length === 0 ? [] : [
    `SKAB, ${outcomes.length} files, ${pooled.tp + pooled.fp + pooled.fn + pooled.tn} judged readings (first ${historyRows} rows of each file are history), pooled:`,
    `  F1 ${fixed(q.f1)} · FAR ${pct(q.far)} · MAR ${pct(q.mar)} · precision ${fixed(q.precision)} · recall ${fixed(q.recall)}`,
    `  TP ${pooled.tp} · FP ${pooled.fp} · FN ${pooled.fn} · TN ${pooled.tn}`,
    `  changepoints answered ${cps.detected}/${cps.changepoints} · delay mean ${fixed(delay.meanS, 1)} s, median ${fixed(delay.medianS, 1)} s`,
    `  SKAB leaderboard: T-squared+Q 0.76 / 26.6 % · Conv-AE 0.78 / 13.6 % · Isolation forest 0.29 / 2.6 % (F1 / FAR)`,
  ];
  if (normal.length > 0) {
    lines.push('  files without labels, judged as normal operation (not pooled: SKAB\'s leaderboard does not score them):');
    for (const n of normal) lines.push(`    ${n.file}: an alert open on ${n.fp} of ${n.readings} readings (FAR ${pct(n.far)}), ${n.alertsOpened} alert${n.alertsOpened === 1 ? '' : 's'} raised`);
  }
  const sweep = sweepZs ? sweepReport(judgedFiles, sweepZs, judgment) : null;
  if (sweep) lines.push(...sweep.lines);
  (values.json ? log : (l: string) => process.stdout.write(`${l}\n`))(lines.join('\n'));
  if (values.json) {
    const perFile = values['per-file']
      ? { per_file: outcomes.map((o) => ({ file: o.file, ...o.confusion, f1: round(qualityOf(o.confusion).f1), far: round(qualityOf(o.confusion).far), mar: round(qualityOf(o.confusion).mar), changepoints_detected: o.changepoints.detected })) }
      : {};
    process.stdout.write(
      `${JSON.stringify({
        benchmark: 'skab',
        f1: round(q.f1),
        far: round(q.far),
        mar: round(q.mar),
        precision: round(q.precision),
        recall: round(q.recall),
        files: outcomes.length,
        readings: pooled.tp + pooled.fp + pooled.fn + pooled.tn,
        ...pooled,
        changepoints: cps.changepoints,
        changepoints_detected: cps.detected,
        changepoint_delay_mean_s: round(delay.meanS, 2),
        changepoint_delay_median_s: round(delay.medianS, 2),
        column_map: map,
        channels,
        channel_critical_z: judgment.channelCriticalZ,
        history_rows: historyRows,
        ...perFile,
        ...(normal.length > 0 ? { normal_files: normal.map((n) => ({ file: n.file, readings: n.readings, fp: n.fp, far: round(n.far), alerts_opened: n.alertsOpened })) } : {}),
        ...(sweep ? sweep.json : {}),
      })}\n`,
    );
  }
  return 0;
}

/** `--sweep 3,4,5`: the channel critical z values to replay, each a finite number ≥ 0. */
function parseSweep(text: string): number[] {
  return text.split(',').map((part) => {
    const z = part.trim() === '' ? Number.NaN : Number(part);
    if (!(Number.isFinite(z) && z >= 0)) throw new UsageError(`--sweep takes channel critical z values separated by commas, e.g. 3,4,5,6; "${part}" is not a number ≥ 0`);
    return z;
  });
}

/** Held-out files per fold of the leave-files-out check, and the false alarm rate the choice must keep. */
const SWEEP_FOLDS = 4;
const SWEEP_MAX_FAR = 0.1;

/**
 * The figures at each swept channel critical z, and a leave-files-out check of choosing it: with
 * the files in SWEEP_FOLDS consecutive folds, each fold's z is the best F1 with FAR at most
 * SWEEP_MAX_FAR on the other files, scored on the fold.
 */
function sweepReport(files: { labels: readonly boolean[]; rows: readonly AlertInputs[] }[], zs: readonly number[], judgment: JudgmentConfig) {
  const points = sweepChannelCriticalZ(files, zs, judgment);
  const folds = leaveFilesOut(points, consecutiveFolds(files.length, SWEEP_FOLDS), SWEEP_MAX_FAR);
  const heldOut = folds.reduce((a, f) => addConfusion(a, f.confusion), EMPTY_CONFUSION);
  const hq = qualityOf(heldOut);
  const lines = [
    `  sweep of the channel critical z (replayed on the judged readings; default ${judgment.channelCriticalZ}):`,
    ...points.map((p) => {
      const q = qualityOf(p.pooled);
      return `    z ${String(p.channelCriticalZ).padEnd(5)} F1 ${fixed(q.f1)} · FAR ${pct(q.far).padStart(7)} · MAR ${pct(q.mar).padStart(7)}`;
    }),
    `  leave-files-out (${folds.length} folds of consecutive files; z = best F1 with FAR ≤ ${100 * SWEEP_MAX_FAR} % on the other files):`,
    ...folds.map((f) => {
      const q = qualityOf(f.confusion);
      return `    held out files ${f.heldOut.join(',')}: chose z ${f.chosenZ ?? 'none'} · F1 ${fixed(q.f1)} · FAR ${pct(q.far)} · MAR ${pct(q.mar)}`;
    }),
    `    pooled over held-out files: F1 ${fixed(hq.f1)} · FAR ${pct(hq.far)} · MAR ${pct(hq.mar)}`,
  ];
  const json = {
    sweep: points.map((p) => ({ channel_critical_z: p.channelCriticalZ, ...p.pooled, f1: round(qualityOf(p.pooled).f1), far: round(qualityOf(p.pooled).far), mar: round(qualityOf(p.pooled).mar) })),
    held_out: { folds: folds.map((f) => ({ files: f.heldOut, chosen_z: f.chosenZ, ...f.confusion })), f1: round(hq.f1), far: round(hq.far), mar: round(hq.mar) },
  };
  return { lines, json };
}

async function evalNab(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, batch: { type: 'string', default: '500' }, history: { type: 'string' } },
  });
  if (positionals.length !== 2) throw new UsageError('usage: tideline eval nab <data.csv> <combined_windows.json> [--json] [--history refresh|reference]');
  const [csvPath, windowsPath] = positionals;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const nab = parseNabCsv(await readFile(csvPath, 'utf8'), csvPath);
  const windows = parseNabWindows(await readFile(windowsPath, 'utf8'), windowsPath, csvPath);
  const sensorId = sensorIdFor('nab', csvPath.split('/').pop() as string);
  const probation = nabProbationaryLength(nab.ts.length);
  if (nab.ts.length - probation < 1) throw new UsageError(`${csvPath} has ${nab.ts.length} rows: nothing is left after the probationary period`);
  const readings: Reading[] = nab.ts.map((ts, i) => ({ sensor_id: sensorId, ts, temperature: nab.value[i], pressure: null, vibration: null, status: 'OK' }));
  log(`evaluating ${csvPath}: ${nab.ts.length} rows, ${windows.length} window${windows.length === 1 ? '' : 's'}, first ${probation} rows (probationary) as history`);
  const judged = await judgeThroughPipeline([{ sensorId, readings, historyRows: probation }], {
    history: historyMode(values.history),
    batchSize: positiveInt(values.batch, '--batch'),
    refreshEveryMs: DAY,
    log,
  });
  const rows = judged.get(sensorId) as JudgedRow[];
  // Detections are the alerts the product raised; probationary rows were history, never alerting.
  const detections = [...new Array<boolean>(probation).fill(false), ...rows.map((r) => r.alertOpened)];
  const r = nabScore(nab.ts, detections, windows);
  const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
  const lines = [
    `NAB ${csvPath}: ${r.rows} rows (${r.probationaryRows} probationary), standard profile`,
    ...r.windows.map(
      (w) => `  window ${iso(w.start)} – ${iso(w.end)}: ${w.detectedAt === null ? 'missed' : `caught at ${iso(w.detectedAt)}, ${((w.leadMs as number) / 3_600_000).toFixed(1)} h before its end`} (score ${w.score.toFixed(3)})`,
    ),
    `  windows caught ${r.windowsCaught}/${r.windows.length} · false alerts ${r.falsePositives} (${fixed(r.falseAlertsPerDay, 2)} per day) · raw ${r.raw.toFixed(3)} · NAB score ${fixed(r.normalized, 1)}`,
  ];
  (values.json ? log : (l: string) => process.stdout.write(`${l}\n`))(lines.join('\n'));
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({
        benchmark: 'nab',
        file: csvPath,
        rows: r.rows,
        probationary_rows: r.probationaryRows,
        windows: r.windows.length,
        windows_caught: r.windowsCaught,
        lead_hours: r.windows.map((w) => (w.leadMs === null ? null : round(w.leadMs / 3_600_000, 2))),
        false_alerts: r.falsePositives,
        false_alerts_per_day: round(r.falseAlertsPerDay),
        raw_score: round(r.raw),
        nab_score: round(r.normalized, 2),
      })}\n`,
    );
  }
  return 0;
}

export default {
  summary: 'detection quality on labelled benchmarks: eval skab <dir> [--json] [--per-file] [--map …] | eval nab <csv> <windows.json> [--json]',
  async run(args) {
    const [benchmark, ...rest] = args;
    if (benchmark === 'skab') return evalSkab(rest);
    if (benchmark === 'nab') return evalNab(rest);
    throw new UsageError(`eval needs a benchmark: "skab" or "nab", got ${benchmark === undefined ? 'nothing' : `"${benchmark}"`}`);
  },
} satisfies Command;
