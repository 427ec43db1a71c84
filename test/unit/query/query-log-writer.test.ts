import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { QueryLog } from '../../../shared/ports/index.js';
import { QueryLogWriter, type QueryLogEntry } from '../../../shared/query/index.js';

const entry = (i: number): QueryLogEntry => ({ queryId: `q${i}`, startedAt: 1_000 + i, latencyMs: 5, route: 'POST /query', status: 200, rows: 1, slices: 1 });

/** A query log that keeps what it is given, write by write, and can be told to fail or hold. */
function recordingLog() {
  const writes: QueryLogEntry[][] = [];
  let fail = false;
  let gate: Promise<void> = Promise.resolve();
  const log: QueryLog = {
    record: async (entries) => {
      await gate;
      if (fail) throw new Error('throttled');
      writes.push([...entries]);
    },
    entriesBetween: async () => writes.flat(),
  };
  return {
    log,
    writes,
    failWrites: () => (fail = true),
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return release;
    },
  };
}

/** Whether `p` settles once pending callbacks have run (timers are fake here: no waiting on the clock). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return done;
}

describe('QueryLogWriter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes entries behind the responses, several to a write, after the linger time', async () => {
    const { log, writes } = recordingLog();
    const writer = new QueryLogWriter(log, { waitForEachWrite: false, lingerMs: 250, onError: () => {} });
    for (let i = 0; i < 3; i++) await writer.add(entry(i));
    expect(writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(249);
    expect(writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes).toEqual([[entry(0), entry(1), entry(2)]]);
  });

  it('writes at once when a batch is full', async () => {
    const { log, writes } = recordingLog();
    const writer = new QueryLogWriter(log, { waitForEachWrite: false, batchSize: 2, onError: () => {} });
    for (let i = 0; i < 5; i++) await writer.add(entry(i));
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([[entry(0), entry(1)], [entry(2), entry(3)]]);
    await writer.flush();
    expect(writes.flat()).toEqual([0, 1, 2, 3, 4].map(entry));
  });

  it('flush writes what is queued and waits for it', async () => {
    const { log, writes, hold } = recordingLog();
    const writer = new QueryLogWriter(log, { waitForEachWrite: false, onError: () => {} });
    const release = hold();
    await writer.add(entry(1));
    const flushed = writer.flush();
    expect(await settled(flushed)).toBe(false);
    release();
    await flushed;
    expect(writes).toEqual([[entry(1)]]);
  });

  it('waits for each entry to be stored when told to, as on Lambda', async () => {
    const { log, writes, hold } = recordingLog();
    const writer = new QueryLogWriter(log, { waitForEachWrite: true, onError: () => {} });
    const release = hold();
    const added = writer.add(entry(1));
    expect(await settled(added)).toBe(false);
    release();
    await added;
    expect(writes).toEqual([[entry(1)]]);
  });

  it('makes a response wait for its own entry once too many batches are behind', async () => {
    const { log, hold } = recordingLog();
    const writer = new QueryLogWriter(log, { waitForEachWrite: false, batchSize: 1, maxBatchesBehind: 2, onError: () => {} });
    const release = hold();
    for (let i = 0; i < 2; i++) expect(await settled(writer.add(entry(i)))).toBe(true);
    const third = writer.add(entry(2));
    expect(await settled(third)).toBe(false);
    release();
    await third;
  });

  it('reports a failed write and never fails the caller', async () => {
    const { log, failWrites } = recordingLog();
    const errors: string[] = [];
    const writer = new QueryLogWriter(log, { waitForEachWrite: true, onError: (m) => errors.push(m) });
    failWrites();
    await writer.add(entry(1));
    await writer.flush();
    expect(errors).toEqual(['query log write of 1 entries failed']);
  });
});
