import { performance } from 'node:perf_hooks';
import { DuckDBInstance, DuckDBTimestampValue, type DuckDBConnection } from '@duckdb/node-api';
import { decodeRecords, judgeReadings } from '../../shared/ingest/index.js';
import {
  DEFAULT_JUDGMENT_CONFIG,
  emptyWindow,
  fixedViewsSql,
  SensorContext,
  type SensorWindow,
} from '../../shared/judgment/index.js';
import { partitionBatches, toMskEvent, type MskEvent, type Reading } from '../../shared/readings/index.js';
import { reflectionFromReadings, type SensorReflection } from '../../shared/reflections/index.js';
import { sampleCovariance, sampleStddev } from '../../shared/stats/index.js';
import { SensorSimulator } from '../local/simulator.js';
import { figure, HeapPeak, type Benchmark } from './benchmark.js';

const DAY = 86_400_000;
const RECORDS = 10_000;

/** A 10,000-record MSK event, JSON-parsed as Lambda hands it over, and the reflections of its sensors. */
function workload(sensors: number): { event: MskEvent; reflections: SensorReflection[] } {
  const sim = new SensorSimulator({ sensors, seed: 7 });
  const now = Date.UTC(2026, 10, 25, 12);
  const bySensor = new Map<string, Reading[]>();
  for (const r of sim.history(now - 30 * DAY, now, 3_600_000)) {
    let list = bySensor.get(r.sensor_id);
    if (!list) bySensor.set(r.sensor_id, (list = []));
    list.push(r);
  }
  const reflections = [...bySensor].map(([id, list]) => reflectionFromReadings(id, 'bench', list, now));
  const perSensor = RECORDS / sensors;
  const records = [];
  for (let i = 0; i < perSensor; i++) {
    for (let s = 0; s < sensors; s++) {
      const { reading } = sim.reading(s, now + i * 1000);
      records.push({ topic: 'sensor_readings', partition: s % 8, offset: i * sensors + s, timestamp: reading.ts, key: reading.sensor_id, value: JSON.stringify(reading) });
    }
  }
  // Through JSON, as the Lambda runtime delivers it.
  return { event: JSON.parse(JSON.stringify(toMskEvent(records))) as MskEvent, reflections };
}

/** Decode → validate → every enriched column, as the executor does, with warm contexts and no I/O. */
function judgeEvent(event: MskEvent, contexts: Map<string, SensorContext>): number {
  let judged = 0;
  for (const batch of partitionBatches(event)) {
    const decoded = decodeRecords(batch.records);
    const windows = new Map<string, SensorWindow>(decoded.readings.sensors.map((id) => [id, emptyWindow()]));
    judged += judgeReadings(decoded.readings, (id) => contexts.get(id) as SensorContext, windows, DEFAULT_JUDGMENT_CONFIG).judged.length;
  }
  return judged;
}

/** The profile tables fixedViewsSql joins with, filled from the same reflections the executor uses. */
async function loadProfiles(conn: DuckDBConnection, reflections: SensorReflection[]): Promise<void> {
  await conn.run(`
    CREATE TABLE hour_profile (sensor_id VARCHAR, h INTEGER, n BIGINT, mean DOUBLE, sd DOUBLE, max_p DOUBLE);
    CREATE TABLE week_profile (sensor_id VARCHAR, how INTEGER, n BIGINT, mean DOUBLE, sd DOUBLE);
    CREATE TABLE sensor_profile (sensor_id VARCHAR, n_t BIGINT, mean_t DOUBLE, sd_t DOUBLE, n_v BIGINT, sd_v DOUBLE, p95 DOUBLE,
      day_avg DOUBLE, night_avg DOUBLE, failures BIGINT, last_failure BIGINT);
    CREATE TABLE sensor_vector (sensor_id VARCHAR, n BIGINT, m0 DOUBLE, m1 DOUBLE, m2 DOUBLE,
      c00 DOUBLE, c01 DOUBLE, c02 DOUBLE, c11 DOUBLE, c12 DOUBLE, c22 DOUBLE);
    CREATE TABLE live (sensor_id VARCHAR, ts TIMESTAMP, temperature DOUBLE, pressure DOUBLE, vibration DOUBLE, status VARCHAR, kafka_offset BIGINT);`);
  const values = (xs: (string | number | null)[]) => `(${xs.map((x) => (x === null ? 'NULL' : typeof x === 'string' ? `'${x}'` : String(x))).join(',')})`;
  const hours: string[] = [], weeks: string[] = [], profiles: string[] = [], vectors: string[] = [];
  for (const r of reflections) {
    r.hourOfDay.forEach((h, i) => h && hours.push(values([r.sensorId, i, h.temperature.n, h.temperature.n ? h.temperature.mean : null, sampleStddev(h.temperature), h.maxPressure])));
    r.hourOfWeek.forEach((w, i) => w && weeks.push(values([r.sensorId, i, w.n, w.mean, sampleStddev(w)])));
    const p = r.profile;
    if (!p) continue;
    profiles.push(values([r.sensorId, p.temperature.n, p.temperature.mean, sampleStddev(p.temperature), p.vibration.n, sampleStddev(p.vibration), p.pressureP95,
      p.dayTemperature.n ? p.dayTemperature.mean : null, p.nightTemperature.n ? p.nightTemperature.mean : null, p.failureCount, p.lastFailureTs]));
    const c = sampleCovariance(p.vector);
    if (c) vectors.push(values([r.sensorId, p.vector.n, ...p.vector.mean, c[0], c[1], c[2], c[4], c[5], c[8]]));
  }
  for (const [table, rows] of [['hour_profile', hours], ['week_profile', weeks], ['sensor_profile', profiles], ['sensor_vector', vectors]] as const) {
    if (rows.length) await conn.run(`INSERT INTO ${table} VALUES ${rows.join(',')}`);
  }
}

