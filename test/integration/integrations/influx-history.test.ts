import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import backfillCommand from '../../../infra/cli/commands/backfill.js';
import { UsageError } from '../../../infra/cli/command.js';
import { DirectoryObjectStore, freePort, influxHistorySource, InfluxSettingError, parseInfluxMap, parseRange } from '../../../shared/adapters/index.js';
import { decodeParquet } from '../../../shared/lake/index.js';
import { backfill, HistoryFileError, type HistorySource } from '../../../shared/refresh/index.js';
import { RECORDED, startRecordedInflux, type RecordedInflux } from './recorded-influx.js';

const RANGE = '2026-01-05T00:00:00Z/2026-01-05T03:00:00Z';
const MAP = 'sensor_id=tag:device,temperature=temp_c,pressure=press_kpa,vibration=vib,status=state';

async function collect(source: HistorySource) {
  const readings = [];
  const progress: number[] = [];
  for await (const chunk of source.chunks()) {
    readings.push(...chunk.readings);
    progress.push(chunk.progress);
  }
  return { readings, progress };
}

describe('InfluxDB history source against recorded InfluxDB responses', () => {
  let influx: RecordedInflux;
  const source = (overrides: Partial<Parameters<typeof influxHistorySource>[0]> = {}) =>
    influxHistorySource({
      url: influx.url,
      token: RECORDED.token,
      org: RECORDED.org,
      bucket: RECORDED.bucket,
      measurement: RECORDED.measurement,
      range: parseRange(RANGE, Date.now()),
      map: parseInfluxMap(MAP),
      ...overrides,
    });

  beforeAll(async () => {
    influx = await startRecordedInflux();
  });
  afterAll(() => influx.close());

  it('pages through the range one Flux query per hour and maps tags and fields to readings', async () => {
    influx.queries.length = 0;
    const s = source();
    const { readings, progress } = await collect(s);
    expect(readings).toHaveLength(6 + 9 + 6);
    expect(readings.map((r) => r.line)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(progress).toEqual([3_600_000, 7_200_000, 10_800_000]);
    expect(s.size).toBe(10_800_000);
    expect(readings[0].reading).toEqual({ sensor_id: 'pump-1', ts: Date.UTC(2026, 0, 5, 0, 0), temperature: 20, pressure: 109, vibration: 0.3, status: 'OK' });
    expect(readings.find((r) => r.reading.status === 'FAILED')?.reading).toMatchObject({ sensor_id: 'pump-2', ts: Date.UTC(2026, 0, 5, 1, 20) });
    // A series without the status field, nanosecond times cut to milliseconds, and a missing value as null.
    expect(readings.find((r) => r.reading.sensor_id === 'pump-3')?.reading).toEqual({ sensor_id: 'pump-3', ts: Date.UTC(2026, 0, 5, 1, 5, 0, 123), temperature: 30.5, pressure: 102.05, vibration: 0.35, status: 'OK' });
    expect(readings.find((r) => r.reading.ts === Date.UTC(2026, 0, 5, 2, 40) && r.reading.sensor_id === 'pump-1')?.reading.vibration).toBeNull();

    const pages = influx.queries.filter((q) => q.includes('pivot('));
    expect(pages).toHaveLength(3);
    expect(pages[0]).toContain('range(start: time(v: "2026-01-05T00:00:00.000Z"), stop: time(v: "2026-01-05T01:00:00.000Z"))');
    expect(pages[0]).toContain('r._measurement == "pump" and (r._field == "temp_c" or r._field == "press_kpa" or r._field == "vib" or r._field == "state")');
  });

  it('lands the history in the lake like any backfill', async () => {
    const lake = new DirectoryObjectStore(await mkdtemp(join(tmpdir(), 'tideline-influx-lake-')));
    const result = await backfill([source()], lake);
    expect(result.rows).toBe(21);
    const keys = await lake.list('readings/');
    expect(keys.map((k) => k.split('/').slice(1, 3).join('/'))).toEqual(['dt=2026-01-05/hour=00', 'dt=2026-01-05/hour=01', 'dt=2026-01-05/hour=02']);
    const tables = await Promise.all(keys.map(async (k) => decodeParquet((await lake.get(k)) as Uint8Array)));
    expect(tables.reduce((n, t) => n + t.numRows, 0)).toBe(21);
    expect(tables[1].getChild('sensor_id')?.toArray()).toEqual(['pump-1', 'pump-1', 'pump-1', 'pump-2', 'pump-2', 'pump-2', 'pump-3', 'pump-3', 'pump-3']);
    expect(await lake.list('staging/')).toEqual([]);
  });

  it('names --map and lists the fields when a mapped field does not exist, before staging anything', async () => {
    const lake = new DirectoryObjectStore(await mkdtemp(join(tmpdir(), 'tideline-influx-lake-')));
    const running = backfill([source({ map: parseInfluxMap('sensor_id=tag:device,temperature=temperature_c') })], lake);
    await expect(running).rejects.toThrow(InfluxSettingError);
    await expect(running).rejects.toThrow(
      '--map: temperature=field:temperature_c: measurement "pump" has no field "temperature_c" between 2026-01-05T00:00:00.000Z and 2026-01-05T03:00:00.000Z; its fields are press_kpa, state, temp_c, vib',
    );
    expect(await lake.list('')).toEqual([]);
  });

  it('names --map when the sensor tag does not exist', async () => {
    await expect(collect(source({ map: parseInfluxMap('sensor_id=tag:sensor,temperature=temp_c') }))).rejects.toThrow(
      '--map: sensor_id=tag:sensor: measurement "pump" has no tag "sensor"',
    );
  });

  it('names --measurement when the measurement has no data in the range', async () => {
    await expect(collect(source({ measurement: 'valve' }))).rejects.toThrow('--measurement: bucket "sensor_metrics" has no measurement "valve" with data between');
  });

  it('leaves nothing in the lake when a value half-way through cannot be read', async () => {
    influx.pageOverrides.set('2026-01-05T01', 'page-bad-state-2026-01-05T01.csv');
    try {
      const lake = new DirectoryObjectStore(await mkdtemp(join(tmpdir(), 'tideline-influx-lake-')));
      const running = backfill([source()], lake, { fileRows: 2 });
      await expect(running).rejects.toThrow(HistoryFileError);
      await expect(running).rejects.toThrow(/row 11, column "state": status "RUNNING" is not one of OK, DEGRADED, FAILED/);
      expect(await lake.list('')).toEqual([]);
    } finally {
      influx.pageOverrides.delete('2026-01-05T01');
    }
  });

  it.each([
    [{ token: 'wrong' }, '--token / INFLUX_TOKEN', 'InfluxDB refused the token (401: unauthorized access)'],
    [{ org: 'acme' }, '--org / INFLUX_ORG', 'InfluxDB has no organization "acme"'],
    [{ bucket: 'telemetry' }, '--bucket / INFLUX_BUCKET', 'InfluxDB has no bucket "telemetry" in org "streamtech"'],
  ])('names the setting to fix when InfluxDB refuses %j', async (change, setting, message) => {
    const running = collect(source(change));
    await expect(running).rejects.toMatchObject({ name: 'InfluxSettingError', setting });
    await expect(running).rejects.toThrow(message);
  });

  it('names --url when no server answers', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    await expect(collect(source({ url }))).rejects.toThrow(`--url / INFLUX_URL: cannot reach InfluxDB at ${url} (ECONNREFUSED)`);
  });
});

