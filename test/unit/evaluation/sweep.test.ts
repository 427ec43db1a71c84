import { describe, expect, it } from 'vitest';
import { consecutiveFolds, leaveFilesOut, sweepChannelCriticalZ, type SweepPoint } from '../../../shared/evaluation/index.js';
import {
  DEFAULT_JUDGMENT_CONFIG,
  emptyWindow,
  judgeReading,
  replayAlertDecisions,
  SensorContext,
  updateAlerts,
  type AlertInputs,
} from '../../../shared/judgment/index.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
import { generateReadings, readingFactory, T0 } from '../../helpers/factories.js';

const DAY = 86_400_000;
const config = DEFAULT_JUDGMENT_CONFIG; // closes after 5 quiet readings

/** Rows of a channel sensor with these channel scores. */
const scored = (scores: readonly number[]): AlertInputs[] =>
  scores.map((channel_score) => ({ channel_score, anomaly_classification: 'NORMAL', predictive_failure_risk: 0.1 }));

describe('replaying the alert decisions', () => {
  it('agrees with the decisions the judge wrote, for the hour-of-day rule', () => {
    const history = generateReadings({ sensors: 1, start: T0 - 30 * DAY, end: T0, stepMs: 600_000 });
    const context = new SensorContext(reflectionFromReadings('sensor-0', 'v1', history, T0), config.minHistory);
    const window = emptyWindow();
    const temps = [20, 60, 20, 60, 20, 20, 20, 20, 20, 20, 60, 20];
    const rows = temps.map((temperature, i) => {
      const row = judgeReading(readingFactory({ sensor_id: 'sensor-0', ts: T0 + i * 1000, temperature }), { topic: 't', partition: 0, offset: i, timestamp: T0 }, context, window, config);
      updateAlerts(row, window, config);
      return row;
    });
    expect(replayAlertDecisions(rows, config)).toEqual(rows.map((r) => r.alert_open));
    expect(rows.filter((r) => r.alert_open)).toHaveLength(9);
  });

  it('opens on a channel score above the channel critical z and closes after the quiet readings', () => {
    const rows = scored([1, 6, 1, 1, 1, 1, 1, 1, 4.5]);
    expect(replayAlertDecisions(rows, config)).toEqual([false, true, true, true, true, true, false, false, false]);
    expect(replayAlertDecisions(rows, { ...config, channelCriticalZ: 4 })).toEqual([false, true, true, true, true, true, false, false, true]);
  });
});

describe('sweeping the channel critical z', () => {
  // File A: an anomaly on readings 2–5 scored 6 and 4.5; file B: a false alarm of 4.5 on reading 0.
  const files = [
    { labels: [false, false, true, true, true, true, false, false, false, false, false, false], rows: scored([0, 0, 6, 4.5, 6, 4.5, 0, 0, 0, 0, 0, 0]) },
    { labels: [false, false, false, false, false, false, false, false], rows: scored([4.5, 0, 0, 0, 0, 0, 0, 0]) },
  ];

  it('scores each z per file and pooled', () => {
    const [low, high] = sweepChannelCriticalZ(files, [4, 5], config);
    // z 4: A open 2..9 (the 5th quiet reading, 10, closes it: TP 4, FP 4), B open 0..4 (FP 5).
    // z 5: the 4.5s are quiet, so A's quiet readings count from 5 and reading 9 closes it (FP 3); B quiet.
    expect(low.perFile).toEqual([{ tp: 4, fp: 4, fn: 0, tn: 4 }, { tp: 0, fp: 5, fn: 0, tn: 3 }]);
    expect(low.pooled).toEqual({ tp: 4, fp: 9, fn: 0, tn: 7 });
    expect(high.perFile[1]).toEqual({ tp: 0, fp: 0, fn: 0, tn: 8 });
    expect(high.perFile[0]).toEqual({ tp: 4, fp: 3, fn: 0, tn: 5 });
    expect(high.pooled).toEqual({ tp: 4, fp: 3, fn: 0, tn: 13 });
  });

  it('checks the choice on files it was not made on', () => {
    const point = (z: number, perFile: SweepPoint['perFile']): SweepPoint => ({ channelCriticalZ: z, perFile, pooled: perFile[0] });
    const sweep = [
      // z 3: best F1 everywhere, but 50 % false alarms.
      point(3, [{ tp: 10, fp: 10, fn: 0, tn: 10 }, { tp: 10, fp: 10, fn: 0, tn: 10 }, { tp: 10, fp: 10, fn: 0, tn: 10 }]),
      point(5, [{ tp: 8, fp: 1, fn: 2, tn: 19 }, { tp: 5, fp: 0, fn: 5, tn: 20 }, { tp: 9, fp: 2, fn: 1, tn: 18 }]),
      point(6, [{ tp: 6, fp: 0, fn: 4, tn: 20 }, { tp: 4, fp: 0, fn: 6, tn: 20 }, { tp: 8, fp: 0, fn: 2, tn: 20 }]),
    ];
    const folds = leaveFilesOut(sweep, [[0], [1], [2]], 0.1);
    expect(folds.map((f) => f.chosenZ)).toEqual([5, 5, 5]);
    expect(folds[1].confusion).toEqual({ tp: 5, fp: 0, fn: 5, tn: 20 });
    // Nothing keeps FAR at 0: no choice, nothing scored.
    expect(leaveFilesOut(sweep.slice(0, 2), [[0]], 0)).toEqual([{ heldOut: [0], chosenZ: null, confusion: { tp: 0, fp: 0, fn: 0, tn: 0 } }]);
  });

  it('folds files into consecutive groups', () => {
    expect(consecutiveFolds(16, 4)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]);
    expect(consecutiveFolds(5, 2)).toEqual([[0, 1], [2, 3, 4]]);
    expect(consecutiveFolds(2, 4)).toEqual([[0], [1]]);
  });
});
