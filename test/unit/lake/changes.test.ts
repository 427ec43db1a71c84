import { describe, expect, it } from 'vitest';
import { NOTE_REUSE_MS, noteLakeChanges, parseChangeNote, partitionDirsOf } from '../../../shared/lake/index.js';
import type { ObjectStore } from '../../../shared/ports/index.js';

/** An object store in memory that records its puts. */
function memoryStore(): ObjectStore & { puts: string[] } {
  const objects = new Map<string, Uint8Array>();
  const puts: string[] = [];
  return {
    puts,
    put: async (k, b) => {
      puts.push(k);
      objects.set(k, b);
    },
    get: async (k) => objects.get(k) ?? null,
    delete: async (ks) => ks.forEach((k) => objects.delete(k)),
    list: async (p) => [...objects.keys()].filter((k) => k.startsWith(p)).sort(),
  };
}

describe('change notes', () => {
  it('finds the partition directories of lake data keys, skipping keys outside a table', () => {
    expect(
      partitionDirsOf([
        'readings/dt=2026-01-05/hour=03/a.parquet',
        'readings/dt=2026-01-05/hour=03/_compaction-000001.json',
        'device_status/dt=2026-01-05/hour=04/b.parquet',
        'partials/dt=2026-01-05/partials.json.gz',
        'staging/backfill-x/readings/dt=2026-01-05/hour=03/c.parquet',
      ]),
    ).toEqual(['device_status/dt=2026-01-05/hour=04', 'readings/dt=2026-01-05/hour=03']);
  });

  it('notes a partition once while its note is reusable, and again after NOTE_REUSE_MS', async () => {
    const lake = memoryStore();
    const t = Date.UTC(2026, 0, 5, 3, 0);
    await noteLakeChanges(lake, ['readings/dt=2026-01-05/hour=03/a.parquet'], t);
    await noteLakeChanges(lake, ['readings/dt=2026-01-05/hour=03/b.parquet'], t + NOTE_REUSE_MS - 1);
    await noteLakeChanges(lake, ['readings/dt=2026-01-05/hour=03/c.parquet'], t + NOTE_REUSE_MS);
    expect(lake.puts.map((k) => parseChangeNote(k)?.notedAt)).toEqual([t, t + NOTE_REUSE_MS]);
  });

  it('notes every time with reuse off, each note under its own key', async () => {
    const lake = memoryStore();
    const t = Date.UTC(2026, 0, 5, 3, 0);
    await noteLakeChanges(lake, ['readings/dt=2026-01-05/hour=03/a.parquet'], t, { reuse: false });
    await noteLakeChanges(lake, ['readings/dt=2026-01-05/hour=03/a.parquet'], t, { reuse: false });
    expect(new Set(lake.puts).size).toBe(2);
  });

  it('remembers nothing of a note whose put failed, so the retry notes again', async () => {
    const lake = memoryStore();
    let fail = true;
    const flaky: ObjectStore = { ...lake, put: async (k, b) => (fail ? Promise.reject(new Error('S3 down')) : lake.put(k, b)) };
    const t = Date.UTC(2026, 0, 5, 3, 0);
    await expect(noteLakeChanges(flaky, ['readings/dt=2026-01-05/hour=03/a.parquet'], t)).rejects.toThrow('S3 down');
    fail = false;
    await noteLakeChanges(flaky, ['readings/dt=2026-01-05/hour=03/a.parquet'], t + 1);
    expect(lake.puts.map((k) => parseChangeNote(k)?.notedAt)).toEqual([t + 1]);
  });
});
