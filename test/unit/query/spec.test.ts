import { describe, expect, it } from 'vitest';
import { loadQueryConfig, parseQuerySpec, QueryLimitError, QuerySpecError, viewSpecBody, QueryNotFoundError } from '../../../shared/query/index.js';

const config = loadQueryConfig({});
const NOW = Date.UTC(2026, 10, 25, 6);
const parse = (body: unknown) => parseQuerySpec(body, config, NOW);

describe('parseQuerySpec', () => {
  it('applies defaults: the last hour, every sensor, a count', () => {
    expect(parse({})).toMatchObject({ from: NOW - 3_600_000, to: NOW, sensors: null, select: 'aggregates', aggregates: ['count'], groupBy: [], fanOut: 8, limit: 100_000 });
  });

  it('accepts ISO-8601 times with a zone and epoch milliseconds', () => {
    expect(parse({ from: '2026-11-25T05:00:00+01:00', to: NOW })).toMatchObject({ from: Date.UTC(2026, 10, 25, 4), to: NOW });
  });

  it.each([
    [[], 'body: must be a JSON object with keys such as sensors'],
    [{ metric: ['temperature'] }, 'metric: is not a query field; use one of sensors, sensor_prefix'],
    [{ from: '2026-11-25 05:00' }, 'from: "2026-11-25 05:00" is not ISO-8601 with a zone'],
    [{ from: 1_700_000_000 }, 'from: 1970-01-20T16:13:20.000Z is before 2000-01-01 (it looks like seconds; send milliseconds)'],
    [{ from: NOW, to: NOW }, 'from: must be before to'],
    [{ from: 8_972_933_879_281_640 }, 'from: 8972933879281640 is outside 2000-01-01 … 9999-12-31; send epoch milliseconds or ISO-8601'],
    [{ sensors: ["x'; DROP TABLE readings"] }, "sensors[0]: must be 1-128 characters of letters, digits"],
    [{ sensors: ['a'], sensor_prefix: 'b' }, 'sensor_prefix: give either sensors or sensor_prefix, not both'],
    [{ metrics: ['secret'], aggregates: ['mean'] }, 'metrics[0]: "secret" is not a numeric column (temperature, pressure'],
    [{ aggregates: ['mean'] }, 'metrics: name the columns to aggregate, e.g. ["temperature"]'],
    [{ aggregates: ['median'] }, 'aggregates[0]: "median" is not one of count, sum, mean, min, max, stddev, p50, p95, p99'],
    [{ group_by: ['minute', 'hour'] }, 'group_by: may hold one time bucket (minute, hour or day), not several'],
    [{ group_by: ['sensor', 'sensor'] }, 'group_by[1]: "sensor" is listed twice; list each once'],
    [{ where: { classification: ['BAD'] } }, 'where.classification[0]: "BAD" is not one of NORMAL, WARNING, CRITICAL_ANOMALY, INSUFFICIENT_HISTORY'],
    [{ where: { zone: 1 } }, 'where.zone: is not a filter; use classification or status'],
    [{ select: 'rows', metrics: ['temperature'] }, 'metrics: applies to select "aggregates" only'],
    [{ select: 'rows', columns: ['password'] }, 'columns[0]: "password" is not a column of the judged reading'],
    [{ limit: 1.5 }, 'limit: must be a positive integer; got number 1.5'],
    [{ fan_out: '8' }, 'fan_out: must be a positive integer; got "8"'],
  ])('refuses %j with a QuerySpecError saying what to send', (body, message) => {
    expect(() => parse(body)).toThrow(QuerySpecError);
    expect(() => parse(body)).toThrow(message);
  });

  it.each([
    [{ from: '2025-01-01T00:00:00Z', to: '2025-03-01T00:00:00Z' }, 'maxRangeMs (TIDELINE_QUERY_MAX_RANGE_HOURS)', 'from: the range 2025-01-01T00:00:00.000Z … 2025-03-01T00:00:00.000Z is 1416 h, over the maximum of 744 h; narrow from/to or split the query'],
    [{ limit: 100_001 }, 'maxRows (TIDELINE_QUERY_MAX_ROWS)', 'limit: 100001 is over the maximum of 100000 rows'],
    [{ fan_out: 33 }, 'maxFanOut (TIDELINE_QUERY_MAX_FAN_OUT)', 'fan_out: 33 is over the maximum of 32; ask for 32 or fewer'],
    [{ sensors: Array.from({ length: 1001 }, (_, i) => `s${i}`) }, 'maxSensors (TIDELINE_QUERY_MAX_SENSORS)', 'sensors: lists 1001 sensors, over the maximum of 1000; use sensor_prefix'],
  ])('refuses %# over a limit with a QueryLimitError naming it', (body, limit, message) => {
    const error = (() => {
      try {
        parse(body);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(QueryLimitError);
    expect((error as QueryLimitError).limit).toBe(limit);
    expect((error as QueryLimitError).message).toContain(message);
    expect((error as QueryLimitError).status).toBe(422);
  });

  it('takes every limit from the environment', () => {
    const tight = loadQueryConfig({ TIDELINE_QUERY_MAX_RANGE_HOURS: '2', TIDELINE_QUERY_MAX_ROWS: '10', TIDELINE_QUERY_MAX_FAN_OUT: '2', TIDELINE_QUERY_MAX_MS: '500' });
    expect(tight.limits).toEqual({ maxRangeMs: 7_200_000, maxRows: 10, maxFanOut: 2, maxQueryMs: 500, maxSensors: 1000 });
    expect(tight.defaultFanOut).toBe(2);
    expect(() => parseQuerySpec({ from: NOW - 3 * 3_600_000, to: NOW }, tight, NOW)).toThrow('over the maximum of 2 h');
    expect(() => loadQueryConfig({ TIDELINE_QUERY_MAX_ROWS: 'lots' })).toThrow('TIDELINE_QUERY_MAX_ROWS: must be a number, got "lots"');
  });
});

describe('viewSpecBody', () => {
  it('narrows a view with query-string parameters', () => {
    const body = viewSpecBody('sensor_analytics_unified', { sensor: 'a,b', classification: 'WARNING', limit: '20', from: String(NOW - 1_800_000) });
    expect(parse(body)).toMatchObject({ select: 'rows', sensors: ['a', 'b'], classifications: ['WARNING'], limit: 20, from: NOW - 1_800_000 });
  });

  it('refuses an unknown view and an unknown parameter by name', () => {
    expect(() => viewSpecBody('nope', {})).toThrow(QueryNotFoundError);
    expect(() => viewSpecBody('nope', {})).toThrow('no view "nope"; views are sensor_analytics_unified, ml_features_realtime, realtime_sensor_summary');
    expect(() => viewSpecBody('ml_features_realtime', { sort: 'ts' })).toThrow('sort: is not a parameter of view ml_features_realtime; use sensor, sensor_prefix');
  });
});
