import { describe, expect, it } from 'vitest';
import {
  DEFAULT_JUDGMENT_CONFIG,
  emptyWindow,
  judgeReading,
  SensorContext,
  updateAlerts,
} from '../../../shared/judgment/index.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
import { generateReadings, readingFactory, T0 } from '../../helpers/factories.js';

const DAY = 86_400_000;

// The evaluation scores the alert decision the lake row carries; it must agree with the alerts raised.
describe('the alert decision on each judged reading', () => {
  const history = generateReadings({ sensors: 1, start: T0 - 30 * DAY, end: T0, stepMs: 600_000 });
  const context = new SensorContext(reflectionFromReadings('sensor-0', 'v1', history, T0), DEFAULT_JUDGMENT_CONFIG.minHistory);
  const origin = (offset: number) => ({ topic: 'sensor_readings', partition: 0, offset, timestamp: T0 });

  it('is open from the reading that opens an alert until the one that closes it', () => {
    const window = emptyWindow();
    // Hour 0 of T0's day runs about 20 ± 1 degrees; 60 is critical, 20 is quiet. Close after 5 quiet readings.
    const temps = [20, 60, 20, 60, 20, 20, 20, 20, 20, 20];
    const decisions = temps.map((temperature, i) => {
      const row = judgeReading(readingFactory({ sensor_id: 'sensor-0', ts: T0 + i * 1000, temperature }), origin(i), context, window, DEFAULT_JUDGMENT_CONFIG);
      const changes = updateAlerts(row, window, DEFAULT_JUDGMENT_CONFIG);
      return { open: row.alert_open, opened: row.alert_opened, changes: changes.map((c) => c.type) };
    });
    expect(decisions.map((d) => d.open)).toEqual([false, true, true, true, true, true, true, true, false, false]);
    expect(decisions.map((d) => d.opened)).toEqual([false, true, false, false, false, false, false, false, false, false]);
    expect(decisions.map((d) => d.changes)).toEqual([[], ['opened'], [], [], [], [], [], [], ['closed'], []]);
  });
});
