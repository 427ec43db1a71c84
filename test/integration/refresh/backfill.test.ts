import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryObjectStore } from '../../../shared/adapters/index.js';
import { DuckDbSqlEngine } from '../../../shared/adapters/duckdb/index.js';
import { encodeParquet } from '../../../shared/lake/index.js';
import type { Reading } from '../../../shared/readings/index.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
import {
  backfill,
  BackfillOptionsError,
  csvHistorySource,
  HistoryFileError,
  parquetHistorySource,
  parseColumnMap,
  refreshReflections,
  visibleLakeKeys,
  type HistorySource,
} from '../../../shared/refresh/index.js';
import backfillCommand from '../../../infra/cli/commands/backfill.js';
import { testEnvironment } from '../../helpers/stores.js';
import { expectReflectionsClose } from './reflection-compare.js';

const SKAB = '/work/shared/data/skab/data/valve1';

async function readAll(source: HistorySource): Promise<Reading[]> {
  const out: Reading[] = [];
  for await (const c of source.chunks()) out.push(...c.readings.map((h) => h.reading));
  return out;
}

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tideline-history-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('backfill', () => {
  const sql = new DuckDbSqlEngine();
  afterAll(() => sql.close());

  async function rowCount(lakeDir: string, lake: DirectoryObjectStore): Promise<number> {
    const keys = await visibleLakeKeys(lake, 'readings');
    if (keys.length === 0) return 0;
    const rows = await sql.query(`SELECT count(*) AS n FROM read_parquet([${keys.map((k) => `'${lakeDir}/${k}'`).join(', ')}])`);
    return rows[0].n as number;
  }

  it('imports a SKAB file and the refresh makes the reflection a full recomputation gives', async () => {
    const env = await testEnvironment();
    const source = csvHistorySource({ path: `${SKAB}/0.csv`, format: 'skab', sensorId: 'skab-valve1-0' });
    const progress: number[] = [];
    const result = await backfill([source], env.ports.lake, { onProgress: (p) => progress.push(p.progress / (p.size ?? 1)) });
    expect(result).toMatchObject({ rows: 1147, sources: 1, firstTs: Date.UTC(2020, 2, 9, 10, 14, 33), lastTs: Date.UTC(2020, 2, 9, 10, 34, 32) });
    expect(progress.at(-1)).toBe(1);
    expect(await rowCount(env.lakeDir, env.ports.lake as DirectoryObjectStore)).toBe(1147);
    expect(await env.ports.lake.list('staging/')).toEqual([]);

    const now = Date.UTC(2020, 2, 9, 11);
    const r = await refreshReflections({ lake: env.ports.lake, reflections: env.ports.reflections, sql, lakeSql: { kind: 'duckdb', root: env.lakeDir } }, { now });
    const readings = await readAll(csvHistorySource({ path: `${SKAB}/0.csv`, format: 'skab', sensorId: 'skab-valve1-0' }));
    const got = await env.ports.reflections.getReflections(r.version!, ['skab-valve1-0']);
    expectReflectionsClose(got.get('skab-valve1-0'), reflectionFromReadings('skab-valve1-0', r.version!, readings, r.windowEnd));
    expect(readings[0]).toEqual({ sensor_id: 'skab-valve1-0', ts: Date.UTC(2020, 2, 9, 10, 14, 33), temperature: 79.3366, pressure: 0.054711, vibration: 0.0265878, status: 'OK' });
  });

  it('imports the same file twice without counting a reading twice', async () => {
    const env = await testEnvironment();
    const source = () => csvHistorySource({ path: `${SKAB}/1.csv`, format: 'skab', sensorId: 'skab-valve1-1' });
    await backfill([source()], env.ports.lake);
    await backfill([source()], env.ports.lake);
    expect(await rowCount(env.lakeDir, env.ports.lake as DirectoryObjectStore)).toBe(1145);
  });

  it('imports NAB timestamp,value files with a column map and a zone offset', async () => {
    const env = await testEnvironment();
    const path = await tempFile('machine_temperature.csv', 'timestamp,value\n2013-12-02 21:15:00,73.967\n2013-12-02 21:20:00,74.936\n2013-12-02 21:25:00,\n');
    const source = csvHistorySource({ path, format: 'nab', columns: parseColumnMap('vibration=value'), sensorId: 'nab-machine', zoneOffsetMinutes: 60 });
    expect(await readAll(source)).toEqual([
      { sensor_id: 'nab-machine', ts: Date.UTC(2013, 11, 2, 20, 15), temperature: null, pressure: null, vibration: 73.967, status: 'OK' },
      { sensor_id: 'nab-machine', ts: Date.UTC(2013, 11, 2, 20, 20), temperature: null, pressure: null, vibration: 74.936, status: 'OK' },
      { sensor_id: 'nab-machine', ts: Date.UTC(2013, 11, 2, 20, 25), temperature: null, pressure: null, vibration: null, status: 'OK' },
    ]);
    await backfill([source], env.ports.lake);
    expect(await rowCount(env.lakeDir, env.ports.lake as DirectoryObjectStore)).toBe(3);
  });

  it('imports Parquet files with a time column and a sensor column', async () => {
    const env = await testEnvironment();
    const path = join(await mkdtemp(join(tmpdir(), 'tideline-history-')), 'history.parquet');
    const t0 = Date.UTC(2026, 0, 5);
    await writeFile(path, encodeParquet([['time', 'timestamp'], ['device', 'string'], ['temp_c', 'double'], ['state', 'string']], [
      { time: t0, device: 'pump-1', temp_c: 20.5, state: 'OK' },
      { time: t0 + 60_000, device: 'pump-2', temp_c: null, state: 'FAILED' },
    ]));
    const source = parquetHistorySource({ path, columns: parseColumnMap('temperature=temp_c,sensor_id=device,status=state,ts=time') });
    expect(await readAll(source)).toEqual([
      { sensor_id: 'pump-1', ts: t0, temperature: 20.5, pressure: null, vibration: null, status: 'OK' },
      { sensor_id: 'pump-2', ts: t0 + 60_000, temperature: null, pressure: null, vibration: null, status: 'FAILED' },
    ]);
  });

  const header = 'datetime;Accelerometer1RMS;Pressure;Temperature';
  it.each([
    ['a cell that is not a number', `${header}\n2020-03-09 10:14:33;0.02;0.05;79.3\n2020-03-09 10:14:34;0.02;abc;79.4\n`, 'line 3, column "Pressure": "abc" is not a number'],
    ['a row with too few fields', `${header}\n2020-03-09 10:14:33;0.02;0.05;79.3\n2020-03-09 10:14:34;0.02;0.05\n`, 'line 3: has 3 fields, the header has 4 (separator ";")'],
    ['a time that is not a time', `${header}\n2020-03-09 10:14:33;0.02;0.05;79.3\n2020-02-30 10:14:34;0.02;0.05;79.4\n`, 'line 3, column "datetime": "2020-02-30 10:14:34" is not a time (YYYY-MM-DD hh:mm:ss, ISO-8601, or epoch milliseconds)'],
    ['a mapped column missing from the header', 'datetime;Accelerometer1RMS;Temperature\n2020-03-09 10:14:33;0.02;79.3\n', 'line 1, column "Pressure": the pressure column is not in the header (columns: datetime, Accelerometer1RMS, Temperature)'],
    ['an infinite value', `${header}\n2020-03-09 10:14:33;0.02;Infinity;79.3\n`, 'line 2, column "Pressure": "Infinity" is not a number'],
    ['an empty file', '', 'the file is empty; expected a header row'],
  ])('rejects %s naming file, line and column, and imports nothing (not even the good files before it)', async (_, text, reason) => {
    const env = await testEnvironment();
    const bad = await tempFile('bad.csv', text);
    const good = csvHistorySource({ path: `${SKAB}/2.csv`, format: 'skab', sensorId: 'good' });
    const error = await backfill([good, csvHistorySource({ path: bad, format: 'skab', sensorId: 'bad' })], env.ports.lake, { fileRows: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HistoryFileError);
    expect((error as Error).message).toBe(`${bad}${reason.startsWith('line') ? ', ' : ': '}${reason}`);
    expect(await env.ports.lake.list('')).toEqual([]);
  });

  it('rejects a status outside the closed set, naming the column', async () => {
    const path = await tempFile('status.csv', 'ts,temp,state\n2026-01-05T00:00:00Z,1,OK\n2026-01-05T00:01:00Z,2,BROKEN\n');
    const source = csvHistorySource({ path, columns: parseColumnMap('temperature=temp,status=state'), sensorId: 's' });
    await expect(readAll(source)).rejects.toThrow(`${path}, line 3, column "state": status "BROKEN" is not one of OK, DEGRADED, FAILED, MAINTENANCE, OFFLINE`);
  });

  it('asks for a sensor id and a metric before reading anything', () => {
    expect(() => csvHistorySource({ path: 'x.csv', format: 'skab' })).toThrow(new BackfillOptionsError('--sensor', 'x.csv: give the sensor id of its readings (--sensor) or map a sensor_id column'));
    expect(() => parseColumnMap('temp=Temperature')).toThrow('--map: field "temp" is not one of temperature, pressure, vibration, status, sensor_id, ts');
    expect(() => parseColumnMap('status=State')).toThrow(/maps no metric/);
  });

  it('runs as `tideline backfill` with a progress bar on stderr', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tideline-data-'));
    const saved = process.env.TIDELINE_DATA_DIR;
    process.env.TIDELINE_DATA_DIR = dataDir;
    const stderr: string[] = [];
    const stdout: string[] = [];
    const errWrite = process.stderr.write.bind(process.stderr);
    const outWrite = process.stdout.write.bind(process.stdout);
    process.stderr.write = ((s: string) => (stderr.push(String(s)), true)) as typeof process.stderr.write;
    process.stdout.write = ((s: string) => (stdout.push(String(s)), true)) as typeof process.stdout.write;
    try {
      const code = await backfillCommand.run(['--format', 'skab', '--sensor', 'skab-valve1-{name}', '--no-refresh', `${SKAB}/3.csv`, `${SKAB}/4.csv`]);
      expect(code).toBe(0);
    } finally {
      process.stderr.write = errWrite;
      process.stdout.write = outWrite;
      if (saved === undefined) delete process.env.TIDELINE_DATA_DIR;
      else process.env.TIDELINE_DATA_DIR = saved;
    }
    expect(stderr.join('')).toMatch(/\[#{30}\] 100% 2,243 rows .* 4\.csv \(2\/2\)/);
    expect(stdout.join('')).toMatch(/^imported 2,243 readings from 2020-03-09T11:1\d:\d\d\.000Z to 2020-03-09T11:\d\d:\d\d\.000Z into \d+ lake files under /);
    const lake = new DirectoryObjectStore(join(dataDir, 'lake'));
    expect(await rowCount(join(dataDir, 'lake'), lake)).toBe(2243);
  });
});
