import { describe, expect, it } from 'vitest';
import {
  BenchmarkFileError,
  checkColumnMap,
  DEFAULT_SKAB_COLUMN_MAP,
  parseColumnMap,
  parseNabCsv,
  parseNabWindows,
  parseSkab,
} from '../../../shared/evaluation/index.js';

const SKAB_HEADER = 'datetime;Accelerometer1RMS;Pressure;Temperature;anomaly;changepoint';

function skab(...rows: string[]): string {
  return [SKAB_HEADER, ...rows].join('\r\n') + '\r\n';
}

function errorOf(fn: () => unknown): BenchmarkFileError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BenchmarkFileError);
    return e as BenchmarkFileError;
  }
  throw new Error('expected a BenchmarkFileError');
}

describe('SKAB files', () => {
  it('reads times as UTC, numeric columns by name and 0/1 labels', () => {
    const s = parseSkab(skab('2020-03-09 10:14:33;0.02;0.05;79.3;0.0;0.0', '2020-03-09 10:14:35;0.03;0.38;79.5;1.0;1.0'), 'valve1/0.csv');
    expect(s.ts).toEqual([Date.UTC(2020, 2, 9, 10, 14, 33), Date.UTC(2020, 2, 9, 10, 14, 35)]);
    expect([...s.columns.keys()]).toEqual(['Accelerometer1RMS', 'Pressure', 'Temperature']);
    expect(s.columns.get('Temperature')).toEqual([79.3, 79.5]);
    expect(s.anomaly).toEqual([false, true]);
    expect(s.changepoint).toEqual([false, true]);
    expect(() => checkColumnMap(s, DEFAULT_SKAB_COLUMN_MAP)).not.toThrow();
  });

  it('reads a file without labels (SKAB anomaly-free) with null labels', () => {
    const s = parseSkab('datetime;Temperature\n2020-02-08 13:30:47;90.6\n', 'anomaly-free.csv');
    expect(s.anomaly).toBeNull();
    expect(s.changepoint).toBeNull();
  });

  it.each([
    ['a row with a missing cell', skab('2020-03-09 10:14:33;0.02;0.05;79.3;0.0'), 2, 'expected 6 ";"-separated cells as in the header, got 5'],
    ['a value that is not a number', skab('2020-03-09 10:14:33;0.02;0.05;79.3;0.0;0.0', '2020-03-09 10:14:34;0.02;high;79.3;0.0;0.0'), 3, 'Pressure "high" is not a finite number'],
    ['a label other than 0 or 1', skab('2020-03-09 10:14:33;0.02;0.05;79.3;2.0;0.0'), 2, 'anomaly "2.0" must be 0 or 1'],
    ['a bad datetime', skab('2020-03-09T10:14:33;0.02;0.05;79.3;0.0;0.0'), 2, 'datetime "2020-03-09T10:14:33" is not a time as YYYY-MM-DD hh:mm:ss'],
    ['rows out of time order', skab('2020-03-09 10:14:33;0.02;0.05;79.3;0.0;0.0', '2020-03-09 10:14:32;0.02;0.05;79.3;0.0;0.0'), 3, 'earlier than the row before'],
    ['a comma-separated file', 'datetime,Temperature\n2020-03-09 10:14:33,1\n', 1, 'the header must start with "datetime" and be separated by ";"'],
  ])('rejects %s, naming the file and line', (_, text, line, message) => {
    const e = errorOf(() => parseSkab(text, 'data/valve1/3.csv'));
    expect(e.file).toBe('data/valve1/3.csv');
    expect(e.line).toBe(line);
    expect(e.message).toContain(`data/valve1/3.csv:${line}: `);
    expect(e.message).toContain(message);
  });

  it('rejects a column map naming a column the file does not have', () => {
    const s = parseSkab(skab('2020-03-09 10:14:33;0.02;0.05;79.3;0.0;0.0'), 'x.csv');
    expect(errorOf(() => checkColumnMap(s, { vibration: 'Accelerometer2RMS' })).message).toBe(
      'x.csv:1: column "Accelerometer2RMS" (mapped to vibration) is not in the header; columns: Accelerometer1RMS, Pressure, Temperature',
    );
  });

  it('parses a column map and rejects an unknown metric', () => {
    expect(parseColumnMap('temperature=Thermocouple, vibration=Accelerometer2RMS')).toEqual({ temperature: 'Thermocouple', vibration: 'Accelerometer2RMS' });
    expect(() => parseColumnMap('humidity=Current')).toThrow('--map metric "humidity" is not one of temperature, pressure, vibration');
    expect(() => parseColumnMap('temperature')).toThrow('--map entry "temperature" must be metric=Column');
  });
});

