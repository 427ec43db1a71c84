import { mkdtemp, open, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog, EmbeddedLogError, partitionForKey, type EmbeddedLogOptions } from '../../../shared/adapters/index.js';

const opened: EmbeddedLog[] = [];
async function openLog(dir?: string, options: EmbeddedLogOptions = {}): Promise<EmbeddedLog> {
  const log = await EmbeddedLog.open(dir ?? (await mkdtemp(join(tmpdir(), 'tideline-log-'))), options);
  opened.push(log);
  return log;
}
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close();
});

const text = (b: Uint8Array | string | null) => (b === null ? null : Buffer.from(b).toString('utf8'));

describe('EmbeddedLog', () => {
  it('puts a keyed record on the murmur2 partition and numbers each partition from 0', async () => {
    const log = await openLog(undefined, { partitions: 4 });
    const keys = ['pump-1', 'pump-2', 'pump-3', 'pump-1', 'pump-9'];
    const positions = await log.produce('sensor_readings', keys.map((key, i) => ({ key, value: `v${i}`, timestamp: 1000 + i })));
    const seen = new Map<number, number>();
    positions.forEach((pos, i) => {
      expect(pos.partition).toBe(partitionForKey(keys[i], 4));
      expect(pos.offset).toBe(seen.get(pos.partition) ?? 0);
      seen.set(pos.partition, pos.offset + 1);
    });
    const p = positions[0].partition;
    const records = await log.read('sensor_readings', p, 0);
    expect(records.map((r) => text(r.key))).toEqual(keys.filter((k) => partitionForKey(k, 4) === p));
    expect(records[0]).toMatchObject({ topic: 'sensor_readings', partition: p, offset: 0, timestamp: 1000 });
    expect(text(records[0].value)).toBe('v0');
  });

  it('spreads keyless records round-robin and keeps null keys and values null', async () => {
    const log = await openLog(undefined, { partitions: 3 });
    const positions = await log.produce('t', [{ key: null, value: null }, { key: null, value: 'x' }, { key: null, value: 'y' }]);
    expect(positions.map((p) => p.partition)).toEqual([0, 1, 2]);
    const [r] = await log.read('t', 0, 0);
    expect(r.key).toBeNull();
    expect(r.value).toBeNull();
  });

  it('keeps records, offsets and committed offsets across a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tideline-log-'));
    const first = await EmbeddedLog.open(dir, { partitions: 2 });
    await first.produce('t', Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    await first.commit('g', [{ topic: 't', partition: 0, offset: 7 }]);
    await first.close();
    // A different partition count on reopen does not remap keys: the topic keeps its own.
    const again = await openLog(dir, { partitions: 8 });
    expect(await again.partitions('t')).toBe(2);
    expect(await again.committed('g', 't')).toEqual([7, 0]);
    const ends = [await again.endOffset('t', 0), await again.endOffset('t', 1)];
    expect(ends[0] + ends[1]).toBe(50);
    const [next] = await again.produce('t', [{ key: 'k0', value: 'again' }]);
    expect(next.offset).toBe(ends[next.partition]);
  });

  it('cuts a torn tail left by a crash and appends after the last whole record', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tideline-log-'));
    const first = await EmbeddedLog.open(dir, { partitions: 1 });
    await first.produce('t', [{ key: 'a', value: 'one' }, { key: 'a', value: 'two' }]);
    await first.close();
    const segment = join(dir, 't', '0', '00000000000000000000.log');
    const whole = (await stat(segment)).size;
    // Half a frame, as a process killed mid-write leaves it.
    const fh = await open(segment, 'a');
    await fh.write(Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 9, 9]));
    await fh.close();
    const log = await openLog(dir);
    expect((await stat(segment)).size).toBe(whole);
    const [pos] = await log.produce('t', [{ key: 'a', value: 'three' }]);
    expect(pos.offset).toBe(2);
    expect((await log.read('t', 0, 0)).map((r) => text(r.value))).toEqual(['one', 'two', 'three']);
  });

  it('rolls segments by size and reads across them from any offset', async () => {
    const log = await openLog(undefined, { partitions: 1, segmentBytes: 1024 });
    for (let i = 0; i < 20; i++) await log.produce('t', Array.from({ length: 10 }, (_, j) => ({ key: 'k', value: `value-${i * 10 + j}` })));
    expect((await readdir(join(log.dir, 't', '0'))).filter((f) => f.endsWith('.log')).length).toBeGreaterThan(3);
    const records = await log.read('t', 0, 57, 100);
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 100 }, (_, i) => 57 + i));
    expect(text(records[0].value)).toBe('value-57');
    // Reading on from where a read stopped uses the remembered position and gives the same records.
    expect((await log.read('t', 0, 157, 5)).map((r) => r.offset)).toEqual([157, 158, 159, 160, 161]);
  });

  it('deletes only segments every group has committed past, once over the retention size', async () => {
    const log = await openLog(undefined, { partitions: 1, segmentBytes: 512, retentionBytes: 1024 });
    for (let i = 0; i < 40; i++) await log.produce('t', [{ key: 'k', value: `a fairly long value number ${i}` }]);
    const before = (await readdir(join(log.dir, 't', '0'))).length;
    await log.commit('slow', [{ topic: 't', partition: 0, offset: 0 }]);
    await log.commit('fast', [{ topic: 't', partition: 0, offset: 40 }]);
    expect((await readdir(join(log.dir, 't', '0'))).length).toBe(before);
    await log.commit('slow', [{ topic: 't', partition: 0, offset: 40 }]);
    expect((await readdir(join(log.dir, 't', '0'))).length).toBeLessThan(before);
    await expect(log.read('t', 0, 0)).rejects.toThrow(/offset 0 of t-0 was deleted by retention/);
    expect((await log.read('t', 0, 39)).map((r) => r.offset)).toEqual([39]);
  });

  it('rejects a bad topic name, group name or partition with a message saying what is allowed', async () => {
    const log = await openLog(undefined, { partitions: 2 });
    await expect(log.produce('bad topic', [])).rejects.toThrow(EmbeddedLogError);
    await expect(log.produce('bad topic', [])).rejects.toThrow('topic "bad topic" must be 1-249 characters of letters, digits, ".", "_" or "-"');
    await expect(log.commit('a/b', [])).rejects.toThrow('consumer group "a/b" must be letters, digits, ".", "_" or "-"');
    await expect(log.read('t', 5, 0)).rejects.toThrow('topic "t" has partitions 0-1, got 5');
    await expect(EmbeddedLog.open(log.dir, { partitions: 0 })).rejects.toThrow('partitions must be an integer from 1 to 1024, got 0');
  });

  it('acknowledges concurrent produces in one group commit, each with its own offsets', async () => {
    const log = await openLog(undefined, { partitions: 1 });
    const acks = await Promise.all(Array.from({ length: 100 }, (_, i) => log.produce('t', [{ key: 'k', value: `v${i}` }])));
    expect(acks.map(([p]) => p.offset).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const records = await log.read('t', 0, 0, 1000);
    expect(records.length).toBe(100);
    acks.forEach(([p], i) => expect(text(records[p.offset].value)).toBe(`v${i}`));
  });
});
