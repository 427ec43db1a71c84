import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryObjectStore } from '../../../shared/adapters/index.js';

describe('the lake directory as an object store', () => {
  it('lists every key under a prefix, nested at any depth, sorted, without half-written files', async () => {
    const store = new DirectoryObjectStore(await mkdtemp(join(tmpdir(), 'tideline-dir-store-')));
    const keys = [
      'readings/dt=2026-01-05/hour=03/a.parquet',
      'readings/dt=2026-01-05/hour=03/_compaction-1.json',
      'readings/dt=2026-01-05/hour=10/b.parquet',
      'readings/dt=2026-01-06/hour=00/c.parquet',
      'readings/dt=2026-01-050/hour=00/not-this-day.parquet',
      'partials/dt=2026-01-05/partials.json.gz',
    ];
    for (const k of keys) await store.put(k, new Uint8Array([1]));
    await writeFile(join(store.root, 'readings/dt=2026-01-05/hour=03/d.parquet.1234.tmp'), 'half');

    expect(await store.list('readings/dt=2026-01-05/')).toEqual([
      'readings/dt=2026-01-05/hour=03/_compaction-1.json',
      'readings/dt=2026-01-05/hour=03/a.parquet',
      'readings/dt=2026-01-05/hour=10/b.parquet',
    ]);
    expect(await store.list('readings/dt=2026-01-05')).toHaveLength(4);
    expect(await store.list('')).toEqual([...keys].sort());
    expect(await store.list('device_status/')).toEqual([]);
  });

  it('gives a new version whenever an object is put again, the same one the put resolved to, null when there is none, and rejects a bad key', async () => {
    const store = new DirectoryObjectStore(await mkdtemp(join(tmpdir(), 'tideline-dir-store-')));
    const key = 'partials/dt=2026-01-05/partials.json.gz';
    expect(await store.version(key)).toBeNull();
    const put = await store.put(key, new Uint8Array([1, 2, 3]));
    const first = await store.version(key);
    expect(first).toMatch(/^\d+-3-\d+$/);
    expect(put).toBe(first);
    expect(await store.version(key)).toBe(first);
    const again = await store.put(key, new Uint8Array([1, 2, 3]));
    expect(await store.version(key)).not.toBe(first);
    expect(await store.version(key)).toBe(again);
    await expect(store.version('../outside')).rejects.toThrow('object key "../outside" must be relative without ".."');
  });
});
