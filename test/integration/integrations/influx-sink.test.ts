import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort, InfluxJudgedReadingSink, influxSinkFrom, type InfluxSinkOptions } from '../../../shared/adapters/index.js';
import { ingestBatch } from '../../../shared/ingest/index.js';
import type { EnrichedReading } from '../../../shared/judgment/index.js';
import type { JudgedReadingSink } from '../../../shared/ports/index.js';
import { mskEventFactory, readingFactory, recordsFor, T0 } from '../../helpers/factories.js';
import { testEnvironment } from '../../helpers/stores.js';
import { RECORDED, startRecordedInflux, type RecordedInflux } from './recorded-influx.js';

function judged(n: number, first = 0): EnrichedReading[] {
  return Array.from({ length: n }, (_, i) => ({
    sensor_id: `pump-${i % 4}`, ts: T0 + (first + i) * 1000, temperature: 20 + i, pressure: 101, vibration: 0.4, status: 'OK',
    kafka_topic: 'sensor_readings', kafka_partition: 0, kafka_offset: first + i, late: false, anomaly_classification: 'NORMAL',
    temperature_z_score: 0.5, anomaly_score: 0.1, predictive_failure_risk: 0.1,
  }) as EnrichedReading);
}

describe('InfluxDB sink against recorded InfluxDB responses', () => {
  let influx: RecordedInflux;
  const metrics: Record<string, number> = {};
  const sink = (options: Partial<InfluxSinkOptions> = {}) =>
    new InfluxJudgedReadingSink({
      url: influx.url, token: RECORDED.token, org: RECORDED.org, bucket: RECORDED.bucket, batchSize: 100, flushIntervalMs: 20,
      retryDelayMs: 10, onMetric: (name, v) => void (metrics[name] = (metrics[name] ?? 0) + v), ...options,
    });

  beforeAll(async () => {
    influx = await startRecordedInflux();
  });
  afterAll(() => influx.close());
  beforeEach(() => {
    influx.writes.length = 0;
    influx.writeReplies = [];
    for (const k of Object.keys(metrics)) delete metrics[k];
  });

  it('writes judged readings as line protocol in batches, with millisecond precision', async () => {
    const s = sink();
    s.offer(judged(250), []);
    expect(await s.flush(5000)).toBe(true);
    expect(influx.writes.map((w) => w.lines.length)).toEqual([100, 100, 50]);
    expect(influx.writes[0].query.get('precision')).toBe('ms');
    expect(influx.writes[0].query.get('bucket')).toBe(RECORDED.bucket);
    expect(influx.writes[0].lines[0]).toBe(
      `tideline_readings,sensor_id=pump-0 anomaly_classification="NORMAL",anomaly_score=0.1,kafka_offset=0i,late=F,predictive_failure_risk=0.1,pressure=101,status="OK",temperature=20,temperature_z_score=0.5,vibration=0.4 ${T0}`,
    );
    expect(s.stats).toMatchObject({ offered: 250, written: 250, dropped: 0, buffered: 0 });
    expect(metrics).toEqual({ InfluxSinkWritten: 250 });
  });

  it('retries a write the server turns away for now, honouring Retry-After', async () => {
    influx.writeReplies = [
      { status: 503, body: { code: 'unavailable', message: 'service unavailable' }, headers: { 'retry-after': '0' } },
      { status: 429, body: { code: 'too many requests', message: 'write limit exceeded' } },
    ];
    const s = sink();
    s.offer(judged(30), []);
    expect(await s.flush(5000)).toBe(true);
    expect(s.stats).toMatchObject({ written: 30, dropped: 0, writeErrors: 2, retries: 2, lastError: null });
    expect(influx.writes).toHaveLength(1);
  });

  it('drops and counts a batch InfluxDB refuses for good, naming the setting to fix', async () => {
    const s = sink({ token: 'wrong' });
    s.offer(judged(10), []);
    await s.flush(2000);
    expect(s.stats).toMatchObject({ offered: 10, written: 0, dropped: 10, retries: 0 });
    expect(s.stats.lastError?.setting).toBe('INFLUX_TOKEN');
    expect(s.stats.lastError?.message).toContain('InfluxDB refused the token (401: unauthorized access)');
    expect(metrics).toEqual({ InfluxSinkWriteErrors: 1, InfluxSinkDropped: 10 });
  });

  it('holds at most maxBufferLines while the server hangs, dropping the oldest and counting them', async () => {
    influx.writeReplies = ['hang'];
    const s = sink({ maxBufferLines: 500, batchSize: 100, timeoutMs: 60_000 });
    for (let i = 0; i < 20; i++) s.offer(judged(100, i * 100), []);
    // The first batch of 100 is in flight; the buffer never passes its bound.
    expect(s.stats.buffered).toBeLessThanOrEqual(500);
    expect(s.stats.offered).toBe(2000);
    expect(s.stats.inFlight).toBe(100);
    expect(s.stats.dropped + s.stats.buffered + s.stats.inFlight).toBe(2000);
    expect(metrics.InfluxSinkDropped).toBe(s.stats.dropped);
    const stats = await s.close(50);
    expect(stats.buffered).toBe(0);
    expect(stats.dropped + stats.inFlight).toBe(2000);
    s.offer(judged(3), []);
    expect(s.stats).toMatchObject({ offered: 2003, dropped: 1903 });
  });

  it('names INFLUX_URL when no server answers, and keeps counting', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const s = sink({ url, maxRetries: 1 });
    s.offer(judged(5), []);
    await s.flush(2000);
    expect(s.stats).toMatchObject({ dropped: 5, written: 0, retries: 1 });
    expect(s.stats.lastError?.message).toBe(`INFLUX_URL: cannot reach InfluxDB at ${url} (ECONNREFUSED); check INFLUX_URL and that the server runs`);
  });

  it('is configured from the environment only when INFLUX_SINK_BUCKET is set', () => {
    expect(influxSinkFrom({ INFLUX_URL: influx.url })).toBeNull();
    expect(influxSinkFrom({ INFLUX_URL: influx.url, INFLUX_ORG: 'o', INFLUX_SINK_BUCKET: 'b' })).toBeInstanceOf(InfluxJudgedReadingSink);
    expect(() => influxSinkFrom({ INFLUX_URL: 'localhost:8086', INFLUX_ORG: 'o', INFLUX_SINK_BUCKET: 'b' })).toThrow('INFLUX_URL: "localhost:8086" is not a URL');
    expect(() => influxSinkFrom({ INFLUX_URL: influx.url, INFLUX_SINK_BUCKET: 'b' })).toThrow('INFLUX_ORG: is required and not set');
  });
});

