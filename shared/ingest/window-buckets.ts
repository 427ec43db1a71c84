import type { IngestStateStore, StoredSensorWindow, WindowLayout, WindowVersion } from '../ports/index.js';

/**
 * A partition's committed sensor windows, by bucket key then sensor id. A bucket present here is
 * complete: it holds every sensor the stored bucket holds.
 */
export type LoadedWindows = Map<string, Map<string, WindowVersion>>;

/** Buckets of one partition at most; 65,536 × 64 KB is far beyond any partition's sensors. */
const MAX_BUCKETS = 65_536;

/**
 * The bucket holding a sensor's window: FNV-1a (32-bit) of its id modulo the bucket count, so
 * every process and every restart agrees; with 0 buckets, the sensor's own item.
 */
export function windowBucketOf(sensorId: string, buckets: number): string {
  if (buckets === 0) return sensorId;
  let h = 0x811c9dc5;
  for (let i = 0; i < sensorId.length; i++) {
    h ^= sensorId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return String((h >>> 0) % buckets);
}

/**
 * The window as of the partition's committed mark. A `current` written by an attempt whose
 * mark never advanced is not committed; the `previous` it was computed from is.
 */
export function committedWindow(stored: StoredSensorWindow | undefined, hwm: number): WindowVersion | null {
  if (!stored) return null;
  return stored.current.appliedThrough <= hwm ? stored.current : stored.previous;
}

/** Reads the buckets holding `sensorIds` that `loaded` lacks, as committed at `hwm`, into `loaded`. */
export async function loadWindows(store: IngestStateStore, layout: WindowLayout, hwm: number, loaded: LoadedWindows, sensorIds: readonly string[]): Promise<void> {
  const missing = [...new Set(sensorIds.map((id) => windowBucketOf(id, layout.buckets)))].filter((k) => !loaded.has(k));
  await readBuckets(store, layout, hwm, loaded, missing);
  if (layout.buckets === 0) return;
  // Windows stored one item per sensor (before buckets, or by a store keeping that layout) are
  // still found: a sensor not in its bucket is looked for there, and moves into its bucket when written.
  const absent = sensorIds.filter((id) => !loaded.get(windowBucketOf(id, layout.buckets))?.has(id));
  if (absent.length === 0) return;
  const perSensor = await store.getWindowBuckets({ ...layout, buckets: 0 }, absent);
  for (const id of absent) {
    const version = committedWindow(perSensor.get(id)?.[0], hwm);
    if (version) loaded.get(windowBucketOf(id, layout.buckets))?.set(id, version);
  }
}

async function readBuckets(store: IngestStateStore, layout: WindowLayout, hwm: number, loaded: LoadedWindows, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  const stored = await store.getWindowBuckets(layout, keys);
  for (const key of keys) {
    const bucket = new Map<string, WindowVersion>();
    for (const entry of stored.get(key) ?? []) {
      const version = committedWindow(entry, hwm);
      if (version) bucket.set(entry.sensorId, version);
    }
    loaded.set(key, bucket);
  }
}

/** What a batch writes of its partition's windows, and the layout they are written in. */
export interface WindowWrites {
  readonly buckets: number;
  /** Every bucket to write, with all the sensors it holds. */
  readonly writes: Map<string, StoredSensorWindow[]>;
  /** The partition's committed windows once the batch commits, for the state cache. */
  readonly committed: LoadedWindows;
}

/**
 * The buckets a batch rewrites: each bucket a judged sensor is in, holding that sensor's new
 * window (with the committed one it came from, for a retry) and every other sensor's committed
 * window unchanged. When buckets outgrow `store.windowBucketBytes` on average, every bucket is
 * read and the sensors are spread over twice as many (or more), written as a new layout the
 * mark's advance commits; the smaller layout's items are left as they were and never read again.
 */
export async function planWindowWrites(
  store: IngestStateStore,
  layout: WindowLayout,
  hwm: number,
  loaded: LoadedWindows,
  judged: ReadonlyMap<string, StoredSensorWindow>,
): Promise<WindowWrites> {
  const entriesOf = (bucket: ReadonlyMap<string, WindowVersion>, extra: Iterable<string>): StoredSensorWindow[] => {
    const ids = new Set([...bucket.keys(), ...extra]);
    return [...ids].sort().map((id) => judged.get(id) ?? { sensorId: id, current: bucket.get(id) as WindowVersion, previous: null });
  };
  const judgedByBucket = new Map<string, string[]>();
  for (const id of judged.keys()) {
    const key = windowBucketOf(id, layout.buckets);
    const list = judgedByBucket.get(key);
    if (list) list.push(id);
    else judgedByBucket.set(key, [id]);
  }
  const writes = new Map<string, StoredSensorWindow[]>();
  for (const [key, ids] of judgedByBucket) writes.set(key, entriesOf(loaded.get(key) ?? new Map(), ids));

  const target = store.windowBucketBytes;
  if (layout.buckets > 0 && target > 0 && averageBytes(writes.values()) > target && layout.buckets < MAX_BUCKETS) {
    const all = Array.from({ length: layout.buckets }, (_, b) => String(b));
    await readBuckets(store, layout, hwm, loaded, all.filter((k) => !loaded.has(k)));
    const every: StoredSensorWindow[] = [];
    for (const key of all) every.push(...(writes.get(key) ?? entriesOf(loaded.get(key) ?? new Map(), [])));
    const total = every.reduce((s, w) => s + JSON.stringify(w).length, 0);
    let buckets = layout.buckets;
    while (total / buckets > target && buckets < MAX_BUCKETS) buckets *= 2;
    if (buckets > layout.buckets) {
      const grown = new Map<string, StoredSensorWindow[]>();
      for (const w of every) {
        const key = windowBucketOf(w.sensorId, buckets);
        const list = grown.get(key);
        if (list) list.push(w);
        else grown.set(key, [w]);
      }
      return { buckets, writes: grown, committed: committedView(grown, new Map()) };
    }
  }
  return { buckets: layout.buckets, writes, committed: committedView(writes, loaded) };
}

function averageBytes(buckets: Iterable<readonly StoredSensorWindow[]>): number {
  let bytes = 0;
  let count = 0;
  for (const b of buckets) {
    bytes += JSON.stringify(b).length;
    count++;
  }
  return count === 0 ? 0 : bytes / count;
}

/** `base` with the written buckets replaced by their current windows. */
function committedView(writes: ReadonlyMap<string, readonly StoredSensorWindow[]>, base: LoadedWindows): LoadedWindows {
  for (const [key, windows] of writes) base.set(key, new Map(windows.map((w) => [w.sensorId, w.current])));
  return base;
}
