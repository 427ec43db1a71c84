import { mkdir, open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { TidelineError } from '../../errors.js';
import type { ProducedRecord } from '../../readings/index.js';
import { partitionForKey } from '../murmur2.js';

/** The embedded log was used wrongly or its files are unreadable; the message says which and how to fix it. */
export class EmbeddedLogError extends TidelineError {}

export interface EmbeddedLogOptions {
  /** Partitions of a topic created by this log (an existing topic keeps its own count, as in Kafka). @default 4 */
  readonly partitions?: number;
  /** A segment is rolled once it reaches this size. @default 16 MiB */
  readonly segmentBytes?: number;
  /**
   * Closed segments whose every record all consumer groups have committed past are deleted once
   * a partition holds more than this. @default 256 MiB
   */
  readonly retentionBytes?: number;
  /** Wall clock for record timestamps when the producer gives none. @default Date.now */
  readonly now?: () => number;
}

/** A record to append: key (null: round-robin), value and optional create time. */
export interface RecordToProduce {
  readonly key: string | Uint8Array | null;
  readonly value: string | Uint8Array | null;
  readonly timestamp?: number;
}

/** Where an appended record landed. */
export interface RecordPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

// Frame: u32 body length, u32 CRC-32 of the body, then the body:
// i64 offset, i64 timestamp, i32 key length (-1 = null), key, i32 value length (-1 = null), value.
const FRAME_HEADER = 8;
const BODY_FIXED = 8 + 8 + 4 + 4;
const MAX_RECORD_BYTES = 8 * 1024 * 1024;
const SEGMENT_SUFFIX = '.log';
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

interface Segment {
  readonly baseOffset: number;
  readonly path: string;
  /** Bytes written. */
  size: number;
  /** Bytes fsync'd: readers see only these, as Kafka consumers see only up to the high watermark. */
  durable: number;
}

interface PendingAppend {
  readonly frames: Buffer[];
  readonly firstOffset: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** One partition: segments on disk, the active one open for appends, group-committed fsyncs. */
class PartitionLog {
  private active: FileHandle | null = null;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;
  private readHint: { offset: number; baseOffset: number; position: number } | null = null;
  /** Offset the next appended record gets. */
  nextOffset = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly dir: string,
    readonly segments: Segment[],
    private readonly options: Required<Omit<EmbeddedLogOptions, 'now'>>,
  ) {}

  static async open(topic: string, partition: number, dir: string, options: Required<Omit<EmbeddedLogOptions, 'now'>>): Promise<PartitionLog> {
    await mkdir(dir, { recursive: true });
    const names = (await readdir(dir)).filter((f) => f.endsWith(SEGMENT_SUFFIX)).sort();
    const segments: Segment[] = [];
    for (const name of names) {
      const path = join(dir, name);
      const size = (await stat(path)).size;
      segments.push({ baseOffset: Number(name.slice(0, -SEGMENT_SUFFIX.length)), path, size, durable: size });
    }
    const log = new PartitionLog(topic, partition, dir, segments, options);
    if (segments.length === 0) {
      await log.roll(0);
    } else {
      await log.recoverTail();
    }
    return log;
  }

  /**
   * Scans the last segment and cuts a torn tail (a frame half-written when the process died):
   * such a record was never acknowledged, because acknowledgement waits for the fsync.
   */
  private async recoverTail(): Promise<void> {
    const last = this.segments[this.segments.length - 1];
    const fh = await open(last.path, 'r+');
    let position = 0;
    let next = last.baseOffset;
    const buf = await readWhole(fh, last.size);
    while (position + FRAME_HEADER <= buf.length) {
      const frame = parseFrame(buf, position);
      if (!frame) break;
      next = frame.record.offset + 1;
      position += frame.bytes;
    }
    if (position < buf.length) {
      await fh.truncate(position);
      await fh.sync();
      last.size = last.durable = position;
    }
    await fh.close();
    // Append mode: every write lands at the end, whatever the handle's position.
    this.active = await open(last.path, 'a');
    this.nextOffset = next;
  }

  private async roll(baseOffset: number): Promise<void> {
    if (this.active) {
      await this.active.datasync();
      const last = this.segments[this.segments.length - 1];
      last.durable = last.size;
      await this.active.close();
    }
    const path = join(this.dir, `${String(baseOffset).padStart(20, '0')}${SEGMENT_SUFFIX}`);
    this.active = await open(path, 'a');
    await this.active.sync();
    await syncDir(this.dir);
    this.segments.push({ baseOffset, path, size: 0, durable: 0 });
  }

  /** Assigns offsets now (so order is the call order) and resolves once the records are on disk. */
  append(records: readonly RecordToProduce[], now: () => number): { firstOffset: number; done: Promise<void> } {
    if (this.closed) throw new EmbeddedLogError(`partition ${this.topic}-${this.partition} is closed`);
    const firstOffset = this.nextOffset;
    const frames = records.map((r, i) => encodeFrame(firstOffset + i, r.timestamp ?? now(), r.key, r.value));
    this.nextOffset += records.length;
    const done = new Promise<void>((resolve, reject) => this.pending.push({ frames, firstOffset, resolve, reject }));
    this.kick();
    return { firstOffset, done };
  }

  // One write and one fsync for everything queued meanwhile (group commit).
  private kick(): void {
    if (this.flushing) return;
    this.flushing = (async () => {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          for (const p of batch) {
            const segment = this.segments[this.segments.length - 1];
            if (segment.size >= this.options.segmentBytes) await this.roll(p.firstOffset);
            const body = Buffer.concat(p.frames);
            await (this.active as FileHandle).write(body);
            this.segments[this.segments.length - 1].size += body.length;
          }
          await (this.active as FileHandle).datasync();
          const last = this.segments[this.segments.length - 1];
          last.durable = last.size;
          for (const p of batch) p.resolve();
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
      this.flushing = null;
    })();
  }

  /** Records from `fromOffset`, at most `max` of them and about `maxBytes`, only those already fsync'd. */
  async read(fromOffset: number, max: number, maxBytes: number): Promise<ProducedRecord[]> {
    const out: ProducedRecord[] = [];
    if (fromOffset < this.segments[0].baseOffset) {
      throw new EmbeddedLogError(
        `offset ${fromOffset} of ${this.topic}-${this.partition} was deleted by retention (earliest is ${this.segments[0].baseOffset})`,
      );
    }
    let index = this.segments.length - 1;
    while (index > 0 && this.segments[index].baseOffset > fromOffset) index--;
    // A consumer reads on from where it stopped: start at the remembered byte position.
    const hint = this.readHint;
    let position = hint && hint.offset === fromOffset && hint.baseOffset === this.segments[index].baseOffset ? hint.position : 0;
    let bytes = 0;
    while (index < this.segments.length && out.length < max && bytes < maxBytes) {
      const segment = this.segments[index];
      if (position >= segment.durable) {
        if (index === this.segments.length - 1) break;
        index++;
        position = 0;
        continue;
      }
      // Large enough for any single frame, so a chunk always makes progress.
      const want = Math.min(segment.durable - position, Math.max(maxBytes - bytes, MAX_RECORD_BYTES + 1024));
      const fh = await open(segment.path, 'r');
      let buf: Buffer;
      try {
        buf = await readAt(fh, position, want);
      } finally {
        await fh.close();
      }
      let p = 0;
      while (out.length < max && bytes < maxBytes) {
        const frame = parseFrame(buf, p);
        if (!frame) break;
        p += frame.bytes;
        if (frame.record.offset < fromOffset) continue;
        out.push({ ...frame.record, topic: this.topic, partition: this.partition });
        bytes += frame.bytes;
      }
      if (p === 0) throw new EmbeddedLogError(`segment ${segment.path} is corrupt at byte ${position}: delete the data directory's stream folder to start over`);
      position += p;
    }
    if (out.length > 0) {
      this.readHint = { offset: out[out.length - 1].offset + 1, baseOffset: this.segments[Math.min(index, this.segments.length - 1)].baseOffset, position };
    }
    return out;
  }

  /** Deletes closed segments wholly below `committed` while the partition is over its retention size. */
  async enforceRetention(committed: number): Promise<void> {
    let total = this.segments.reduce((s, x) => s + x.size, 0);
    while (this.segments.length > 1 && total > this.options.retentionBytes && this.segments[1].baseOffset <= committed) {
      const [old] = this.segments.splice(0, 1);
      await unlink(old.path);
      total -= old.size;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.active?.close();
    this.active = null;
  }
}

/**
 * A durable, partitioned log on disk with Kafka's semantics, standing in for MSK on one machine:
 * topics with a fixed partition count, keys mapped to partitions by Kafka's default (murmur2)
 * partitioner, per-partition append-only segments with offsets, and committed consumer offsets
 * per group. A produce resolves only after its records are fsync'd, so a kill -9 loses nothing
 * acknowledged; a torn tail left by a crash is cut on the next open.
 *
 * Layout under `dir`: `<topic>/topic.json` (partition count), `<topic>/<partition>/<baseOffset>.log`,
 * `__consumer_offsets/<group>.json`. One process opens a log at a time.
 *
 * @example
 * const log = await EmbeddedLog.open('.tideline/stream');
 * await log.produce('sensor_readings', [{ key: 'pump-7', value: '{"sensor_id":"pump-7",…}' }]);
 */
export class EmbeddedLog {
  private readonly topics = new Map<string, PartitionLog[]>();
  private readonly opening = new Map<string, Promise<PartitionLog[]>>();
  private readonly roundRobin = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private readonly options: Required<Omit<EmbeddedLogOptions, 'now'>>;
  private readonly now: () => number;

  private constructor(
    readonly dir: string,
    options: EmbeddedLogOptions,
  ) {
    this.options = {
      partitions: options.partitions ?? 4,
      segmentBytes: options.segmentBytes ?? 16 * 1024 * 1024,
      retentionBytes: options.retentionBytes ?? 256 * 1024 * 1024,
    };
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.options.partitions) || this.options.partitions < 1 || this.options.partitions > 1024) {
      throw new EmbeddedLogError(`partitions must be an integer from 1 to 1024, got ${this.options.partitions}`);
    }
  }

  /** Opens (or creates) the log under `dir`, recovering every partition's tail. */
  static async open(dir: string, options: EmbeddedLogOptions = {}): Promise<EmbeddedLog> {
    const log = new EmbeddedLog(dir, options);
    await mkdir(join(dir, '__consumer_offsets'), { recursive: true });
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name !== '__consumer_offsets') await log.topic(entry.name);
    }
    return log;
  }

  /** The topic's partitions, creating the topic with the configured partition count on first use. */
  private async topic(name: string): Promise<PartitionLog[]> {
    const known = this.topics.get(name);
    if (known) return known;
    let opening = this.opening.get(name);
    if (!opening) {
      opening = this.openTopic(name).finally(() => this.opening.delete(name));
      this.opening.set(name, opening);
    }
    return opening;
  }

  private async openTopic(name: string): Promise<PartitionLog[]> {
    if (!TOPIC_NAME.test(name)) throw new EmbeddedLogError(`topic "${name}" must be 1-249 characters of letters, digits, ".", "_" or "-"`);
    const topicDir = join(this.dir, name);
    const metaPath = join(topicDir, 'topic.json');
    let partitions: number;
    try {
      partitions = (JSON.parse(await readFile(metaPath, 'utf8')) as { partitions: number }).partitions;
    } catch {
      partitions = this.options.partitions;
      await mkdir(topicDir, { recursive: true });
      await writeDurably(metaPath, JSON.stringify({ partitions }));
    }
    const logs = await Promise.all(Array.from({ length: partitions }, (_, p) => PartitionLog.open(name, p, join(topicDir, String(p)), this.options)));
    this.topics.set(name, logs);
    return logs;
  }

  /** Partition count of a topic (created on first use). */
  async partitions(topic: string): Promise<number> {
    return (await this.topic(topic)).length;
  }

  /** Topics in the log. */
  topicNames(): string[] {
    return [...this.topics.keys()].sort();
  }

  /**
   * Appends records; a keyed record goes to `murmur2(key) mod partitions`, a keyless one round-robin.
   * Resolves with each record's position once all are fsync'd (the acknowledgement).
   */
  async produce(topic: string, records: readonly RecordToProduce[]): Promise<RecordPosition[]> {
    const partitions = await this.topic(topic);
    const byPartition = new Map<number, { index: number; record: RecordToProduce }[]>();
    records.forEach((record, index) => {
      if (record.value !== null && Buffer.byteLength(record.value) > MAX_RECORD_BYTES) {
        throw new EmbeddedLogError(`record ${index} of ${Buffer.byteLength(record.value)} bytes exceeds the ${MAX_RECORD_BYTES}-byte limit`);
      }
      let p: number;
      if (record.key === null) {
        p = (this.roundRobin.get(topic) ?? 0) % partitions.length;
        this.roundRobin.set(topic, p + 1);
      } else {
        p = partitionForKey(record.key, partitions.length);
      }
      let list = byPartition.get(p);
      if (!list) byPartition.set(p, (list = []));
      list.push({ index, record });
    });
    const positions: RecordPosition[] = new Array(records.length);
    const writes: Promise<void>[] = [];
    for (const [p, list] of byPartition) {
      const { firstOffset, done } = partitions[p].append(list.map((x) => x.record), this.now);
      list.forEach((x, i) => (positions[x.index] = { topic, partition: p, offset: firstOffset + i }));
      writes.push(done);
    }
    await Promise.all(writes);
    for (const l of this.listeners) l();
    return positions;
  }

  /** Durable records of one partition from `fromOffset` (at most `max`, about `maxBytes`). */
  async read(topic: string, partition: number, fromOffset: number, max = 10_000, maxBytes = 6 * 1024 * 1024): Promise<ProducedRecord[]> {
    const partitions = await this.topic(topic);
    const log = partitions[partition];
    if (!log) throw new EmbeddedLogError(`topic "${topic}" has partitions 0-${partitions.length - 1}, got ${partition}`);
    return log.read(fromOffset, max, maxBytes);
  }

  /** The offset the next record of the partition will get (Kafka's log end offset). */
  async endOffset(topic: string, partition: number): Promise<number> {
    return (await this.topic(topic))[partition].nextOffset;
  }

  /** The group's committed offsets of a topic (the next offset to consume, per partition; 0 when none). */
  async committed(group: string, topic: string): Promise<number[]> {
    const partitions = await this.topic(topic);
    const all = await this.readOffsets(group);
    return partitions.map((_, p) => all[`${topic}-${p}`] ?? 0);
  }

  /** Commits the group's next offsets (durably: write, fsync, rename), then applies retention. */
  async commit(group: string, offsets: readonly RecordPosition[]): Promise<void> {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(group)) throw new EmbeddedLogError(`consumer group "${group}" must be letters, digits, ".", "_" or "-"`);
    const all = await this.readOffsets(group);
    for (const o of offsets) all[`${o.topic}-${o.partition}`] = o.offset;
    await writeDurably(join(this.dir, '__consumer_offsets', `${group}.json`), JSON.stringify(all));
    for (const o of offsets) {
      const log = this.topics.get(o.topic)?.[o.partition];
      if (log) await log.enforceRetention(await this.minCommitted(o.topic, o.partition));
    }
  }

  private async minCommitted(topic: string, partition: number): Promise<number> {
    let min = Infinity;
    for (const f of await readdir(join(this.dir, '__consumer_offsets'))) {
      if (!f.endsWith('.json')) continue;
      min = Math.min(min, (await this.readOffsets(f.slice(0, -5)))[`${topic}-${partition}`] ?? 0);
    }
    return min === Infinity ? 0 : min;
  }

  private async readOffsets(group: string): Promise<Record<string, number>> {
    try {
      return JSON.parse(await readFile(join(this.dir, '__consumer_offsets', `${group}.json`), 'utf8')) as Record<string, number>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new EmbeddedLogError(`the committed offsets of group "${group}" are unreadable: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Calls `listener` after every acknowledged produce; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for queued appends to reach the disk and closes every file. */
  async close(): Promise<void> {
    for (const partitions of this.topics.values()) await Promise.all(partitions.map((p) => p.close()));
    this.topics.clear();
  }
}

function encodeFrame(offset: number, timestamp: number, key: string | Uint8Array | null, value: string | Uint8Array | null): Buffer {
  const k = key === null ? null : typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  const v = value === null ? null : typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  const bodyLength = BODY_FIXED + (k?.length ?? 0) + (v?.length ?? 0);
  const frame = Buffer.allocUnsafe(FRAME_HEADER + bodyLength);
  let o = FRAME_HEADER;
  frame.writeBigInt64BE(BigInt(offset), o);
  frame.writeBigInt64BE(BigInt(Math.trunc(timestamp)), o + 8);
  o += 16;
  frame.writeInt32BE(k ? k.length : -1, o);
  o += 4;
  if (k) o += k.copy(frame, o);
  frame.writeInt32BE(v ? v.length : -1, o);
  o += 4;
  if (v) v.copy(frame, o);
  frame.writeUInt32BE(bodyLength, 0);
  frame.writeUInt32BE(crc32(frame.subarray(FRAME_HEADER)), 4);
  return frame;
}

/** The frame at `position`, or null when it is incomplete or fails its checksum (a torn tail). */
function parseFrame(buf: Buffer, position: number): { record: Omit<ProducedRecord, 'topic' | 'partition'>; bytes: number } | null {
  if (position + FRAME_HEADER > buf.length) return null;
  const bodyLength = buf.readUInt32BE(position);
  const end = position + FRAME_HEADER + bodyLength;
  if (bodyLength < BODY_FIXED || end > buf.length) return null;
  const body = buf.subarray(position + FRAME_HEADER, end);
  if (crc32(body) !== buf.readUInt32BE(position + 4)) return null;
  const offset = Number(body.readBigInt64BE(0));
  const timestamp = Number(body.readBigInt64BE(8));
  let o = 16;
  const keyLength = body.readInt32BE(o);
  o += 4;
  const key = keyLength < 0 ? null : Buffer.from(body.subarray(o, o + keyLength));
  o += Math.max(0, keyLength);
  const valueLength = body.readInt32BE(o);
  o += 4;
  const value = valueLength < 0 ? null : Buffer.from(body.subarray(o, o + valueLength));
  return { record: { offset, timestamp, key, value }, bytes: FRAME_HEADER + bodyLength };
}

async function readWhole(fh: FileHandle, size: number): Promise<Buffer> {
  return readAt(fh, 0, size);
}

async function readAt(fh: FileHandle, start: number, size: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  let read = 0;
  while (read < size) {
    const { bytesRead } = await fh.read(buf, read, size - read, start + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return buf.subarray(0, read);
}

/** Replaces `path` atomically and durably: a crash leaves the old or the new content, never half. */
async function writeDurably(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDir(join(path, '..'));
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
