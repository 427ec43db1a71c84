import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../../shared/ports/index.js';
import { DecodedFileCache, type ColumnValues } from '../../../shared/query/index.js';

// The cache only uses a store as an identity; these two are never called.
const lakeA = {} as ObjectStore;
const lakeB = {} as ObjectStore;
const column = (n: number) => new Map([['temperature', new Float64Array(n)]]);

describe('the decoded file cache', () => {
  it('serves a file only at the version it was cached under, and drops it on another', () => {
    const cache = new DecodedFileCache(1 << 20);
    cache.add(lakeA, 'k', 'v1', 10, column(10));
    expect(cache.lookup(lakeA, 'k', 'v1')?.numRows).toBe(10);
    expect(cache.lookup(lakeA, 'k', 'v2')).toBeUndefined();
    expect(cache.lookup(lakeA, 'k', 'v1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps the same key of two stores apart', () => {
    const cache = new DecodedFileCache(1 << 20);
    cache.add(lakeA, 'k', 'v1', 10, column(10));
    expect(cache.lookup(lakeB, 'k', 'v1')).toBeUndefined();
    expect(cache.lookup(lakeA, 'k', 'v1')).toBeDefined();
  });

  it('adds columns to an entry at the same version, and keeps the first copy of a column', () => {
    const cache = new DecodedFileCache(1 << 20);
    const first = column(4);
    cache.add(lakeA, 'k', 'v1', 4, first);
    cache.add(lakeA, 'k', 'v1', 4, new Map<string, ColumnValues>([['temperature', new Float64Array(4)], ['sensor_id', ['a', 'b', 'c', 'd']]]));
    const entry = cache.lookup(lakeA, 'k', 'v1')!;
    expect([...entry.columns.keys()]).toEqual(['temperature', 'sensor_id']);
    expect(entry.columns.get('temperature')).toBe(first.get('temperature'));
  });

  it('evicts the least recently used files beyond its size bound', () => {
    // 1,000 doubles are 8,000 bytes: three fit in 25,000, a fourth pushes out the least recently used.
    const cache = new DecodedFileCache(25_000);
    for (const k of ['a', 'b', 'c']) cache.add(lakeA, k, 'v', 1000, column(1000));
    cache.lookup(lakeA, 'a', 'v'); // a is now the most recent
    cache.add(lakeA, 'd', 'v', 1000, column(1000));
    expect(['a', 'b', 'c', 'd'].filter((k) => cache.lookup(lakeA, k, 'v'))).toEqual(['a', 'c', 'd']);
    expect(cache.size).toBeLessThanOrEqual(25_000);
  });

  it('refuses a negative size bound', () => {
    expect(() => new DecodedFileCache(-1)).toThrow('file cache size must be a non-negative number of bytes, got -1');
  });
});
