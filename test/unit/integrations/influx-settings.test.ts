import { describe, expect, it } from 'vitest';
import { alertLine, InfluxSettingError, judgedReadingLine, parseDuration, parseInfluxMap, parseRange } from '../../../shared/adapters/index.js';
import type { Alert, EnrichedReading } from '../../../shared/judgment/index.js';
import { T0 } from '../../helpers/factories.js';

describe('parseInfluxMap', () => {
  it('maps tags and fields, keeping defaults for what is not named', () => {
    expect(parseInfluxMap('sensor_id=tag:device,temperature=temp_c,status=tag:state')).toEqual({
      sensor_id: { kind: 'tag', name: 'device', explicit: true },
      temperature: { kind: 'field', name: 'temp_c', explicit: true },
      pressure: { kind: 'field', name: 'pressure', explicit: false },
      vibration: { kind: 'field', name: 'vibration', explicit: false },
      status: { kind: 'tag', name: 'state', explicit: true },
    });
  });

  it.each([
    ['temperature', '--map: entry "temperature" must be field=[tag:|field:]name'],
    ['humidity=h', '--map: "humidity" is not one of sensor_id, temperature, pressure, vibration, status'],
    ['temperature=a,temperature=b', '--map: "temperature" is mapped twice'],
    ['sensor_id=field:device', '--map: sensor_id=field:device: the sensor must come from a tag'],
    ['pressure=tag:p', '--map: pressure=tag:p: metrics come from fields, not tags'],
    ['status=tag:', '--map: entry "status=tag:" names no tag'],
  ])('rejects %j naming --map', (text, message) => {
    expect(() => parseInfluxMap(text)).toThrow(InfluxSettingError);
    expect(() => parseInfluxMap(text)).toThrow(message);
  });
});

describe('parseRange and parseDuration', () => {
  const now = Date.UTC(2026, 10, 25, 12);
  it('reads absolute and relative ranges', () => {
    expect(parseRange('2026-01-01T00:00:00Z/2026-01-02T00:00:00+01:00', now)).toEqual({ start: Date.UTC(2026, 0, 1), stop: Date.UTC(2026, 0, 1, 23) });
    expect(parseRange('-30d', now)).toEqual({ start: now - 30 * 86_400_000, stop: now });
    expect(parseRange('-2w/-1d', now)).toEqual({ start: now - 14 * 86_400_000, stop: now - 86_400_000 });
    expect(parseDuration('90s', '--page')).toBe(90_000);
  });

  it.each([
    ['2026-01-01T00:00:00', '--range: "2026-01-01T00:00:00" needs a zone'],
    ['-1d/-2d', '--range: stop'],
    ['a/b/c', '--range: "a/b/c" must be START/STOP'],
    ['-3 days', '--range: "3 days" is not a duration'],
  ])('rejects %j naming --range', (text, message) => {
    expect(() => parseRange(text, now)).toThrow(message);
  });
});

const row = (overrides: Partial<EnrichedReading> = {}) =>
  ({
    sensor_id: 'pump 7',
    ts: T0 + 123,
    temperature: 71.5,
    pressure: null,
    vibration: 0.4,
    status: 'OK',
    kafka_topic: 'sensor_readings',
    kafka_partition: 2,
    kafka_offset: 41,
    late: false,
    anomaly_classification: 'CRITICAL_ANOMALY',
    temperature_z_score: 4.25,
    anomaly_score: 0.93,
    predictive_failure_risk: 0.1,
    z_score: null,
    mahalanobis_distance: Number.NaN,
    ...overrides,
  }) as EnrichedReading;

describe('line protocol', () => {
  it('writes a judged reading with the sensor as tag and scores and classification as fields', () => {
    expect(judgedReadingLine(row())).toBe(
      `tideline_readings,sensor_id=pump\\ 7 anomaly_classification="CRITICAL_ANOMALY",anomaly_score=0.93,kafka_offset=41i,late=F,predictive_failure_risk=0.1,status="OK",temperature=71.5,temperature_z_score=4.25,vibration=0.4 ${T0 + 123}`,
    );
  });

  it('writes alert openings and closings', () => {
    const alert = {
      sensor_id: 'pump-7', alert_id: 'ANOMALY:sensor_readings:2:41', kind: 'ANOMALY', status: 'OPEN', opened_at: T0, closed_at: null,
      reading: { ts: T0, temperature: 71.5, pressure: null, vibration: 0.4, status: 'OK', kafka_topic: 'sensor_readings', kafka_partition: 2, kafka_offset: 41 },
      expected_range: { low: 60, high: 66 }, anomaly_classification: 'CRITICAL_ANOMALY', temperature_z_score: 4.25, z_score: null, seasonal_z_score: null,
      mahalanobis_distance: null, anomaly_score: 0.93, predictive_failure_risk: 0.1, days_since_failure: null, recent: { ts: [], temperature: [] },
    } as unknown as Alert;
    expect(alertLine({ type: 'opened', alert })).toBe(
      `tideline_alerts,kind=ANOMALY,sensor_id=pump-7 alert_id="ANOMALY:sensor_readings:2:41",anomaly_classification="CRITICAL_ANOMALY",anomaly_score=0.93,expected_high=66,expected_low=60,predictive_failure_risk=0.1,status="OPEN",temperature=71.5,temperature_z_score=4.25 ${T0}`,
    );
    expect(alertLine({ type: 'closed', sensorId: 'pump-7', alertId: 'ANOMALY:sensor_readings:2:41', closedAt: T0 + 5000 })).toBe(
      `tideline_alerts,kind=ANOMALY,sensor_id=pump-7 alert_id="ANOMALY:sensor_readings:2:41",status="CLOSED" ${T0 + 5000}`,
    );
  });
});
