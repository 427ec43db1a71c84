import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryObjectStore, S3ObjectStore } from '../../../shared/adapters/index.js';
import { batchObjectKey, encodeParquet, type LakeSchema } from '../../../shared/lake/index.js';
import type { ObjectStore } from '../../../shared/ports/index.js';
import { DecodedFileCache, listLakeFiles, loadQueryConfig, parseQuerySpec, planSlices, runQuerySlice, type SliceResult } from '../../../shared/query/index.js';
import { T0 } from '../../helpers/factories.js';
import { startS3rver, type LocalS3 } from '../../helpers/s3rver.js';

const SCHEMA: LakeSchema = [['sensor_id', 'string'], ['ts', 'timestamp'], ['temperature', 'double'], ['kafka_partition', 'int'], ['kafka_offset', 'bigint']];
const KEY = batchObjectKey('readings', T0, 'sensor_readings', 0, 0, 2);
const file = (temperatures: number[]) =>
  encodeParquet(SCHEMA, temperatures.map((temperature, i) => ({ sensor_id: `sensor-${i}`, ts: T0 + i * 1000, temperature, kafka_partition: 0, kafka_offset: i })));

/** The real store, counting the objects it hands out. */
function counting(lake: ObjectStore): ObjectStore & { gets: number; version(key: string): Promise<string | null> } {
  const c = {
    gets: 0,
    put: (k: string, b: Uint8Array) => lake.put(k, b),
    get: (k: string) => (c.gets++, lake.get(k)),
    delete: (ks: readonly string[]) => lake.delete(ks),
    list: (p: string) => lake.list(p),
    version: (k: string) => lake.version!(k),
  };
  return c;
}

async function sumOfTemperature(lake: ObjectStore, cache: DecodedFileCache): Promise<number> {
  const spec = parseQuerySpec({ from: T0, to: T0 + 3_600_000, metrics: ['temperature'], aggregates: ['count', 'sum'] }, loadQueryConfig({}), T0);
  const [slice] = planSlices(spec, await listLakeFiles(lake, spec.from, spec.to), 'q');
  const result = (await runQuerySlice(slice, lake, cache)) as Extract<SliceResult, { kind: 'aggregates' }>;
  return result.groups[0].metrics[0].sum;
}

describe.each([
  [
    'the lake directory',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tideline-cache-'));
      return { lake: new DirectoryObjectStore(dir) as ObjectStore, stop: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'S3 (s3rver)',
    async () => {
      const s3: LocalS3 = await startS3rver();
      await s3.client.send(new CreateBucketCommand({ Bucket: 'lake' }));
      return { lake: new S3ObjectStore(s3.client, 'lake') as ObjectStore, stop: () => s3.stop() };
    },
  ],
])('query slices over a cache of decoded files, in %s', (_, open) => {
  let lake: ReturnType<typeof counting>;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    const opened = await open();
    lake = counting(opened.lake);
    stop = opened.stop;
  });
  afterAll(() => stop());

  it('reads a file it has decoded at the same version without fetching it, and a rewritten one afresh', async () => {
    const cache = new DecodedFileCache();
    await lake.put(KEY, file([1, 2, 3]));
    expect(await sumOfTemperature(lake, cache)).toBe(6);
    expect(lake.gets).toBe(1);
    expect(await sumOfTemperature(lake, cache)).toBe(6);
    expect(lake.gets).toBe(1);
    // A replay or compaction writes the same key again with other content.
    await lake.put(KEY, file([10, 20, 30]));
    expect(await sumOfTemperature(lake, cache)).toBe(60);
    expect(lake.gets).toBe(2);
  });

  it('gives no version for a missing object', async () => {
    expect(await lake.version('readings/nothing-here.parquet')).toBeNull();
  });
});
