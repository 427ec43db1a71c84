import { partitionBatches, ReadingBatch, type MskEvent, type PartitionBatch } from '../readings/index.js';
import {
  addToMinuteSummary,
  ANOMALY_CLASSIFICATION,
  cloneWindow,
  emptyWindow,
  ENRICHED_COLUMNS,
  minuteOf,
  minuteSummaryKey,
  type EnrichedColumn,
  type JudgedReadings,
  type JudgmentConfig,
  type MinuteSummary,
  type SensorWindow,
} from '../judgment/index.js';
import { batchObjectKey, DEVICE_STATUS_COLUMNS, encodeParquet, encodeParquetColumns, noteLakeChanges, type DeviceStatusRow, type LakeSchema, type LakeTable } from '../lake/index.js';
import type {
  AlertStore,
  DeadLetterStore,
  IngestStateStore,
  MinuteSummaryKey,
  MinuteSummaryStore,
  JudgedReadingSink,
  ObjectStore,
  PartitionMark,
  ReflectionStore,
  StoredSensorWindow,
  WindowVersion,
} from '../ports/index.js';
import { settleAll } from '../async.js';
import { deadLetter, decodeRecords, judgeReadings } from './judge-batch.js';
import type { ReflectionCache } from './reflection-cache.js';
import type { CommittedPartitionState, IngestStateCache } from './state-cache.js';
import { loadWindows, planWindowWrites, windowBucketOf, type LoadedWindows, type WindowWrites } from './window-buckets.js';

export interface IngestPorts {
  readonly lake: ObjectStore;
  readonly reflections: ReflectionStore;
  readonly state: IngestStateStore;
  readonly minuteSummaries: MinuteSummaryStore;
  readonly alerts: AlertStore;
  readonly deadLetters: DeadLetterStore;
  readonly reflectionCache: ReflectionCache;
  /** Keeps each partition's committed windows and minute summaries across batches of a warm function; absent: read every batch. */
  readonly stateCache?: IngestStateCache;
  /** Optional outside consumers of judged readings and alerts (e.g. InfluxDB); offered after the mark is committed. */
  readonly sinks?: readonly JudgedReadingSink[];
}

export interface IngestConfig {
  readonly judgment: JudgmentConfig;
  readonly topics: { readonly readings: string; readonly deviceStatus: string };
}

/** What one batch did; every record in is exactly one of processed, dead-lettered or already applied. */
export interface IngestResult {
  records: number;
  processed: number;
  deadLetters: number;
  alreadyApplied: number;
  critical: number;
  alertsOpened: number;
  alertsClosed: number;
  lakeFiles: number;
  reflectionVersion: string | null;
  /** Newest event time among processed readings (freshness), or null. */
  newestEventTs: number | null;
}

const emptyResult = (version: string | null): IngestResult => ({
  records: 0, processed: 0, deadLetters: 0, alreadyApplied: 0, critical: 0, alertsOpened: 0, alertsClosed: 0, lakeFiles: 0,
  reflectionVersion: version, newestEventTs: null,
});

/**
 * Ingests one MSK batch effectively once. Per topic partition:
 * 1. read the partition's high-water mark; remove lake files a failed earlier attempt may have left;
 * 2. skip records at or below the mark; decode, validate and judge the rest against one reflection version;
 * 3. record the lake files about to be written (so a retry can remove them);
 * 4. write them, and alongside them windows, minute summaries, alerts and dead letters (each idempotent or offset-guarded);
 * 5. advance the mark. A crash anywhere before 5 makes the retry redo the same work from the same state.
 * A warm function keeps what it committed (`stateCache`) instead of reading it back.
 */
export async function ingestBatch(event: MskEvent, ports: IngestPorts, config: IngestConfig): Promise<IngestResult> {
  const pointer = await ports.reflections.currentPointer();
  const total = emptyResult(pointer?.version ?? null);
  const results = await settleAll(partitionBatches(event).map((b) => ingestPartition(b, pointer?.version ?? null, ports, config)));
  for (const r of results) {
    for (const k of ['records', 'processed', 'deadLetters', 'alreadyApplied', 'critical', 'alertsOpened', 'alertsClosed', 'lakeFiles'] as const) total[k] += r[k];
    if (r.newestEventTs !== null) total.newestEventTs = Math.max(total.newestEventTs ?? r.newestEventTs, r.newestEventTs);
  }
  return total;
}

