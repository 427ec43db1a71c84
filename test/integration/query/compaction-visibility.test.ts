import { describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryObjectStore } from '../../../shared/adapters/index.js';
import { batchObjectKey } from '../../../shared/lake/index.js';
import { listLakeFiles } from '../../../shared/query/index.js';
import { compactedKey, manifestKey } from '../../../shared/refresh/index.js';
import { T0 } from '../../helpers/factories.js';

describe('query planning during compaction', () => {
  it('reads either a compaction’s sources or its result, never both, and keeps late files', async () => {
    const lake = new DirectoryObjectStore(await mkdtemp(join(tmpdir(), 'tideline-lake-')));
    const dir = 'readings/dt=2026-01-05/hour=00';
    const a = batchObjectKey('readings', T0, 'sensor_readings', 0, 0, 9);
    const b = batchObjectKey('readings', T0, 'sensor_readings', 0, 10, 19);
    const late = batchObjectKey('readings', T0, 'sensor_readings', 0, 20, 20);
    for (const k of [a, b]) await lake.put(k, new Uint8Array([1]));
    const keys = async () => (await listLakeFiles(lake, T0, T0 + 3_600_000)).map((f) => f.key).sort();

    // Compacted file written, not yet committed: readers keep the sources.
    await lake.put(compactedKey(dir, 1), new Uint8Array([1]));
    expect(await keys()).toEqual([a, b]);

    // Manifest committed, sources not yet deleted: readers switch to the compacted file alone.
    await lake.put(manifestKey(dir, 1), Buffer.from(JSON.stringify({ generation: 1, file: compactedKey(dir, 1), replaces: [a, b] })));
    expect(await keys()).toEqual([compactedKey(dir, 1)]);

    // A late batch written into the closed hour stays visible beside it.
    await lake.put(late, new Uint8Array([1]));
    expect(await keys()).toEqual([compactedKey(dir, 1), late].sort());
  });
});
