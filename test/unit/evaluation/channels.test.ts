import { describe, expect, it } from 'vitest';
import { loadTidelineConfig } from '../../../shared/config/index.js';
import {
  ALERT_KIND,
  alertTriggered,
  DEFAULT_JUDGMENT_CONFIG,
  emptyWindow,
  ENRICHED_COLUMNS,
  judgeReading,
  SensorContext,
} from '../../../shared/judgment/index.js';
import { parseReading, RecordValidationError, type Reading } from '../../../shared/readings/index.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
import type { CoMoments } from '../../../shared/stats/index.js';
import { gaussian, prng, readingFactory, T0 } from '../../helpers/factories.js';

const origin = (offset: number) => ({ topic: 'sensor_readings', partition: 0, offset, timestamp: T0 });

/** 400 one-second readings: flow ~ 32 ± 0.4, temperature drifting up 0.01 °/s, other metrics steady. */
function history(): Reading[] {
  const rand = prng(7);
  return Array.from({ length: 400 }, (_, i) => ({
    ...readingFactory({ ts: T0 + i * 1000, temperature: 70 + 0.01 * i + 0.1 * gaussian(rand), pressure: 1 + 0.05 * gaussian(rand), vibration: 0.03 + 0.002 * gaussian(rand) }),
    channels: { Flow: 32 + 0.4 * gaussian(rand) },
  }));
}

describe('extra channels on a reading', () => {
  it('reads channels as name → number, dropping nulls, and leaves readings without them unchanged', () => {
    expect(parseReading({ sensor_id: 's', ts: T0, channels: { Flow: 31.5, Current: null } }, 0).channels).toEqual({ Flow: 31.5 });
    expect('channels' in parseReading({ sensor_id: 's', ts: T0 }, 0)).toBe(false);
    expect('channels' in parseReading({ sensor_id: 's', ts: T0, channels: { Current: null } }, 0)).toBe(false);
  });

  it.each([
    [{ channels: [1, 2] }, 'channels must be an object of name → number, got an array'],
    [{ channels: { 'Flow Rate': 1 } }, `channel name "Flow Rate" must be a letter then up to 63 letters, digits or '_', and not one of temperature, pressure, vibration`],
    [{ channels: { temperature: 1 } }, 'channel name "temperature" must be'],
    [{ channels: { Flow: 'high' } }, 'channels.Flow must be a finite number or null, got "high"'],
  ])('rejects %j with a reason', (extra, message) => {
    const read = () => parseReading({ sensor_id: 's', ts: T0, ...extra }, 0);
    expect(read).toThrow(RecordValidationError);
    expect(read).toThrow(message);
  });
});