async function ingestPartition(batch: PartitionBatch, currentVersion: string | null, ports: IngestPorts, config: IngestConfig): Promise<IngestResult> {
  try {
    return await ingestPartitionOnce(batch, currentVersion, ports, config);
  } catch (e) {
    // What this attempt wrote may or may not be committed: read the partition's state back next time.
    ports.stateCache?.forget(batch.topic, batch.partition);
    throw e;
  }
}

async function ingestPartitionOnce(batch: PartitionBatch, currentVersion: string | null, ports: IngestPorts, config: IngestConfig): Promise<IngestResult> {
  const { topic, partition } = batch;
  const mark: PartitionMark = (await ports.state.getPartitionMark(topic, partition)) ?? { topic, partition, hwm: -1, pending: null };
  const cached = ports.stateCache?.validAt(topic, partition, mark.hwm) ?? null;
  const layout = { topic, partition, buckets: mark.windowBuckets ?? (ports.state.windowBucketBytes > 0 ? 1 : 0) };
  if (mark.pending) await ports.lake.delete(mark.pending.files);
  // A retry judges against the version the failed attempt used, so its summaries and rows agree.
  const version = mark.pending ? mark.pending.reflectionVersion : currentVersion;
  const result = emptyResult(version);
  result.records = batch.records.length;

  const fresh = batch.records.filter((r) => r.offset > mark.hwm);
  result.alreadyApplied = batch.records.length - fresh.length;
  if (fresh.length === 0) return result;
  const lastOffset = fresh[fresh.length - 1].offset;

  const decoded = decodeRecords(fresh);
  let readings = decoded.readings;
  result.deadLetters = decoded.deadLetters.length;
  if (topic !== config.topics.readings && topic !== config.topics.deviceStatus) {
    // Unknown topic: nothing is lost, every record is kept with the reason.
    for (const record of decoded.readings.records.slice(0, decoded.readings.length)) {
      const reason = `topic "${topic}" is not one Tideline reads (${config.topics.readings}, ${config.topics.deviceStatus})`;
      decoded.deadLetters.push(deadLetter(record, reason, null, 'UnknownTopic'));
    }
    readings = new ReadingBatch(0);
    result.deadLetters = decoded.deadLetters.length;
  }
  result.processed = readings.length;

  let lakeFiles: { key: string; body: Uint8Array }[] = [];
  // The partition's committed windows as far as known: kept by a warm function, else read below.
  const loaded: LoadedWindows = cached?.windows ?? new Map();
  let windowWrites: WindowWrites | null = null;
  let summaries: Promise<MinuteSummary[]> = Promise.resolve([]);
  let alertChanges: Parameters<AlertStore['apply']>[0] = [];
  let judgedColumns: JudgedReadings | null = null;

  if (topic === config.topics.readings && readings.length > 0) {
    const sensorIds = readings.sensors;
    const [contextOf] = await Promise.all([
      ports.reflectionCache.contextsFor(version, sensorIds),
      loadWindows(ports.state, layout, mark.hwm, loaded, sensorIds),
    ]);
    const bases = new Map<string, WindowVersion | null>();
    const windows = new Map<string, SensorWindow>();
    for (const id of sensorIds) {
      const base = loaded.get(windowBucketOf(id, layout.buckets))?.get(id) ?? null;
      bases.set(id, base);
      windows.set(id, base ? cloneWindow(base.window) : emptyWindow());
    }
    const judged = judgeReadings(readings, contextOf, windows, config.judgment);
    alertChanges = judged.alertChanges;
    judgedColumns = judged.judged;
    const judgedWindows = new Map<string, StoredSensorWindow>(
      sensorIds.map((id) => [id, { sensorId: id, current: { window: windows.get(id) as SensorWindow, appliedThrough: lastOffset }, previous: bases.get(id) ?? null }]),
    );
    windowWrites = await planWindowWrites(ports.state, layout, mark.hwm, loaded, judgedWindows);
    lakeFiles = judgedLakeFiles(judged.judged, topic, partition);
    // Read (when not cached) while the pending mark is written below.
    summaries = foldMinuteSummaries(judged.judged, ports.minuteSummaries, cached);
    for (let i = 0; i < readings.length; i++) {
      if (judged.judged.anomaly_classification[i] === ANOMALY_CLASSIFICATION.CRITICAL_ANOMALY) result.critical++;
      result.newestEventTs = Math.max(result.newestEventTs ?? readings.ts[i], readings.ts[i]);
    }
    result.alertsOpened = alertChanges.filter((c) => c.type === 'opened').length;
    result.alertsClosed = alertChanges.length - result.alertsOpened;
  } else if (topic === config.topics.deviceStatus && readings.length > 0) {
    const rows: DeviceStatusRow[] = [];
    for (let i = 0; i < readings.length; i++) {
      const record = readings.records[i];
      rows.push({ sensor_id: readings.sensorId(i), ts: readings.ts[i], status: readings.status[i], kafka_topic: record.topic, kafka_partition: record.partition, kafka_offset: record.offset });
    }
    lakeFiles = lakeFilesByHour('deviceStatus', DEVICE_STATUS_COLUMNS, rows, topic, partition);
  }
  result.lakeFiles = lakeFiles.length;

  // The pending mark, and the change notes that tell the refresh these hour partitions are about
  // to change (written before the files, or a refresh could list the hour between and miss them).
  const pendingMark =
    lakeFiles.length > 0
      ? settleAll<unknown>([
          ports.state.putPartitionMark({ ...mark, pending: { files: lakeFiles.map((f) => f.key), through: lastOffset, reflectionVersion: version } }),
          noteLakeChanges(ports.lake, lakeFiles.map((f) => f.key), Date.now()),
        ])
      : Promise.resolve();
  // Both settle before anything can fail, so no write is left running into a redelivery.
  const [folded] = await settleAll<unknown>([summaries, pendingMark]);
  const changedSummaries = folded as MinuteSummary[];
  // The lake files (what makes a reading queryable) and the stores' writes together: each is
  // idempotent or offset-guarded, and only the mark below commits them.
  const writes: Promise<unknown>[] = lakeFiles.map((f) => ports.lake.put(f.key, f.body));
  if (windowWrites) writes.push(ports.state.putWindowBuckets({ ...layout, buckets: windowWrites.buckets }, windowWrites.writes));
  if (changedSummaries.length > 0) writes.push(ports.minuteSummaries.putMany(changedSummaries));
  if (alertChanges.length > 0) writes.push(ports.alerts.apply(alertChanges));
  if (decoded.deadLetters.length > 0) writes.push(ports.deadLetters.putMany(decoded.deadLetters));
  await settleAll(writes);
  // The advance commits the windows' layout too: a grown one is read from the next batch on.
  const buckets = windowWrites?.buckets ?? layout.buckets;
  await ports.state.putPartitionMark({ topic, partition, hwm: lastOffset, pending: null, windowBuckets: buckets });
  ports.stateCache?.committed(topic, partition, lastOffset, buckets, windowWrites?.committed ?? loaded, cached, changedSummaries);
  offerToSinks(ports.sinks, judgedColumns, alertChanges);
  return result;
}