/** DuckDB given the same event: decode and append the readings, run both fixed views, materialise the rows. */
async function judgeEventInDuckDb(conn: DuckDBConnection, event: MskEvent, sql: string): Promise<number> {
  await conn.run('DELETE FROM live');
  const appender = await conn.createAppender('live');
  for (const records of Object.values(event.records)) {
    for (const r of records) {
      const x = JSON.parse(Buffer.from(r.value as string, 'base64').toString('utf8')) as Reading;
      appender.appendVarchar(x.sensor_id);
      appender.appendTimestamp(new DuckDBTimestampValue(BigInt(x.ts) * 1000n));
      for (const v of [x.temperature, x.pressure, x.vibration]) v === null ? appender.appendNull() : appender.appendDouble(v);
      appender.appendVarchar(x.status);
      appender.appendBigInt(BigInt(r.offset));
      appender.endRow();
    }
  }
  appender.closeSync();
  const result = await conn.runAndReadAll(sql);
  return result.getRows().length;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export default {
  title: 'executor: a 10,000-record MSK event judged in memory, beside DuckDB (1 thread) running the fixed views',
  async run({ quick, log }) {
    const { event, reflections } = workload(quick ? 500 : 1000);
    const contexts = new Map(reflections.map((r) => [r.sensorId, new SensorContext(r, DEFAULT_JUDGMENT_CONFIG.minHistory)]));
    const runs = quick ? 10 : 40;

    for (let i = 0; i < 3; i++) judgeEvent(event, contexts); // warm-up (JIT, inverse covariances)
    const heap = new HeapPeak();
    const ours: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const n = judgeEvent(event, contexts);
      ours.push(performance.now() - t);
      heap.sample();
      if (n !== RECORDS) throw new Error(`judged ${n} of ${RECORDS} readings`);
    }
    const peakHeapMb = heap.stop();

    const conn = await (await DuckDBInstance.create(':memory:', { threads: '1' })).connect();
    await loadProfiles(conn, reflections);
    const sql = fixedViewsSql(DEFAULT_JUDGMENT_CONFIG);
    for (let i = 0; i < 2; i++) await judgeEventInDuckDb(conn, event, sql);
    const duck: number[] = [];
    for (let i = 0; i < Math.max(3, runs / 4); i++) {
      const t = performance.now();
      const n = await judgeEventInDuckDb(conn, event, sql);
      duck.push(performance.now() - t);
      if (n !== RECORDS) throw new Error(`DuckDB judged ${n} of ${RECORDS} readings`);
    }
    const oursMs = median(ours);
    const duckMs = median(duck);
    log(`  ours ${oursMs.toFixed(1)} ms, DuckDB ${duckMs.toFixed(1)} ms per 10,000-record event (medians)`);
    return [
      figure('executor.readings_per_s', RECORDS / (oursMs / 1000)),
      figure('executor.vs_duckdb', oursMs / duckMs),
      figure('executor.peak_heap_mb', peakHeapMb),
    ];
  },
} satisfies Benchmark;