describe('NAB files', () => {
  const csv = 'timestamp,value\n2013-12-02 21:15:00,73.96\n2013-12-02 21:20:00,74.93\n';

  it('reads timestamp,value rows as UTC times', () => {
    expect(parseNabCsv(csv, 'machine.csv')).toEqual({ file: 'machine.csv', ts: [Date.UTC(2013, 11, 2, 21, 15), Date.UTC(2013, 11, 2, 21, 20)], value: [73.96, 74.93] });
  });

  it.each([
    ['a wrong header', 'time,value\n', 1, 'the header must be "timestamp,value"'],
    ['a non-numeric value', `${csv}2013-12-02 21:25:00,NaN\n`, 4, 'value "NaN" is not a finite number'],
    ['a repeated timestamp', `${csv}2013-12-02 21:20:00,1\n`, 4, 'timestamp 2013-12-02 21:20:00 is not after the row before'],
    ['an extra cell', `${csv}2013-12-02 21:25:00,1,2\n`, 4, 'expected 2 comma-separated cells'],
  ])('rejects %s, naming the file and line', (_, text, line, message) => {
    const e = errorOf(() => parseNabCsv(text, 'machine.csv'));
    expect(e.message).toContain(`machine.csv:${line}: ${message}`);
  });

  const windows = JSON.stringify(
    {
      'realKnownCause/machine_temperature_system_failure.csv': [
        ['2013-12-10 06:25:00.000000', '2013-12-12 05:35:00.000000'],
        ['2013-12-15 17:50:00.000000', '2013-12-17 17:00:00.000000'],
      ],
      'realKnownCause/nyc_taxi.csv': [],
    },
    null,
    2,
  );

  it('finds the data file\'s windows by its path under data/', () => {
    const w = parseNabWindows(windows, 'labels/combined_windows.json', '/tmp/NAB/data/realKnownCause/machine_temperature_system_failure.csv');
    expect(w).toEqual([
      { start: Date.UTC(2013, 11, 10, 6, 25), end: Date.UTC(2013, 11, 12, 5, 35) },
      { start: Date.UTC(2013, 11, 15, 17, 50), end: Date.UTC(2013, 11, 17, 17, 0) },
    ]);
    expect(parseNabWindows(windows, 'w.json', 'nyc_taxi.csv')).toEqual([]);
  });

  it('rejects labels without an entry for the file, and bad JSON with its line', () => {
    expect(errorOf(() => parseNabWindows(windows, 'w.json', 'other.csv')).message).toBe(
      'w.json: no entry for other.csv; keys look like "realKnownCause/machine_temperature_system_failure.csv"',
    );
    const e = errorOf(() => parseNabWindows('{\n  "a.csv": [\n    ["x", ]\n  ]\n}', 'w.json', 'a.csv'));
    expect(e.message).toMatch(/^w\.json(:3)?: not valid JSON/);
    const bad = errorOf(() => parseNabWindows('{\n "a.csv": [["2013-12-10 06:25:00", "soon"]]\n}', 'w.json', 'a.csv'));
    expect(bad.message).toContain('w.json:2: entry "a.csv" window 1 must be');
  });
});
