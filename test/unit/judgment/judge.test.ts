import { describe, expect, it } from 'vitest';
import {
  compositeAnomalyScore,
  DEFAULT_JUDGMENT_CONFIG,
  emptyWindow,
  judgeReading,
  predictiveFailureRisk,
  SensorContext,
  updateAlerts,
  type SensorWindow,
} from '../../../shared/judgment/index.js';
import { hourOfDay, hourOfWeek, reflectionFromReadings, type SensorReflection } from '../../../shared/reflections/index.js';
import type { Reading } from '../../../shared/readings/index.js';
import { readingFactory, T0 } from '../../helpers/factories.js';

const DAY = 86_400_000;
const origin = (offset: number) => ({ topic: 'sensor_readings', partition: 0, offset, timestamp: T0 });

/** 30 days of history at 10-minute steps: temperature 20 ± 1 alternating, so μ = 20 and σ ≈ 1 for every hour. */
function history(overrides: Partial<Reading> = {}): SensorReflection {
  const readings: Reading[] = [];
  for (let ts = T0 - 30 * DAY, i = 0; ts < T0; ts += 600_000, i++) {
    readings.push(readingFactory({ ts, temperature: i % 2 ? 21 : 19, pressure: 100 + (i % 3), vibration: 0.5 + (i % 5) * 0.01, ...overrides }));
  }
  return reflectionFromReadings('sensor-1', 'v1', readings, T0);
}

function judge(reading: Reading, reflection: SensorReflection | null, window: SensorWindow = emptyWindow(), offset = 0) {
  return judgeReading(reading, origin(offset), new SensorContext(reflection, DEFAULT_JUDGMENT_CONFIG.minHistory), window, DEFAULT_JUDGMENT_CONFIG);
}

describe('judgeReading', () => {
  const reflection = history();
  const sd = reflection.hourOfDay[0]!.temperature;
  const sigma = Math.sqrt(sd.m2 / (sd.n - 1));

  it('flags a reading 4σ above its hour-of-day mean as CRITICAL_ANOMALY', () => {
    const row = judge(readingFactory({ temperature: 20 + 4 * sigma }), reflection);
    expect(row.anomaly_classification).toBe('CRITICAL_ANOMALY');
    expect(row.temperature_z_score).toBeCloseTo(4, 9);
    expect(row.temp_deviation).toBeCloseTo(4 * sigma, 9);
  });

  it('calls 2.5σ a WARNING and 1σ NORMAL', () => {
    expect(judge(readingFactory({ temperature: 20 - 2.5 * sigma }), reflection).anomaly_classification).toBe('WARNING');
    expect(judge(readingFactory({ temperature: 20 + sigma }), reflection).anomaly_classification).toBe('NORMAL');
  });

  it('says INSUFFICIENT_HISTORY, never NORMAL, with no history, zero spread or no temperature', () => {
    expect(judge(readingFactory(), null).anomaly_classification).toBe('INSUFFICIENT_HISTORY');
    const flat = history({ temperature: 20 });
    const row = judge(readingFactory({ temperature: 25 }), flat);
    expect(row.anomaly_classification).toBe('INSUFFICIENT_HISTORY');
    expect(row.temperature_z_score).toBeNull();
    expect(row.z_score).toBeNull();
    expect(judge(readingFactory({ temperature: null }), reflection).anomaly_classification).toBe('INSUFFICIENT_HISTORY');
  });

  it('compares with the same hour of day, not the same hour', () => {
    const row = judge(readingFactory({ ts: T0 + 5 * 3_600_000 }), reflection);
    expect(row.hour_of_day).toBe(5);
    expect(row.reading_count).toBe(reflection.hourOfDay[5]!.temperature.n);
  });

  it('measures the rate of change per minute of elapsed time over the last 5 readings', () => {
    const window = emptyWindow();
    let row;
    for (let i = 0; i <= 5; i++) row = judge(readingFactory({ ts: T0 + i * 30_000, temperature: 20 + i }), reflection, window, i);
    // 5 degrees over 2.5 minutes
    expect(row!.temp_rate_of_change).toBeCloseTo(2, 12);
  });

  it('judges a late reading against history but leaves the window where it was', () => {
    const window = emptyWindow();
    judge(readingFactory({ ts: T0 + 60_000 }), reflection, window, 0);
    const before = structuredClone(window);
    const late = judge(readingFactory({ ts: T0, temperature: 30 }), reflection, window, 1);
    expect(late.late).toBe(true);
    expect(late.anomaly_classification).toBe('CRITICAL_ANOMALY');
    expect(late.temp_ma_5min).toBeNull();
    expect(window.ts).toEqual(before.ts);
    expect(window.lastTs).toBe(before.lastTs);
  });

  it('uses only the metrics a reading carries for the Mahalanobis distance', () => {
    const full = judge(readingFactory({ temperature: 20, pressure: 101, vibration: 0.52 }), reflection);
    const tempOnly = judge(readingFactory({ temperature: 22, pressure: null, vibration: null }), reflection);
    expect(full.mahalanobis_distance).not.toBeNull();
    const t = reflection.profile!.vector;
    const varT = t.c[0] / (t.n - 1);
    expect(tempOnly.mahalanobis_distance).toBeCloseTo(Math.abs(22 - t.mean[0]) / Math.sqrt(varT), 9);
  });

  it('compares today with the same part of the day: night readings with the night mean', () => {
    const row = judge(readingFactory({ ts: T0 + 2 * 3_600_000, temperature: 22 }), reflection);
    expect(row.temp_seasonal_deviation).toBeCloseTo((22 - row.night_temp_avg!) / row.night_temp_avg!, 12);
  });
});