describe('the channel profile and the channel score', () => {
  const h = history();
  const asOf = T0 + 400_000;
  const reflection = reflectionFromReadings('sensor-1', 'v1', h, asOf);
  const lag1 = (m: CoMoments) => m.c[1] / Math.sqrt(m.c[0] * m.c[3]);

  it('keeps level, spread, trend and steps of every measurement only for sensors that report channels', () => {
    const channels = reflection.profile?.channels ?? {};
    expect(Object.keys(channels).sort()).toEqual(['Flow', 'pressure', 'temperature', 'vibration']);
    // Temperature: the slope of (time, value) is 0.01 °/s = 1e-5 °/ms.
    const t = channels.temperature;
    expect(t.n).toBe(400);
    expect(t.c[1] / t.c[0]).toBeCloseTo(1e-5, 6);
    const steps = reflection.profile?.channelSteps ?? {};
    expect(Object.keys(steps).sort()).toEqual(['Flow', 'pressure', 'temperature', 'vibration']);
    // 400 values make 399 (previous, value) pairs; flow is noise (lag-1 ≈ 0), temperature persistent.
    expect(steps.Flow.n).toBe(399);
    expect(Math.abs(lag1(steps.Flow))).toBeLessThan(0.2);
    expect(lag1(steps.temperature)).toBeGreaterThan(0.9);
    const plain = reflectionFromReadings('sensor-1', 'v1', h.map(({ channels: _, ...r }) => r), asOf);
    expect(plain.profile && 'channels' in plain.profile).toBe(false);
    expect(plain.profile && 'channelSteps' in plain.profile).toBe(false);
  });

  it('pairs values in event-time order whatever order the readings come in', () => {
    // Newest first, and every 7th reading moved to the end.
    const reordered = [...h.filter((_, i) => i % 7 !== 0).reverse(), ...h.filter((_, i) => i % 7 === 0)];
    expect(reflectionFromReadings('sensor-1', 'v1', reordered, asOf).profile?.channelSteps).toEqual(reflection.profile?.channelSteps);
  });

  function judgeSeries(readings: Reading[]) {
    const context = new SensorContext(reflection, DEFAULT_JUDGMENT_CONFIG.minHistory);
    const window = emptyWindow();
    return readings.map((r, i) => judgeReading(r, origin(i), context, window, DEFAULT_JUDGMENT_CONFIG));
  }

  /** Readings after the history: temperature continuing its drift, flow as given. */
  const after = (count: number, flow: (i: number) => number, temperature = (i: number) => 74 + 0.01 * i) =>
    Array.from({ length: count }, (_, i) => ({
      ...readingFactory({ ts: asOf + i * 1000, temperature: temperature(i), pressure: 1, vibration: 0.03 }),
      channels: { Flow: flow(i) },
    }));

  it('alerts when one channel shifts, and names it', () => {
    const rows = judgeSeries(after(60, (i) => (i < 20 ? 32 : 29)));
    expect(rows[10].alert_open).toBe(false);
    expect(rows[59].channel_score_channel).toBe('Flow');
    // The mean of 10 readings at 29 against 32 ± 0.4/√10: about 24 standard errors.
    expect(rows[59].channel_score).toBeGreaterThan(20);
    expect(rows[59].alert_open).toBe(true);
    expect(JSON.parse(rows[59].channels as string)).toEqual({ Flow: 29 });
  });

  it('judges a stationary measurement by its 10-reading mean: a lasting 2 σ shift alerts, one outlier does not', () => {
    const rows = judgeSeries(after(60, (i) => (i === 20 ? 29 : i < 40 ? 32 : 31.2)));
    // One reading 7.5 σ low moves the mean of 10 by 0.3, about 2.4 standard errors.
    expect(rows.slice(0, 40).every((r) => r.alert_open === false)).toBe(true);
    expect(rows[20].channel_score_channel).toBe('Flow');
    expect(rows[20].channel_score).toBeLessThan(DEFAULT_JUDGMENT_CONFIG.channelCriticalZ);
    // 0.8 below the mean (2 σ) for 10 readings: about 6 standard errors.
    expect(rows[49].channel_score).toBeGreaterThan(DEFAULT_JUDGMENT_CONFIG.channelCriticalZ);
    expect(rows[59].alert_open).toBe(true);
  });

  it('judges a persistent measurement by its steps: a level far beyond its history is normal, a jump alerts', () => {
    // Temperature keeps rising at 0.01 °/s for 5 more minutes: 3 more degrees (≈ 26 of its 0.115 σ),
    // but in steps like those of its history.
    const drift = judgeSeries(after(300, () => 32));
    expect(drift.every((r) => r.alert_open === false)).toBe(true);
    // The use case's own column still says CRITICAL: only the alert rule changes for channel sensors.
    expect(drift[299].anomaly_classification).toBe('CRITICAL_ANOMALY');

    // A 3 ° jump within one reading: a change over 10 steps of about 7 times what 10 steps of its
    // history moved. The alert closes once the jump has left the 10 steps, the level staying up.
    const jump = judgeSeries(after(60, () => 32, (i) => 74 + 0.01 * i + (i >= 30 ? 3 : 0)));
    expect(jump[29].alert_open).toBe(false);
    expect(jump[30].channel_score_channel).toBe('temperature');
    expect(jump[30].alert_opened).toBe(true);
    expect(jump[59].alert_open).toBe(false);
  });

  it('opens on the channel critical z, which the environment may set', () => {
    const row = judgeSeries(after(1, () => 32))[0];
    const config = { ...DEFAULT_JUDGMENT_CONFIG, channelCriticalZ: 4 };
    expect(alertTriggered(ALERT_KIND.ANOMALY, { ...row, channel_score: 4.1 }, config)).toBe(true);
    expect(alertTriggered(ALERT_KIND.ANOMALY, { ...row, channel_score: 3.9 }, config)).toBe(false);
    expect(DEFAULT_JUDGMENT_CONFIG.channelCriticalZ).toBe(5);
    expect(loadTidelineConfig({ TIDELINE_CHANNEL_CRITICAL_Z: '4' }).judgment.channelCriticalZ).toBe(4);
    expect(loadTidelineConfig({}).judgment.channelCriticalZ).toBe(5);
  });

  it('adds its columns at the end of the lake schema', () => {
    expect(ENRICHED_COLUMNS.slice(-5).map(([name]) => name)).toEqual(['alert_open', 'alert_opened', 'channels', 'channel_score', 'channel_score_channel']);
  });
});
