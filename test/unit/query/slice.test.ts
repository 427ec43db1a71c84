import { tableFromIPC } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchObjectKey, encodeParquet, type LakeSchema } from '../../../shared/lake/index.js';
import type { ObjectStore } from '../../../shared/ports/index.js';
import {
  DecodedFileCache,
  listLakeFiles,
  loadQueryConfig,
  mergeSliceResults,
  parseQuerySpec,
  planSlices,
  resultToArrowPieces,
  runQuerySlice,
  sliceResultToWire,
  type SliceResult,
} from '../../../shared/query/index.js';
import { T0 } from '../../helpers/factories.js';

const SCHEMA: LakeSchema = [['sensor_id', 'string'], ['ts', 'timestamp'], ['temperature', 'double'], ['status', 'string'], ['kafka_partition', 'int'], ['kafka_offset', 'bigint']];
const COLUMNS = ['ts', 'sensor_id', 'temperature', 'status', 'kafka_offset'];

interface Row {
  sensor_id: string;
  ts: number;
  temperature: number | null;
  status: string;
  kafka_partition: number;
  kafka_offset: number;
}

/** A lake in memory: what listing, reading and versions need. */
function memoryLake(): ObjectStore {
  const objects = new Map<string, Uint8Array>();
  return {
    put: async (k, b) => void objects.set(k, b),
    get: async (k) => objects.get(k) ?? null,
    delete: async (ks) => ks.forEach((k) => objects.delete(k)),
    list: async (prefix) => [...objects.keys()].filter((k) => k.startsWith(prefix)).sort(),
    version: async (k) => (objects.has(k) ? 'v1' : null),
  };
}

/**
 * Files of one shard each: a batch's rows in the order given (not necessarily time order), so
 * a slice sees files in order, files overlapping in time, and rows out of order in a file.
 */
const lakeFiles = fc.array(
  fc.record({
    partition: fc.integer({ min: 0, max: 3 }),
    rows: fc.array(
      fc.record({
        sensor: fc.integer({ min: 0, max: 5 }),
        // Few distinct times, so ties on time (broken by sensor, then stream position) are common.
        minute: fc.integer({ min: 0, max: 40 }),
        // No -0: JSON, and so a Lambda Invoke, writes it as 0.
        temperature: fc.option(fc.double({ min: -50, max: 150, noNaN: true }).map((t) => (t === 0 ? 0 : t)), { freq: 8 }),
        // Not only ASCII, and of every length up to a few words: the Arrow encoder copies bytes in fours.
        status: fc.constantFrom('OK', 'DEGRADED', 'FAILED', 'DÉGRADÉ', '故障', '', 'S', 'WARN', 'ALARM'),
      }),
      { minLength: 1, maxLength: 30 },
    ),
  }),
  { minLength: 1, maxLength: 12 },
);

type LakeFiles = typeof lakeFiles extends fc.Arbitrary<infer T> ? T : never;

async function writeLake(files: LakeFiles): Promise<{ lake: ObjectStore; rows: Row[] }> {
  const lake = memoryLake();
  const rows: Row[] = [];
  const nextOffset = [0, 0, 0, 0];
  for (const f of files) {
    const first = nextOffset[f.partition];
    const batch = f.rows.map((r, i) => ({
      sensor_id: `sensor-${r.sensor}`,
      ts: T0 + r.minute * 60_000,
      temperature: r.temperature,
      status: r.status,
      kafka_partition: f.partition,
      kafka_offset: first + i,
    }));
    nextOffset[f.partition] += batch.length;
    rows.push(...batch);
    await lake.put(batchObjectKey('readings', T0, 'sensor_readings', f.partition, first, first + batch.length - 1), encodeParquet(SCHEMA, batch));
  }
  return { lake, rows };
}

/** The answer by the definition: every row in (ts, sensor, partition, offset) order, the first `limit`. */
function expected(rows: readonly Row[], from: number, to: number, limit: number): Record<string, unknown>[] {
  return rows
    .filter((r) => r.ts >= from && r.ts < to)
    .sort((a, b) => a.ts - b.ts || (a.sensor_id < b.sensor_id ? -1 : a.sensor_id > b.sensor_id ? 1 : 0) || a.kafka_partition - b.kafka_partition || a.kafka_offset - b.kafka_offset)
    .slice(0, limit)
    .map((r) => ({ ts: r.ts, sensor_id: r.sensor_id, temperature: r.temperature, status: r.status, kafka_offset: r.kafka_offset }));
}

function rowsOf(result: ReturnType<typeof mergeSliceResults>): Record<string, unknown>[] {
  return Array.from({ length: result.rowCount }, (_, r) => Object.fromEntries(result.columns.map((c, i) => [c.name, result.values[i][r]])));
}

describe('rows slices and their merge', () => {
  it('return the first limit rows in (ts, sensor, partition, offset) order at any fan-out, whether files are in order or not', async () => {
    await fc.assert(
      fc.asyncProperty(lakeFiles, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 40 }), async (files, fanOut, limit, fromMinute) => {
        const { lake, rows } = await writeLake(files);
        const from = T0 + fromMinute * 60_000;
        const to = T0 + 3_600_000;
        const spec = parseQuerySpec({ select: 'rows', columns: COLUMNS, from, to, limit, fan_out: fanOut }, loadQueryConfig({}), to);
        const slices = planSlices(spec, await listLakeFiles(lake, from, to), 'q');
        const results = await Promise.all(slices.map((s) => runQuerySlice(s, lake, new DecodedFileCache())));
        const merged = mergeSliceResults(spec, results);
        // As Arrow (read back) first, then as values: the encoder must not depend on values having been made.
        const table = tableFromIPC(Buffer.concat(await resultToArrowPieces(merged)));
        const fromArrow = table.toArray().map((r) => {
          const o = r.toJSON() as Record<string, unknown>;
          return { ...o, ts: Number(o.ts), kafka_offset: Number(o.kafka_offset) };
        });
        expect(fromArrow).toEqual(expected(rows, from, to, limit));
        expect(rowsOf(merged)).toEqual(expected(rows, from, to, limit));
        expect(merged.truncated).toBe(rows.filter((r) => r.ts >= from && r.ts < to).length > limit);
      }),
      { numRuns: 150, seed: 5 },
    );
  }, 60_000);

  it('cross a Lambda Invoke as JSON and merge to the same answer as in process', async () => {
    await fc.assert(
      fc.asyncProperty(lakeFiles, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 400 }), async (files, fanOut, limit) => {
        const { lake } = await writeLake(files);
        const spec = parseQuerySpec({ select: 'rows', columns: COLUMNS, from: T0, to: T0 + 3_600_000, limit, fan_out: fanOut }, loadQueryConfig({}), T0);
        const results = await Promise.all(planSlices(spec, await listLakeFiles(lake, spec.from, spec.to), 'q').map((s) => runQuerySlice(s, lake, new DecodedFileCache())));
        const wire = results.map((r) => JSON.parse(JSON.stringify(sliceResultToWire(r))) as SliceResult);
        for (const w of wire) expect(w.kind === 'rows' && w.picked === undefined && Array.isArray(w.values?.[0])).toBe(true);
        expect(rowsOf(mergeSliceResults(spec, wire))).toEqual(rowsOf(mergeSliceResults(spec, results)));
      }),
      { numRuns: 60, seed: 6 },
    );
  }, 60_000);
});
