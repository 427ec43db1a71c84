import { describe, expect, it } from 'vitest';
import {
  compactedKey,
  fingerprintOf,
  groupByHour,
  hourPartialsSql,
  measurementPartialsSql,
  manifestKey,
  mayRepeatStreamPositions,
  newestManifestKey,
  deviceFailuresSql,
  resolveVisible,
  type LakeScan,
} from '../../../shared/refresh/index.js';

const DIR = 'readings/dt=2026-01-05/hour=03';
const a = `${DIR}/sensor_readings-0-00000000000000000000-00000000000000000099.parquet`;
const b = `${DIR}/sensor_readings-1-00000000000000000000-00000000000000000042.parquet`;
const late = `${DIR}/sensor_readings-0-00000000000000000500-00000000000000000501.parquet`;

describe('the lake visibility rule', () => {
  it('shows every batch file when the hour was never compacted', () => {
    expect(resolveVisible([a, b], null)).toEqual({ visible: [a, b], hidden: [] });
  });

  it('hides a compacted file that no manifest names yet (written before its commit point)', () => {
    expect(resolveVisible([a, b, compactedKey(DIR, 1)], null)).toEqual({ visible: [a, b], hidden: [compactedKey(DIR, 1)] });
  });

  it('shows only the compacted file once its manifest exists, even while the sources still exist', () => {
    const manifest = { generation: 1, file: compactedKey(DIR, 1), replaces: [a, b] };
    expect(resolveVisible([a, b, compactedKey(DIR, 1), manifestKey(DIR, 1)], manifest)).toEqual({ visible: [compactedKey(DIR, 1)], hidden: [a, b] });
  });

  it('shows a late file written after compaction beside the compacted file', () => {
    const manifest = { generation: 1, file: compactedKey(DIR, 1), replaces: [a, b] };
    expect(resolveVisible([compactedKey(DIR, 1), late, manifestKey(DIR, 1)], manifest).visible).toEqual([compactedKey(DIR, 1), late]);
  });

  it('follows the newest manifest when an hour is compacted again', () => {
    const keys = [compactedKey(DIR, 1), compactedKey(DIR, 2), late, manifestKey(DIR, 1), manifestKey(DIR, 2)];
    expect(newestManifestKey(keys)).toBe(manifestKey(DIR, 2));
    const manifest = { generation: 2, file: compactedKey(DIR, 2), replaces: [a, b, compactedKey(DIR, 1), late] };
    expect(resolveVisible(keys, manifest)).toEqual({ visible: [compactedKey(DIR, 2)], hidden: [compactedKey(DIR, 1), late] });
  });

  it('groups keys by hour partition and table, ignoring other prefixes', () => {
    const hours = groupByHour([a, b, 'device_status/dt=2026-01-05/hour=03/device_status-0-1-2.parquet', 'partials/dt=2026-01-05/partials.parquet', 'staging/x']);
    expect([...hours.values()].map((h) => [h.dir, h.table, h.hourStart, h.keys.length])).toEqual([
      [DIR, 'readings', Date.UTC(2026, 0, 5, 3), 2],
      ['device_status/dt=2026-01-05/hour=03', 'deviceStatus', Date.UTC(2026, 0, 5, 3), 1],
    ]);
  });

  it('fingerprints a listing independently of order and changes when a file arrives', () => {
    expect(fingerprintOf([a, b])).toBe(fingerprintOf([b, a]));
    expect(fingerprintOf([a, b, late])).not.toBe(fingerprintOf([a, b]));
  });
});

