import { describe, expect, it } from 'vitest';
import {
  DEFAULT_JUDGMENT_CONFIG,
  emptyWindow,
  ENRICHED_COLUMNS,
  judgeReading,
  SensorContext,
} from '../../../shared/judgment/index.js';
import { parseReading, RecordValidationError, type Reading } from '../../../shared/readings/index.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
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

describe('the channel profile and the drift-tolerant channel score', () => {
  const h = history();
  const asOf = T0 + 400_000;
  const reflection = reflectionFromReadings('sensor-1', 'v1', h, asOf);

  it('keeps level, spread and trend of every measurement only for sensors that report channels', () => {
    const channels = reflection.profile?.channels ?? {};
    expect(Object.keys(channels).sort()).toEqual(['Flow', 'pressure', 'temperature', 'vibration']);
    // Temperature: the slope of (time, value) is 0.01 °/s = 1e-5 °/ms.
    const t = channels.temperature;
    expect(t.n).toBe(400);
    expect(t.c[1] / t.c[0]).toBeCloseTo(1e-5, 6);
    const plain = reflectionFromReadings('sensor-1', 'v1', h.map(({ channels: _, ...r }) => r), asOf);
    expect(plain.profile && 'channels' in plain.profile).toBe(false);
  });

  function judgeSeries(readings: Reading[]) {
    const context = new SensorContext(reflection, DEFAULT_JUDGMENT_CONFIG.minHistory);
    const window = emptyWindow();
    return readings.map((r, i) => judgeReading(r, origin(i), context, window, DEFAULT_JUDGMENT_CONFIG));
  }

  it('alerts when one channel shifts, and names it', () => {
    const rows = judgeSeries(
      Array.from({ length: 60 }, (_, i) => ({
        ...readingFactory({ ts: asOf + i * 1000, temperature: 74 + 0.01 * i, pressure: 1, vibration: 0.03 }),
        channels: { Flow: i < 20 ? 32 : 29 },
      })),
    );
    expect(rows[10].alert_open).toBe(false);
    expect(rows[59].channel_score_channel).toBe('Flow');
    // 20 readings at 29 against 32 ± 0.4: about 7.5 σ.
    expect(rows[59].channel_score).toBeGreaterThan(7);
    expect(rows[59].alert_open).toBe(true);
    expect(JSON.parse(rows[59].channels as string)).toEqual({ Flow: 29 });
  });

  it('tolerates a measurement continuing the drift it showed in its history', () => {
    // Temperature keeps rising at 0.01 °/s for 5 more minutes: 3 more degrees (≈ 26 of its 0.115 σ), yet
    // within the √(σ² + D²) band, D ≈ 4 ° being how far it moved across the history.
    const rows = judgeSeries(
      Array.from({ length: 300 }, (_, i) => ({
        ...readingFactory({ ts: asOf + i * 1000, temperature: 74 + 0.01 * i, pressure: 1, vibration: 0.03 }),
        channels: { Flow: 32 },
      })),
    );
    expect(rows.every((r) => r.alert_open === false)).toBe(true);
    // The use case's own column still says CRITICAL: only the alert rule changes for channel sensors.
    expect(rows[299].anomaly_classification).toBe('CRITICAL_ANOMALY');
  });

  it('adds its columns at the end of the lake schema', () => {
    expect(ENRICHED_COLUMNS.slice(-5).map(([name]) => name)).toEqual(['alert_open', 'alert_opened', 'channels', 'channel_score', 'channel_score_channel']);
  });
});
