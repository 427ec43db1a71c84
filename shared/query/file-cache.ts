import type { ObjectStore } from '../ports/index.js';
import { utf8Of, type ColumnValues } from './columnar.js';

/** Columns of one lake file as plain values; a column the file lacks is null (reads as nulls). */
export interface DecodedFile {
  readonly numRows: number;
  readonly columns: ReadonlyMap<string, ColumnValues | null>;
}

interface Entry {
  readonly version: string;
  readonly numRows: number;
  readonly columns: Map<string, ColumnValues | null>;
  bytes: number;
}

/** What the executor's query mode keeps by default: a few hundred lake files' worth of query columns. */
export const DEFAULT_FILE_CACHE_BYTES = 128 * 1024 * 1024;

/**
 * Decoded lake files, least recently used first out, bounded by an estimate of their heap size.
 * Lake files are immutable by key except when a replay or compaction rewrites one, so an entry
 * is keyed by store and key and holds the store's version token (ETag, or inode/size/mtime): a
 * lookup under another token drops the entry. Which files a query reads (the compaction
 * visibility rule) is decided before the cache, by the coordinator's listing.
 * Cached columns are shared between queries and must never be written to.
 */
export class DecodedFileCache {
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, Entry>();
  private readonly storeIds = new WeakMap<ObjectStore, number>();
  private bytes = 0;

  constructor(readonly maxBytes: number = DEFAULT_FILE_CACHE_BYTES) {
    if (!(maxBytes >= 0)) throw new Error(`file cache size must be a non-negative number of bytes, got ${maxBytes}`);
  }

  /** Estimated heap bytes held. */
  get size(): number {
    return this.bytes;
  }

  /** The file at `version`, with whichever columns are cached so far; undefined when not cached at that version. */
  lookup(store: ObjectStore, key: string, version: string): DecodedFile | undefined {
    const id = this.id(store, key);
    const e = this.entries.get(id);
    if (!e) return undefined;
    this.entries.delete(id);
    if (e.version !== version) {
      this.bytes -= e.bytes;
      return undefined;
    }
    this.entries.set(id, e);
    return e;
  }

  /** Adds decoded columns of the file at `version` (to its entry when it has one at that version), then evicts down to the bound. */
  add(store: ObjectStore, key: string, version: string, numRows: number, columns: ReadonlyMap<string, ColumnValues | null>): void {
    const id = this.id(store, key);
    let e = this.entries.get(id);
    if (e && (e.version !== version || e.numRows !== numRows)) {
      this.entries.delete(id);
      this.bytes -= e.bytes;
      e = undefined;
    }
    if (!e) {
      e = { version, numRows, columns: new Map(), bytes: 0 };
      this.entries.set(id, e);
    }
    for (const [name, values] of columns) {
      if (e.columns.has(name)) continue;
      const b = estimateBytes(values);
      e.columns.set(name, values);
      e.bytes += b;
      this.bytes += b;
    }
    while (this.bytes > this.maxBytes && this.entries.size > 0) {
      const [oldest, victim] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldest);
      this.bytes -= victim.bytes;
    }
  }

  private id(store: ObjectStore, key: string): string {
    let n = this.storeIds.get(store);
    if (n === undefined) this.storeIds.set(store, (n = nextStoreId++));
    return `${n}\u0000${key}`;
  }
}

let nextStoreId = 0;

/** Heap bytes of a column, roughly: 8 per cell, plus each string's characters and header, plus UTF-8 bytes kept beside. */
function estimateBytes(values: ColumnValues | null): number {
  if (!values) return 0;
  if (values instanceof Float64Array) return values.byteLength;
  const utf8 = utf8Of(values);
  let bytes = 16 + 8 * values.length + (utf8 ? utf8.data.byteLength + utf8.valueOffsets.byteLength : 0);
  for (const v of values) if (typeof v === 'string') bytes += 20 + v.length;
  return bytes;
}