describe('the executor offering judged readings to sinks (DynamoDB Local, recorded InfluxDB responses)', () => {
  let influx: RecordedInflux;
  beforeAll(async () => {
    influx = await startRecordedInflux();
  });
  afterAll(() => influx.close());

  it('writes each applied reading once, after the mark is committed', async () => {
    const env = await testEnvironment();
    const sink = new InfluxJudgedReadingSink({ url: influx.url, token: RECORDED.token, org: RECORDED.org, bucket: RECORDED.bucket, flushIntervalMs: 10 });
    const ports = { ...env.ports, sinks: [sink] };
    const readings = Array.from({ length: 12 }, (_, i) => readingFactory({ sensor_id: `sensor-${i % 3}`, ts: T0 + i * 1000 }));
    const event = mskEventFactory(recordsFor(readings, { firstOffset: 100 }));
    const result = await ingestBatch(event, ports, env.config);
    expect(result.processed).toBe(12);
    await ingestBatch(event, ports, env.config); // a redelivery applies nothing and offers nothing
    expect(await sink.flush(5000)).toBe(true);
    const lines = influx.writes.flatMap((w) => w.lines);
    expect(lines).toHaveLength(12);
    expect(lines.every((l) => /^tideline_readings,sensor_id=sensor-\d anomaly_classification="INSUFFICIENT_HISTORY",/.test(l))).toBe(true);
    const mark = await env.ports.state.getPartitionMark('sensor_readings', 0);
    expect(mark?.hwm).toBe(111);
  });

  it('ingests as usual when the sink cannot reach InfluxDB or throws', async () => {
    const env = await testEnvironment();
    const unreachable = new InfluxJudgedReadingSink({ url: `http://127.0.0.1:${await freePort()}`, org: 'o', bucket: 'b', maxRetries: 0, flushIntervalMs: 10 });
    const broken: JudgedReadingSink = { offer: () => { throw new Error('a sink that breaks its contract'); } };
    const ports = { ...env.ports, sinks: [broken, unreachable] };
    const result = await ingestBatch(mskEventFactory(recordsFor([readingFactory({ ts: T0 }), readingFactory({ ts: T0 + 1000 })])), ports, env.config);
    expect(result.processed).toBe(2);
    await unreachable.flush(2000);
    expect(unreachable.stats).toMatchObject({ offered: 2, dropped: 2, written: 0 });
    expect((await env.ports.state.getPartitionMark('sensor_readings', 0))?.hwm).toBe(1);
  });
});
