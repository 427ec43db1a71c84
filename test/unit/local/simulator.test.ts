import { describe, expect, it } from 'vitest';
import { SensorSimulator } from '../../../infra/local/simulator.js';

const T0 = Date.UTC(2026, 0, 5);
const HOUR = 3_600_000;

function correlation(xs: number[], ys: number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('SensorSimulator', () => {
  it('gives the same sensors and readings for the same seed', () => {
    const a = new SensorSimulator({ sensors: 3, seed: 7 });
    const b = new SensorSimulator({ sensors: 3, seed: 7 });
    expect([...a.history(T0, T0 + HOUR, 600_000)]).toEqual([...b.history(T0, T0 + HOUR, 600_000)]);
  });

  it('has clean history: a daily cycle, pressure following temperature, nothing injected before going live', () => {
    const sim = new SensorSimulator({ sensors: 1, anomalyRate: 1 });
    const history = [...sim.history(T0, T0 + 2 * 24 * HOUR, 600_000)];
    const temps = history.map((r) => r.temperature as number);
    expect(Math.max(...temps) - Math.min(...temps)).toBeGreaterThan(1.5);
    expect(correlation(temps, history.map((r) => r.pressure as number))).toBeGreaterThan(0.5);
    expect(sim.reading(0, T0).injected).toBeNull();
  });

  it('records the ground truth of every injected spike, far outside the sensor’s cycle', () => {
    const sim = new SensorSimulator({ sensors: 1, anomalyRate: 0 });
    sim.goLive(T0);
    const normal = sim.reading(0, T0 + 1000);
    const spiked = sim.reading(0, T0 + 2000, true);
    expect(normal.injected).toBeNull();
    expect(spiked.injected).toEqual({ sensor_id: 'sensor-00000', ts: T0 + 2000, kind: 'spike', offset: expect.any(Number) });
    expect(Math.abs(spiked.injected!.offset)).toBeGreaterThanOrEqual(4);
  });

  it('drifts and wears out the last sensors once live, with ground truth once the trouble shows', () => {
    const sim = new SensorSimulator({ sensors: 100, anomalyRate: 0 });
    expect(sim.misbehaving).toEqual([
      { sensor_id: 'sensor-00097', behaviour: 'failing' },
      { sensor_id: 'sensor-00098', behaviour: 'drifting' },
      { sensor_id: 'sensor-00099', behaviour: 'drifting' },
    ]);
    sim.goLive(T0);
    expect(sim.reading(98, T0).injected).toBeNull();
    expect(sim.reading(98, T0 + 3 * HOUR).injected?.kind).toBe('drift');
    const failed = sim.reading(97, T0 + HOUR);
    expect(failed.reading.status).toBe('FAILED');
    expect(failed.injected?.kind).toBe('failure');
    expect(failed.reading.vibration as number).toBeGreaterThan(1);
    expect(sim.reading(0, T0 + 3 * HOUR).injected).toBeNull();
  });

  it('sends malformed records of the kinds the executor dead-letters', () => {
    const sim = new SensorSimulator({ sensors: 1 });
    const kinds = new Set(Array.from({ length: 200 }, () => sim.malformed(0)));
    expect(kinds.size).toBe(4);
    for (const k of kinds) expect(k).toMatch(/"yesterday"|"BROKEN"|"hot"|[^}]$/);
  });

  it('refuses a negative sensor count, naming it', () => {
    expect(() => new SensorSimulator({ sensors: -1 })).toThrow('sensors must be a non-negative integer, got -1');
  });
});