/** Hands applied work to the optional sinks; a sink's failure never reaches the pipeline. */
function offerToSinks(sinks: readonly JudgedReadingSink[] | undefined, judged: JudgedReadings | null, alerts: Parameters<AlertStore['apply']>[0]): void {
  if (!sinks || sinks.length === 0 || ((judged?.length ?? 0) === 0 && alerts.length === 0)) return;
  // Sinks take row objects; they are built only when a sink is configured.
  const rows = judged?.rows() ?? [];
  for (const sink of sinks) {
    try {
      sink.offer(rows, alerts);
    } catch {
      // offer() must not throw; if one does anyway, the batch is already committed and stays so.
    }
  }
}

/** The event-time hour of `ts` (its start, epoch ms). */
const hourOf = (ts: number): number => ts - (((ts % 3_600_000) + 3_600_000) % 3_600_000);

/** One Parquet file per event-time hour, named by the batch's offsets in that hour. */
function lakeFilesByHour<T extends { ts: number; kafka_offset: number }>(
  table: LakeTable,
  schema: LakeSchema,
  rows: readonly T[],
  topic: string,
  partition: number,
): { key: string; body: Uint8Array }[] {
  const byHour = new Map<number, T[]>();
  for (const row of rows) {
    const hour = hourOf(row.ts);
    let list = byHour.get(hour);
    if (!list) byHour.set(hour, (list = []));
    list.push(row);
  }
  return [...byHour].map(([hour, list]) => ({
    key: batchObjectKey(table, hour, topic, partition, list[0].kafka_offset, list[list.length - 1].kafka_offset),
    body: encodeParquet(schema, list),
  }));
}