describe('tideline backfill --from influx against recorded InfluxDB responses', () => {
  let influx: RecordedInflux;
  beforeAll(async () => {
    influx = await startRecordedInflux();
  });
  afterAll(() => influx.close());

  async function run(args: string[], dataDir?: string) {
    dataDir ??= await mkdtemp(join(tmpdir(), 'tideline-data-'));
    vi.stubEnv('TIDELINE_DATA_DIR', dataDir);
    vi.stubEnv('INFLUX_TOKEN', RECORDED.token);
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => (out.push(String(c)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => (out.push(String(c)), true));
    try {
      const code = await backfillCommand.run(['--from', 'influx', '--url', influx.url, '--org', RECORDED.org, '--bucket', RECORDED.bucket, '--no-refresh', ...args]);
      return { code, out: out.join(''), dataDir };
    } finally {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    }
  }
  const lakeFiles = async (dataDir: string) => (await readdir(join(dataDir, 'lake'), { recursive: true }).catch(() => [])).filter((f) => String(f).endsWith('.parquet'));

  it('names --map when no metric of the default map is a field of the measurement', async () => {
    // Only the sensor tag is mapped; no field is called temperature, pressure or vibration here.
    await expect(run(['--measurement', 'pump', '--range', RANGE, '--map', 'sensor_id=tag:device'])).rejects.toThrow(
      '--map: no metric maps to a field of "pump"; map at least one, e.g. temperature=press_kpa (its fields are press_kpa, state, temp_c, vib)',
    );
  });

  it('imports the range into the lake with a progress bar', async () => {
    const { code, out, dataDir } = await run(['--measurement', 'pump', '--range', RANGE, '--map', MAP]);
    expect(code).toBe(0);
    expect(out).toContain('imported 21 readings from 2026-01-05T00:00:00.000Z to 2026-01-05T02:40:00.000Z into 3 lake files');
    expect(out).toMatch(/\[#{30}\] 100% 21 rows/);
    expect(await lakeFiles(dataDir)).toHaveLength(3);
  });

  it('stops on a bad mapping naming --map, with nothing in the lake', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tideline-data-'));
    const running = run(['--measurement', 'pump', '--range', RANGE, '--map', 'sensor_id=tag:device,vibration=vibration_rms'], dataDir);
    await expect(running).rejects.toMatchObject({ name: 'InfluxSettingError', setting: '--map' });
    expect(await lakeFiles(dataDir)).toEqual([]);
  });

  it.each([
    [['--range', RANGE], '--from influx needs --measurement'],
    [['--measurement', 'pump'], '--from influx needs --range'],
    [['--measurement', 'pump', '--range', 'yesterday'], '--range: "yesterday" needs a zone'],
    [['--measurement', 'pump', '--range', RANGE, '--map', 'sensor_id=field:x'], '--map: sensor_id=field:x: the sensor must come from a tag'],
    [['--measurement', 'pump', '--range', RANGE, 'extra.csv'], '--from influx imports no files; remove extra.csv'],
  ])('rejects %j as a usage error', async (args, message) => {
    const running = run(args);
    await expect(running).rejects.toThrow(UsageError);
    await expect(running).rejects.toThrow(message);
  });
});
