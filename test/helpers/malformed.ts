import fc from 'fast-check';
import type { ProducedRecord } from '../../shared/readings/index.js';
import { T0 } from './factories.js';

const good = { sensor_id: 'bad-sensor', ts: T0, temperature: 20, pressure: 100, vibration: 0.5, status: 'OK' };
const json = (v: unknown) => JSON.stringify(v);

/**
 * Record bodies (key, value as produced) that are always invalid, one arbitrary per way a
 * record can be wrong; each names the reason it must be dead-lettered for.
 */
export const malformedRecord: fc.Arbitrary<{ key: string | null; value: string | Uint8Array | null; why: string }> = fc.oneof(
  fc.constant({ key: 'bad-sensor', value: null, why: 'no value' }),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({ key: 'bad-sensor', value: new Uint8Array([0xff, ...b]), why: 'not JSON' })),
  fc.string().map((s) => ({ key: 'bad-sensor', value: `{${s}`, why: 'broken JSON' })),
  fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.integer()), fc.string()).map((v) => ({ key: 'bad-sensor', value: json(v), why: 'not an object' })),
  fc.constant({ key: 'bad-sensor', value: json({ ...good, sensor_id: undefined }), why: 'no sensor_id' }),
  fc.oneof(fc.constantFrom("x'; DROP TABLE readings; --", '../../etc/passwd', '', ' ', 'a'.repeat(200), '<script>'), fc.integer(), fc.boolean())
    .map((id) => ({ key: 'bad-sensor', value: json({ ...good, sensor_id: id }), why: 'bad sensor_id' })),
  fc.oneof(
    fc.constantFrom(undefined, null, '2026-01-05T00:00:00', '2026-02-30T00:00:00Z', 'yesterday', '1767571200', 1.5, 1_700_000, T0 + 3 * 86_400_000),
    fc.integer({ min: 0, max: 946_684_799_999 }),
  ).map((ts) => ({ key: 'bad-sensor', value: json({ ...good, ts }), why: 'bad ts' })),
  fc.constantFrom('temperature', 'pressure', 'vibration').chain((field) =>
    fc.oneof(fc.string(), fc.boolean(), fc.constant([1])).map((v) => ({ key: 'bad-sensor', value: json({ ...good, [field]: v }), why: `bad ${field}` })),
  ),
  fc.constantFrom('temperature', 'pressure', 'vibration').map((field) => ({
    key: 'bad-sensor',
    value: json(good).replace(`"${field}":${(good as Record<string, unknown>)[field]}`, `"${field}":1e999`),
    why: `infinite ${field}`,
  })),
  fc.string({ minLength: 1 }).filter((s) => !['OK', 'DEGRADED', 'FAILED', 'MAINTENANCE', 'OFFLINE'].includes(s)).map((status) => ({ key: 'bad-sensor', value: json({ ...good, status }), why: 'bad status' })),
  fc.constant({ key: null, value: json(good), why: 'no key' }),
  fc.string().filter((k) => k !== 'bad-sensor').map((key) => ({ key, value: json(good), why: 'key mismatch' })),
);

/** Turns a malformed body into a record; `rawValue` lets a test deliver text that is not base64 at all. */
export function malformedToRecord(body: { key: string | null; value: string | Uint8Array | null }, partition: number, offset: number): ProducedRecord {
  return { topic: 'sensor_readings', partition, offset, timestamp: T0, key: body.key, value: body.value };
}
