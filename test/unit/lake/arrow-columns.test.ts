import { tableFromIPC, tableToIPC, Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { columnVector } from '../../../shared/lake/index.js';

describe('columnVector for strings', () => {
  it.each([
    ['ASCII with nulls', ['sensor-00001', null, 'OK', '', 'CRITICAL_ANOMALY']],
    ['non-ASCII after ASCII', ['plain', 'Zürich', null, '温度', '𝕏 sensor', 'end']],
    ['non-ASCII first', ['é', 'ascii', null]],
  ])('writes %s that read back as they were, through an IPC stream', (_, values) => {
    const v = columnVector('string', values);
    expect(v.toArray()).toEqual(values);
    expect(v.nullCount).toBe(values.filter((x) => x === null).length);
    const back = tableFromIPC(tableToIPC(new Table({ s: v }), 'stream')).getChild('s')!;
    expect(back.toArray()).toEqual(values);
  });

  it('reads typed number columns as they are', () => {
    const values = new Float64Array([1.5, -2, 3e10]);
    expect([...columnVector('double', values).toArray()]).toEqual([1.5, -2, 3e10]);
    expect([...columnVector('timestamp', new Float64Array([0, 1767600000000])).toArray()].map(Number)).toEqual([0, 1767600000000]);
  });
});

describe('columnVector for 64-bit integers', () => {
  it('writes safe integers of either sign and nulls exactly', () => {
    const values = [0, 1, -1, 2 ** 32, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1767600000123, null];
    const v = columnVector('bigint', values);
    expect([...v.toArray()].map((x, i) => (values[i] === null ? null : x))).toEqual(values.map((x) => (x === null ? null : BigInt(x))));
    expect(v.nullCount).toBe(1);
  });

  it('refuses a fraction in a 64-bit integer column, as BigInt does', () => {
    expect(() => columnVector('bigint', [1.5])).toThrow(RangeError);
  });
});
