import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Table, Utf8, vectorFromArray } from 'apache-arrow';
import { readColumn, type Utf8Layout } from '../../../shared/query/columnar.js';
import { gatherUtf8, planGather } from '../../../shared/query/gather.js';

/** A string column as the query path decodes it from a lake file (with its UTF-8 bytes kept beside). */
const decoded = (values: readonly string[]) => readColumn(new Table({ s: vectorFromArray(values, new Utf8()) }), 's')!;

/** The strings of a gathered layout. */
function strings(l: Utf8Layout): string[] {
  const out: string[] = [];
  for (let r = 0; r + 1 < l.valueOffsets.length; r++) out.push(new TextDecoder().decode(l.data.subarray(l.valueOffsets[r], l.valueOffsets[r + 1])));
  return out;
}

describe('gatherUtf8', () => {
  it('gives the picked strings, whether every value has one width (word copies) or widths differ', () => {
    const value = fc.oneof(
      fc.constantFrom('sensor-00001', 'sensor-00002', 'sensor-99999'),
      fc.constantFrom('OK', 'NO'),
      fc.constantFrom('abc', 'xyz', 'é'),
      fc.string({ minLength: 0, maxLength: 20 }),
    );
    // Sources of one kind of value each, so many of them have one width.
    const source = fc.oneof(fc.array(value, { maxLength: 20 }), fc.constantFrom('sensor-00001', 'OK', 'abc').chain((v) => fc.array(fc.constant(v), { maxLength: 20 })));
    fc.assert(
      fc.property(fc.array(source, { minLength: 1, maxLength: 5 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 60 }), (sources, picks) => {
        const nonEmpty = sources.map((values, i) => [values, i] as const).filter(([values]) => values.length > 0);
        if (nonEmpty.length === 0) return;
        const fromSource = new Int32Array(picks.length);
        const fromRow = new Int32Array(picks.length);
        const expected: string[] = [];
        picks.forEach(([a, b], r) => {
          const [values, i] = nonEmpty[a % nonEmpty.length];
          fromSource[r] = i;
          fromRow[r] = b % values.length;
          expected.push(values[fromRow[r]]);
        });
        const got = gatherUtf8(sources.map(decoded), planGather(sources.length, fromSource, fromRow));
        expect(got).not.toBeNull();
        expect(strings(got!)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('copies ids of one width as whole words', () => {
    const a = decoded(['sensor-00001', 'sensor-00002']);
    const b = decoded(['sensor-00003']);
    const got = gatherUtf8([a, b], planGather(2, Int32Array.of(1, 0, 0), Int32Array.of(0, 1, 0)))!;
    expect(got.width).toBe(12);
    expect(strings(got)).toEqual(['sensor-00003', 'sensor-00002', 'sensor-00001']);
  });
});
