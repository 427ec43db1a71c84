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
