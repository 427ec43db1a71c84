import { describe, expect, it } from 'vitest';
import { batchObjectKey } from '../../../shared/lake/index.js';
import { isQuerySlice, loadQueryConfig, parseQuerySpec, planSlices, type LakeFile } from '../../../shared/query/index.js';

const T0 = Date.UTC(2026, 0, 5);
const files: LakeFile[] = [];
for (let h = 0; h < 10; h++) for (let p = 0; p < 6; p++) for (let b = 0; b < 2; b++) {
  const ts = T0 + h * 3_600_000;
  files.push({ key: batchObjectKey('readings', ts, 'sensor_readings', p, h * 100 + b * 50, h * 100 + b * 50 + 49), hour: ts, shard: `sensor_readings-${p}` });
}

describe('planSlices', () => {
  it.each([1, 2, 3, 5, 6, 7, 12, 32, 100])('puts every file in exactly one of at most %i slices, each shard of a slice whole per hour', (width) => {
    const spec = parseQuerySpec({ from: T0, to: T0 + 10 * 3_600_000, fan_out: Math.min(width, 32) }, loadQueryConfig({}), T0);
    const slices = planSlices(spec, files, 'q');
    expect(slices.length).toBeLessThanOrEqual(spec.fanOut);
    expect(slices.length).toBe(Math.min(spec.fanOut, 60) === spec.fanOut ? slices.length : 60);
    expect(slices.flatMap((s) => s.files).sort()).toEqual(files.map((f) => f.key).sort());
    for (const s of slices) expect(isQuerySlice(s)).toBe(true);
  });

  it('uses the whole width when there are enough shards and hours', () => {
    const spec = parseQuerySpec({ from: T0, to: T0 + 10 * 3_600_000, fan_out: 12 }, loadQueryConfig({}), T0);
    const slices = planSlices(spec, files, 'q');
    expect(slices).toHaveLength(12);
    expect(slices[0].describedAs).toBe('shards sensor_readings-0, hours 2026-01-05T00h..2026-01-05T04h, 10 files');
  });

  it('plans nothing over an empty lake', () => {
    const spec = parseQuerySpec({}, loadQueryConfig({}), T0);
    expect(planSlices(spec, [], 'q')).toEqual([]);
  });
});
