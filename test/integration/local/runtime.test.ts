import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../shared/adapters/index.js';
import { startLocalRuntime, type LocalRuntime } from '../../../infra/local/runtime.js';
import { SensorSimulator } from '../../../infra/local/simulator.js';
import { PortInUseError } from '../../../infra/local/stores.js';
import { api, waitFor } from './helpers.js';

let runtime: LocalRuntime;
const lines: string[] = [];

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tideline-e2e-'));
  // The simulator's sensors with 30 days of history, but no simulated live traffic: the test is the producer.
  runtime = await startLocalRuntime({
    env: { ...process.env, TIDELINE_DATA_DIR: dataDir, POWERTOOLS_METRICS_DISABLED: 'true' },
    settings: { port: 0, sensors: 5, rate: 0, backfillDays: 30, batchingWindowMs: 20, refreshIntervalS: 0, compactionIntervalS: 0 },
    log: (l) => lines.push(l),
    tty: false,
  });
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
});

describe('the local runtime, end to end', () => {
  it('answers GET /health without a key and refuses the API without one', async () => {
    expect((await fetch(`${runtime.url}/health`)).status).toBe(200);
    const res = await fetch(`${runtime.url}/alerts`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/x-api-key/);
    const produce = await fetch(`${runtime.url}/topics/sensor_readings`, { method: 'POST', body: '{"records": []}' });
    expect(produce.status).toBe(401);
  });

  it('judges produced readings against their hour-of-day history, queryable through the API, and dead-letters malformed ones', async () => {
    const sim = new SensorSimulator({ sensors: 5, seed: 42 });
    const now = Date.now();
    const normal = sim.sensorIds.map((id, i) => ({ ...sim.reading(i, now - 1000 * (5 - i)).reading, ts: new Date(now - 1000 * (5 - i)).toISOString() }));
    // sensor-00001 at 100 °C: far outside any band the simulator's history has.
    const spike = { sensor_id: 'sensor-00001', ts: new Date(now).toISOString(), temperature: 100, pressure: 140, vibration: 0.9, status: 'OK' };
    const malformed = [
      { key: 'sensor-00002', value: '{"sensor_id": "sensor-00002", "ts": "yesterday", "temperature": 20}' },
      { key: 'sensor-00003', value: '{"sensor_id": "sensor-00003", "ts": "2026-01-01T00:00:00Z", "status": "BROKEN"}' },
      { key: 'sensor-00004', value: '{"sensor_id": "sensor-00004", "temperature": 21' },
    ];
    const produced = await api<{ offsets: { partition: number; offset: number }[] }>(runtime, 'POST', '/topics/sensor_readings', {
      records: [...normal.map((r) => ({ key: r.sensor_id, value: r })), { key: spike.sensor_id, value: spike }, ...malformed],
    });
    expect(produced.offsets).toHaveLength(9);

    type Row = Record<string, number | string | null>;
    const query = { select: 'rows', sensors: sim.sensorIds, from: now - 60_000, to: now + 60_000, limit: 100 };
    const rows = await waitFor(async () => {
      const r = await api<{ rows: Row[] }>(runtime, 'POST', '/query', query);
      return r.rows.length >= 6 ? r.rows : null;
    }, 30_000);
    expect(rows).toHaveLength(6);

    for (const row of rows) {
      // The judgment follows from the sensor's hour-of-day band, as GET /sensors/{id} reports it.
      const sensor = await api<{ normal_for_this_hour: { hour_of_day: number; temperature: { mean: number; stddev: number; count: number } } }>(
        runtime, 'GET', `/sensors/${row.sensor_id}`,
      );
      const band = sensor.normal_for_this_hour.temperature;
      expect(band.count).toBeGreaterThanOrEqual(30);
      expect(row.avg_temp_historical).toBeCloseTo(band.mean, 9);
      const z = Math.abs((row.temperature as number) - band.mean) / band.stddev;
      expect(row.temperature_z_score).toBeCloseTo(z, 9);
      expect(row.anomaly_classification).toBe(z > 3 ? 'CRITICAL_ANOMALY' : z > 2 ? 'WARNING' : 'NORMAL');
    }
    const spiked = rows.find((r) => r.temperature === 100);
    expect(spiked).toMatchObject({ sensor_id: 'sensor-00001', anomaly_classification: 'CRITICAL_ANOMALY' });

    const alerts = await api<{ open: { sensor_id: string; kind: string; reading: { temperature: number } }[] }>(runtime, 'GET', '/alerts');
    expect(alerts.open).toContainEqual(expect.objectContaining({ sensor_id: 'sensor-00001', kind: 'ANOMALY', reading: expect.objectContaining({ temperature: 100 }) }));

    const deadLetters = await waitFor(async () => {
      const scan = await documentClient(runtime.stores.dynamo).send(new ScanCommand({ TableName: runtime.stores.config.tables.deadLetters }));
      return (scan.Items?.length ?? 0) >= 3 ? scan.Items! : null;
    }, 10_000);
    const reasons = deadLetters.map((d) => String(d.reason));
    expect(reasons.some((r) => /status "BROKEN" is not one of OK, DEGRADED, FAILED/.test(r))).toBe(true);
    expect(reasons.some((r) => /yesterday/.test(r))).toBe(true);
    expect(reasons.some((r) => /JSON/i.test(r))).toBe(true);
    const offsetsOfMalformed = produced.offsets.slice(6).map((o) => `${o.partition}:${o.offset}`).sort();
    expect(deadLetters.map((d) => `${d.partition}:${d.offset}`).sort()).toEqual(offsetsOfMalformed);

    const status = await api<{ executor: { processed: number; deadLetters: number }; stream: { lag: number } }>(runtime, 'GET', '/local/status');
    expect(status.executor).toMatchObject({ processed: 6, deadLetters: 3 });
    expect(status.stream.lag).toBe(0);
  });

  it('refuses a produce it cannot read, saying what to send', async () => {
    const bad = await fetch(`${runtime.url}/topics/sensor_readings`, { method: 'POST', headers: { 'x-api-key': runtime.apiKey }, body: '{"records": 5}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^the body must have a "records" array/);
    const unknown = await fetch(`${runtime.url}/topics/orders`, { method: 'POST', headers: { 'x-api-key': runtime.apiKey }, body: '{"records": []}' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe('topic "orders" is not one Tideline reads: use sensor_readings or device_status');
  });

  it('refuses to start on a taken port, naming the setting that moves it', async () => {
    const port = Number(new URL(runtime.url).port);
    const dataDir = await mkdtemp(join(tmpdir(), 'tideline-e2e-'));
    const second = startLocalRuntime({ env: { ...process.env, TIDELINE_DATA_DIR: dataDir }, settings: { port }, log: () => undefined });
    await expect(second).rejects.toThrow(PortInUseError);
    await expect(second).rejects.toThrow(`port ${port} on 127.0.0.1 is taken (another Tideline, or another program): stop it, or set TIDELINE_PORT to a free port`);
  });
});
