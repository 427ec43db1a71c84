import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../../shared/adapters/index.js';
import { CHANGES_PREFIX, decodeParquet, encodeParquet, noteLakeChanges, parseChangeNote } from '../../../shared/lake/index.js';
import { startS3rver, type LocalS3 } from '../../helpers/s3rver.js';

describe('S3ObjectStore against a local S3 server (s3rver)', () => {
  let s3: LocalS3;
  let store: S3ObjectStore;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startS3rver();
    client = s3.client;
    await client.send(new CreateBucketCommand({ Bucket: 'lake' }));
    store = new S3ObjectStore(client, 'lake', 'tideline/');
  });
  afterAll(() => s3.stop());

  it('puts, gets, lists under a prefix and deletes Parquet objects', async () => {
    const body = encodeParquet([['sensor_id', 'string'], ['temperature', 'double']], [{ sensor_id: 's1', temperature: 21.5 }]);
    await store.put('readings/dt=2026-01-05/hour=00/a.parquet', body);
    await store.put('readings/dt=2026-01-05/hour=01/b.parquet', body);
    await store.put('device_status/dt=2026-01-05/hour=00/c.parquet', body);

    expect(await store.list('readings/')).toEqual(['readings/dt=2026-01-05/hour=00/a.parquet', 'readings/dt=2026-01-05/hour=01/b.parquet']);
    const got = await store.get('readings/dt=2026-01-05/hour=00/a.parquet');
    expect(decodeParquet(got!).toArray().map((r) => r.toJSON())).toEqual([{ sensor_id: 's1', temperature: 21.5 }]);

    await store.delete(['readings/dt=2026-01-05/hour=00/a.parquet', 'readings/missing.parquet']);
    expect(await store.get('readings/dt=2026-01-05/hour=00/a.parquet')).toBeNull();
    expect(await store.list('readings/')).toEqual(['readings/dt=2026-01-05/hour=01/b.parquet']);
  });

  it('keeps change notes: empty objects named by partition, listed in one listing and removed by key', async () => {
    const notes = new S3ObjectStore(client, 'lake', 'notes/');
    const at = Date.UTC(2026, 0, 5, 3, 20);
    await noteLakeChanges(notes, ['readings/dt=2026-01-05/hour=03/a.parquet', 'readings/dt=2026-01-05/hour=03/b.parquet', 'device_status/dt=2026-01-05/hour=02/c.parquet'], at);
    // Within NOTE_REUSE_MS this process's notes cover further writes to the same partitions.
    await noteLakeChanges(notes, ['readings/dt=2026-01-05/hour=03/d.parquet'], at + 60_000);
    const keys = await notes.list(`${CHANGES_PREFIX}/`);
    expect(keys.map((k) => parseChangeNote(k)?.dir)).toEqual(['device_status/dt=2026-01-05/hour=02', 'readings/dt=2026-01-05/hour=03']);
    expect(keys.map((k) => parseChangeNote(k)?.notedAt)).toEqual([at, at]);
    expect((await notes.get(keys[0]))?.length).toBe(0);
    await notes.delete([keys[0]]);
    expect(await notes.list(`${CHANGES_PREFIX}/`)).toEqual([keys[1]]);
  });

  it('gives a new version when an object is rewritten with other bytes, the same one the put resolved to, and null when there is none', async () => {
    const key = 'partials/dt=2026-01-05/partials.json.gz';
    expect(await store.version(key)).toBeNull();
    const put = await store.put(key, new Uint8Array([1, 2, 3]));
    const first = await store.version(key);
    expect(put).toBe(first);
    const again = await store.put(key, new Uint8Array([1, 2, 4]));
    expect(await store.version(key)).not.toBe(first);
    expect(await store.version(key)).toBe(again);
  });

  it('pages through listings longer than one response', async () => {
    const paged = new S3ObjectStore(client, 'lake', 'paged/', 7);
    const keys = Array.from({ length: 30 }, (_, i) => `many/${String(i).padStart(5, '0')}`);
    for (const k of keys) await paged.put(k, new Uint8Array([1]));
    expect(await paged.list('many/')).toEqual(keys);
  });
});