describe('scores', () => {
  it('gives the use case sigmoid, with missing indicators counting zero and no score without history', () => {
    expect(compositeAnomalyScore(null, null, 5, null)).toBeNull();
    expect(compositeAnomalyScore(5, 3, 10, 10)).toBeCloseTo(1 / (1 + Math.exp(-2.5)), 12);
    expect(compositeAnomalyScore(0, null, null, null)).toBeCloseTo(1 / (1 + Math.exp(2.5)), 12);
  });

  it('compares vibration spread with vibration history (like with like)', () => {
    expect(predictiveFailureRisk(0, 0, 0.3, 0.1, 20, 20, 1)).toBe(0.7);
    expect(predictiveFailureRisk(0, 0, 0.3, 0.2, 20, 20, 1)).toBe(0.1);
    expect(predictiveFailureRisk(6, 11, 0, 1, 20, 20, 1)).toBe(0.9);
    expect(predictiveFailureRisk(0, 0, null, null, 23, 20, 1)).toBe(0.6);
  });
});

describe('alerts', () => {
  const reflection = history();

  it('opens one alert for a run of critical readings, closes it after 5 quiet ones, and fires again only after closing', () => {
    const window = emptyWindow();
    const kinds: string[] = [];
    const temps = [30, 30, 30, 20, 20, 20, 20, 20, 30, 30];
    temps.forEach((temperature, i) => {
      const row = judge(readingFactory({ ts: T0 + i * 60_000, temperature }), reflection, window, i);
      for (const c of updateAlerts(row, window, DEFAULT_JUDGMENT_CONFIG)) if (c.type === 'opened' ? c.alert.kind === 'ANOMALY' : c.alertId.startsWith('ANOMALY')) kinds.push(`${c.type}@${i}`);
    });
    expect(kinds).toEqual(['opened@0', 'closed@7', 'opened@8']);
  });

  it('carries the context an operator needs', () => {
    const window = emptyWindow();
    const row = judge(readingFactory({ temperature: 30 }), reflection, window);
    const [change] = updateAlerts(row, window, DEFAULT_JUDGMENT_CONFIG);
    expect(change.type).toBe('opened');
    if (change.type !== 'opened') return;
    expect(change.alert).toMatchObject({ sensor_id: 'sensor-1', alert_id: 'ANOMALY:sensor_readings:0:0', status: 'OPEN', anomaly_classification: 'CRITICAL_ANOMALY' });
    expect(change.alert.expected_range!.low).toBeLessThan(20);
    expect(change.alert.expected_range!.high).toBeGreaterThan(20);
    expect(change.alert.recent.temperature).toEqual([30]);
  });
});

describe('judging by hour', () => {
  it('takes the hour of day and the hour of week of each reading as hourOfDay and hourOfWeek do', () => {
    // Each hour of week has its own temperature, so the seasonal mean names the hour it came from.
    const readings: Reading[] = [];
    for (let ts = T0 - 56 * DAY; ts < T0; ts += 600_000) readings.push(readingFactory({ ts, temperature: hourOfWeek(ts) }));
    const reflection = reflectionFromReadings('sensor-1', 'v1', readings, T0);
    let seed = 11;
    for (let k = 0; k < 500; k++) {
      seed = (seed * 48271) % 2147483647;
      const ts = T0 + (seed % (14 * DAY));
      const row = judge(readingFactory({ ts, temperature: 50 }), reflection);
      expect(row.hour_of_day).toBe(hourOfDay(ts));
      expect(row.seasonal_temp_mean).toBeCloseTo(hourOfWeek(ts), 9);
    }
  });
});