describe('the partial-aggregate SQL generator', () => {
  const scan: LakeScan = {
    table: 'readings',
    hours: [
      { dir: DIR, visible: [a, compactedKey(DIR, 1)], hidden: [b] },
      { dir: 'readings/dt=2026-01-05/hour=04', visible: [late.replace('hour=03', 'hour=04')], hidden: [] },
    ],
  };
  const duck = hourPartialsSql({ kind: 'duckdb', root: '/lake' }, scan);
  const athena = hourPartialsSql({ kind: 'athena', database: 'tideline_lake', lakeUri: 's3://lake-bucket/' }, scan);

  it('reads the visible files on DuckDB, with hive partitioning', () => {
    expect(duck).toContain(`read_parquet(['/lake/${a}', '/lake/${compactedKey(DIR, 1)}', '/lake/${late.replace('hour=03', 'hour=04')}'], hive_partitioning = true)`);
    expect(duck).toContain("epoch_ms(date_trunc('hour', ts))");
  });

  it('reads the Glue table on Athena, pruned to the hour partitions, excluding hidden files by "$path"', () => {
    expect(athena).toContain(`"tideline_lake"."readings" WHERE ((dt = '2026-01-05' AND hour = '03') OR (dt = '2026-01-05' AND hour = '04')) AND "$path" NOT IN ('s3://lake-bucket/${b}')`);
    expect(athena).toContain("CAST(to_unixtime(date_trunc('hour', ts)) * 1000 AS BIGINT)");
  });

  it('is one text apart from the source and the epoch function', () => {
    const normalise = (sql: string) =>
      sql
        .replace(/FROM read_parquet\(\[.*?\], hive_partitioning = true\)/s, 'FROM <lake>')
        .replace(/FROM "tideline_lake"\."readings" WHERE .*?\)\)( AND "\$path" NOT IN \(.*?\))?/s, 'FROM <lake>')
        .replace(/CAST\(to_unixtime\((.*?)\) \* 1000 AS BIGINT\)/g, 'epoch_ms($1)');
    expect(normalise(athena)).toBe(normalise(duck));
    for (const gen of [deviceFailuresSql]) {
      expect(normalise(gen({ kind: 'athena', database: 'tideline_lake', lakeUri: 's3://lake-bucket/' }, scan))).toBe(normalise(gen({ kind: 'duckdb', root: '/lake' }, scan)));
    }
  });

  it('unpacks the channels JSON with each engine\'s own map functions, and is otherwise one text', () => {
    const duckM = measurementPartialsSql({ kind: 'duckdb', root: '/lake' }, scan);
    const athenaM = measurementPartialsSql({ kind: 'athena', database: 'tideline_lake', lakeUri: 's3://lake-bucket/' }, scan);
    expect(duckM).toContain('UNNEST(map_entries(CAST(json(channels) AS MAP(VARCHAR, DOUBLE)))) AS u(e)');
    expect(athenaM).toContain('CROSS JOIN UNNEST(CAST(json_parse(channels) AS MAP(VARCHAR, DOUBLE))) AS u(name, x)');
    const normalise = (sql: string) =>
      sql
        .replace(/FROM read_parquet\(\[.*?\], hive_partitioning = true\)/s, 'FROM <lake>')
        .replace(/FROM "tideline_lake"\."readings" WHERE .*?\)\)( AND "\$path" NOT IN \(.*?\))?/s, 'FROM <lake>')
        .replace(/CAST\(to_unixtime\((.*?)\) \* 1000 AS BIGINT\)/g, 'epoch_ms($1)')
        .replace(/, e\.key AS name, e\.value AS x FROM rc, UNNEST.*? AS u\(e\)/, '<channels>')
        .replace(/, u\.name, u\.x FROM rc CROSS JOIN UNNEST.*? AS u\(name, x\)/, '<channels>');
    expect(normalise(athenaM)).toBe(normalise(duckM));
  });

  it('counts each stream position once and derives M2 from the sample variance', () => {
    expect(duck).toContain('row_number() OVER (PARTITION BY kafka_topic, kafka_partition, kafka_offset ORDER BY ts) AS copy_no');
    expect(duck).toContain('coalesce(var_samp(t) * (count(t) - 1), 0) AS t_m2');
  });
});

describe('the de-duplication of stream positions', () => {
  const next = `${DIR}/sensor_readings-0-00000000000000000100-00000000000000000180.parquet`;
  const overlapping = `${DIR}/sensor_readings-0-00000000000000000050-00000000000000000120.parquet`;

  it.each([
    ['batch files of disjoint ranges', [a, next, b], false],
    ['the same range on another partition', [a, b.replace('-1-', '-2-')], false],
    ['a batch redelivered with other bounds', [a, next, overlapping], true],
    ['a compacted file beside a late batch file', [compactedKey(DIR, 1), late], true],
  ])('tells whether positions may repeat from the file names: %s', (_case, keys, repeats) => {
    expect(mayRepeatStreamPositions(keys)).toBe(repeats);
  });

  it('leaves the window out on DuckDB when the names prove each position once, never on Athena', () => {
    const scan: LakeScan = { table: 'readings', hours: [{ dir: DIR, visible: [a, next], hidden: [] }] };
    const window = 'row_number() OVER (PARTITION BY kafka_topic, kafka_partition, kafka_offset ORDER BY ts) AS copy_no';
    for (const gen of [hourPartialsSql, measurementPartialsSql, deviceFailuresSql]) {
      expect(gen({ kind: 'duckdb', root: '/lake' }, scan)).not.toContain(window);
      expect(gen({ kind: 'duckdb', root: '/lake' }, { ...scan, hours: [{ dir: DIR, visible: [a, next, overlapping], hidden: [] }] })).toContain(window);
      expect(gen({ kind: 'athena', database: 'tideline_lake', lakeUri: 's3://lake-bucket/' }, scan)).toContain(window);
    }
  });
});
