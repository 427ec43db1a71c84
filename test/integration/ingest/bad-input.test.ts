import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ingestBatch } from '../../../shared/ingest/index.js';
import type { ProducedRecord } from '../../../shared/readings/index.js';
import { lakeRows, duckdb } from '../../helpers/duckdb.js';
import { mskEventFactory, prng, readingFactory, recordsFor, T0 } from '../../helpers/factories.js';
import { malformedRecord, malformedToRecord } from '../../helpers/malformed.js';
import { testEnvironment } from '../../helpers/stores.js';

const GOOD = 300;
const RUNS = 5;
const BAD_PER_RUN = 2_000;

function goodReadings(seed: number) {
  const rand = prng(seed);
  return Array.from({ length: GOOD }, (_, i) => readingFactory({ sensor_id: `good-${i % 7}`, ts: T0 + i * 1000, temperature: 20 + 10 * rand(), vibration: rand() }));
}

/** Lake rows without stream positions, which shift when bad records sit between good ones. */
async function judgedWithoutPositions(lakeDir: string) {
  return (await lakeRows(await duckdb(), lakeDir)).map(({ kafka_offset: _o, ...r }) => r);
}

describe('bad input', () => {
  it(`accounts for every record when ${RUNS * BAD_PER_RUN} malformed records are mixed into good ones, and leaves the good ones unaffected`, async () => {
    const clean = await testEnvironment();
    const goodOnly = recordsFor(goodReadings(1));
    await ingestBatch(mskEventFactory(goodOnly), clean.ports, clean.config);
    const expected = await judgedWithoutPositions(clean.lakeDir);

    await fc.assert(
      fc.asyncProperty(fc.array(malformedRecord, { minLength: BAD_PER_RUN, maxLength: BAD_PER_RUN }), fc.integer(), async (bad, seed) => {
        const env = await testEnvironment();
        const rand = prng(seed);
        // Interleave at random, then number the offsets in delivery order.
        const bodies: ({ good: ProducedRecord } | { bad: (typeof bad)[number] })[] = [...goodOnly.map((g) => ({ good: g })), ...bad.map((b) => ({ bad: b }))];
        const order = bodies.map((b) => ({ b, k: 'good' in b ? (b.good.offset + 0.5) / GOOD : rand() })).sort((x, y) => x.k - y.k);
        const records = order.map(({ b }, offset) => ('good' in b ? { ...b.good, offset } : malformedToRecord(b.bad, 0, offset)));
        let processed = 0;
        let dead = 0;
        for (let i = 0; i < records.length; i += 1000) {
          const r = await ingestBatch(mskEventFactory(records.slice(i, i + 1000)), env.ports, env.config);
          processed += r.processed;
          dead += r.deadLetters;
        }
        expect(processed + dead).toBe(records.length);
        expect(dead).toBe(BAD_PER_RUN);
        expect(await judgedWithoutPositions(env.lakeDir)).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });
});