/** lakeFilesByHour for a judged batch, written from its columns (no row objects). */
function judgedLakeFiles(judged: JudgedReadings, topic: string, partition: number): { key: string; body: Uint8Array }[] {
  const { ts, records } = judged.readings;
  const byHour = new Map<number, number[]>();
  for (let i = 0; i < judged.length; i++) {
    const hour = hourOf(ts[i]);
    let list = byHour.get(hour);
    if (!list) byHour.set(hour, (list = []));
    list.push(i);
  }
  return [...byHour].map(([hour, list]) => {
    const at = Int32Array.from(list);
    return {
      key: batchObjectKey('readings', hour, topic, partition, records[at[0]].offset, records[at[at.length - 1]].offset),
      body: encodeParquetColumns(ENRICHED_COLUMNS, (name) => judged.lakeColumn(name as EnrichedColumn, at)),
    };
  });
}

/**
 * Adds this batch's rows to the stored minute summaries. A stored summary already holds every
 * row up to its `applied_through` offset (a failed attempt may have written it), so only newer
 * rows are added: re-delivery never counts a reading twice.
 */
async function foldMinuteSummaries(judged: JudgedReadings, store: MinuteSummaryStore, cached: CommittedPartitionState | null): Promise<MinuteSummary[]> {
  const { readings } = judged;
  const summaries = new Map<string, MinuteSummary>();
  const unknown = new Map<string, MinuteSummaryKey>();
  const keys = new Array<string>(judged.length);
  for (let i = 0; i < judged.length; i++) {
    const sensorId = readings.sensorId(i);
    const minute = minuteOf(readings.ts[i]);
    const classification = judged.anomaly_classification[i];
    const key = (keys[i] = minuteSummaryKey(sensorId, minute, classification));
    const known = cached?.summaries.get(key);
    if (known) summaries.set(key, known);
    else unknown.set(key, { sensorId, minute, classification });
  }
  if (unknown.size > 0) {
    for (const s of await store.getMany([...unknown.values()])) summaries.set(minuteSummaryKey(s.sensor_id, s.minute, s.anomaly_classification), s);
  }
  const stored = new Map([...summaries].map(([k, s]) => [k, s.applied_through]));
  const changed = new Set<string>();
  for (let i = 0; i < judged.length; i++) {
    const key = keys[i];
    const offset = readings.records[i].offset;
    if (offset <= (stored.get(key) ?? -1)) continue;
    const temperature = readings.temperature[i];
    const z = judged.doubles.temperature_z_score[i];
    summaries.set(key, addToMinuteSummary(summaries.get(key), {
      sensor_id: readings.sensorId(i),
      ts: readings.ts[i],
      anomaly_classification: judged.anomaly_classification[i],
      temperature: temperature !== temperature ? null : temperature,
      temperature_z_score: z !== z ? null : z,
      kafka_offset: offset,
    }));
    changed.add(key);
  }
  return [...changed].map((k) => summaries.get(k) as MinuteSummary);
}
