import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../../shared/adapters/index.js';
import { isMskEvent, partitionBatches, type MskEvent } from '../../../shared/readings/index.js';
import { EventSourceMapping } from '../../../infra/local/event-source.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(partitions = 3) {
  const log = await EmbeddedLog.open(await mkdtemp(join(tmpdir(), 'tideline-esm-')), { partitions });
  cleanups.push(() => log.close());
  return log;
}

function start(mapping: EventSourceMapping) {
  cleanups.push(() => mapping.stop());
  return mapping.start();
}

const until = async (cond: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

const values = (e: MskEvent) => partitionBatches(e).flatMap((b) => b.records.map((r) => Buffer.from(r.value ?? '', 'base64').toString('utf8')));

describe('EventSourceMapping', () => {
  it('delivers MSK-shaped events with every record once, in offset order per partition, and commits them', async () => {
    const log = await setup();
    const events: MskEvent[] = [];
    const mapping = new EventSourceMapping({ log, topics: ['t'], batchingWindowMs: 0, pollMs: 5 }, async (e) => void events.push(e));
    await start(mapping);
    await log.produce('t', Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 17}`, value: `v${i}` })));
    await until(() => mapping.delivered === 300);
    expect(events.every(isMskEvent)).toBe(true);
    expect(values(events[0]).length).toBeGreaterThan(0);
    const all = events.flatMap(values);
    expect(new Set(all).size).toBe(300);
    for (const e of events) for (const b of partitionBatches(e)) expect(b.records.map((r) => r.offset)).toEqual([...b.records.map((r) => r.offset)].sort((x, y) => x - y));
    const lag = await mapping.lag();
    expect(lag.every((p) => p.lag === 0)).toBe(true);
    expect(lag.reduce((s, p) => s + p.committed, 0)).toBe(300);
  });

  it('puts at most batchSize records in one event and waits out the batching window to fill it', async () => {
    const log = await setup(1);
    const sizes: number[] = [];
    const mapping = new EventSourceMapping({ log, topics: ['t'], batchSize: 40, batchingWindowMs: 300, pollMs: 5 }, async (e) => void sizes.push(values(e).length));
    await start(mapping);
    await log.produce('t', [{ key: 'a', value: 'first' }]);
    // Arrives inside the window: the same event.
    await new Promise((r) => setTimeout(r, 50));
    await log.produce('t', Array.from({ length: 99 }, (_, i) => ({ key: 'a', value: `v${i}` })));
    await until(() => mapping.delivered === 100);
    expect(sizes).toEqual([40, 40, 20]);
  });

  it('counts the batching window from the first waiting record, so records that waited through an invocation go at once', async () => {
    const log = await setup(1);
    const calls: { start: number; end: number; size: number }[] = [];
    let invoked = false;
    const mapping = new EventSourceMapping({ log, topics: ['t'], batchingWindowMs: 1000, pollMs: 5 }, async (e) => {
      const start = Date.now();
      invoked = true;
      // The first invocation outlasts the window; a record arrives while it runs.
      if (calls.length === 0) await new Promise((r) => setTimeout(r, 1100));
      calls.push({ start, end: Date.now(), size: values(e).length });
    });
    await start(mapping);
    const t0 = Date.now();
    await log.produce('t', [{ key: 'a', value: 'first' }]);
    await until(() => invoked);
    await log.produce('t', [{ key: 'a', value: 'during' }]);
    await until(() => mapping.delivered === 2, 10_000);
    // The first record waited out its window (nothing else came); the second had waited a whole
    // invocation, longer than the window, by the time the first returned.
    expect(calls.map((c) => c.size)).toEqual([1, 1]);
    expect(calls[0].start - t0).toBeGreaterThanOrEqual(990);
    expect(calls[1].start - calls[0].end).toBeLessThan(500);
  });

  it('retries a failed batch from the committed offsets and commits nothing until the handler returns', async () => {
    const log = await setup(2);
    let calls = 0;
    const seen: string[][] = [];
    const errors: number[] = [];
    const mapping = new EventSourceMapping(
      { log, topics: ['t'], batchingWindowMs: 20, pollMs: 5, retryMs: 10, onError: (_, attempt) => errors.push(attempt) },
      async (e) => {
        calls++;
        seen.push(values(e));
        if (calls <= 2) {
          expect((await mapping.lag()).reduce((s, p) => s + p.committed, 0)).toBe(0);
          throw new Error('DynamoDB is down');
        }
      },
    );
    await start(mapping);
    await log.produce('t', Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    await until(() => mapping.delivered === 10);
    expect(errors).toEqual([1, 2]);
    expect(seen[2].sort()).toEqual(seen[0].sort());
    expect((await mapping.lag()).reduce((s, p) => s + p.committed, 0)).toBe(10);
  });

  it('resumes a new mapping of the same group from the committed offsets', async () => {
    const log = await setup(2);
    const first = new EventSourceMapping({ log, topics: ['t'], batchingWindowMs: 0, pollMs: 5 }, async () => undefined);
    await first.start();
    await log.produce('t', Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `old${i}` })));
    await until(() => first.delivered === 20);
    await first.stop();
    await log.produce('t', Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `new${i}` })));
    const got: string[] = [];
    const second = new EventSourceMapping({ log, topics: ['t'], batchingWindowMs: 0, pollMs: 5 }, async (e) => void got.push(...values(e)));
    await start(second);
    await until(() => second.delivered === 5);
    expect(got.sort()).toEqual(['new0', 'new1', 'new2', 'new3', 'new4']);
  });

  it('refuses a batch size over MSK’s 10,000, naming it', () => {
    expect(() => new EventSourceMapping({ log: {} as EmbeddedLog, topics: ['t'], batchSize: 10_001 }, async () => undefined)).toThrow(
      'batchSize must be an integer from 1 to 10000, got 10001',
    );
  });
});
