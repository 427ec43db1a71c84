import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseReading, readReading, RecordValidationError } from '../../../shared/readings/index.js';
import { malformedRecord } from '../../helpers/malformed.js';
import { T0 } from '../../helpers/factories.js';

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');
const valid = { sensor_id: 'pump-7', ts: '2026-01-05T00:00:00Z', temperature: 71.2, pressure: 101.3, vibration: 0.41, status: 'OK' };

describe('readReading', () => {
  it('reads a valid record with an ISO timestamp', () => {
    expect(readReading(b64('pump-7'), b64(JSON.stringify(valid)), T0)).toEqual({ ...valid, ts: T0 });
  });

  it('reads epoch milliseconds, offsets in the zone, absent metrics and a default status', () => {
    const r = parseReading({ sensor_id: 's', ts: '2026-01-05T02:00:00+02:00', temperature: null }, T0);
    expect(r).toEqual({ sensor_id: 's', ts: T0, temperature: null, pressure: null, vibration: null, status: 'OK' });
    expect(parseReading({ sensor_id: 's', ts: T0 }, T0).ts).toBe(T0);
  });

  it.each([
    [{ ...valid, status: 'BROKEN' }, 'status', 'status "BROKEN" is not one of OK, DEGRADED, FAILED, MAINTENANCE, OFFLINE'],
    [{ ...valid, ts: '2026-01-05T00:00:00' }, 'ts', 'ts "2026-01-05T00:00:00" is not ISO-8601 with a zone (e.g. 2026-01-31T12:00:00Z or +02:00)'],
    [{ ...valid, ts: '2026-02-30T00:00:00Z' }, 'ts', 'ts "2026-02-30T00:00:00Z" is not a real date and time'],
    [{ ...valid, ts: 1_767_571_200 }, 'ts', 'ts 1970-01-21T10:59:31.200Z is before 2000-01-01 (it looks like seconds; send milliseconds)'],
    [{ ...valid, ts: T0 + 2 * 86_400_000 }, 'ts', `ts 2026-01-07T00:00:00.000Z is more than 24 h after the record's Kafka timestamp 2026-01-05T00:00:00.000Z`],
    [{ ...valid, temperature: '71.2' }, 'temperature', 'temperature must be a number or null, got "71.2"'],
    [{ ...valid, sensor_id: undefined }, 'sensor_id', 'sensor_id is missing'],
    [[1, 2], 'value', 'value must be a JSON object, got an array'],
    [{ ...valid, ts: 9e15 }, 'ts', "ts 9000000000000000 ms is more than 24 h after the record's Kafka timestamp 2026-01-05T00:00:00.000Z"],
    [{ ...valid, ts: -9e15 }, 'ts', 'ts -9000000000000000 ms is before 2000-01-01'],
  ])('rejects %j naming %s', (body, field, reason) => {
    const attempt = () => readReading(b64('pump-7'), b64(JSON.stringify(body)), T0);
    expect(attempt).toThrow(RecordValidationError);
    expect(attempt).toThrow(reason);
    try {
      attempt();
    } catch (e) {
      expect((e as RecordValidationError).field).toBe(field);
    }
  });

  it('rejects a key that is not the sensor_id, and text that is not base64', () => {
    expect(() => readReading(b64('pump-8'), b64(JSON.stringify(valid)), T0)).toThrow('key "pump-8" does not match sensor_id "pump-7"');
    expect(() => readReading(b64('pump-7'), 'not base64!', T0)).toThrow('value is not valid base64');
    expect(() => readReading(null, b64(JSON.stringify(valid)), T0)).toThrow('record has no key; the key must be the sensor_id "pump-7"');
  });

  it('rejects every generated malformed record with a RecordValidationError, never anything else', () => {
    fc.assert(
      fc.property(malformedRecord, (r) => {
        const key = r.key === null ? null : b64(r.key);
        const value = r.value === null ? null : b64(r.value);
        expect(() => readReading(key, value, T0)).toThrow(RecordValidationError);
      }),
      { numRuns: 10_000 },
    );
  }, 30_000); // 10,000 runs: a few seconds on a busy machine

  it('throws only RecordValidationError for arbitrary key and value text', () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), (key, value) => {
        try {
          readReading(key, value, T0);
        } catch (e) {
          expect(e).toBeInstanceOf(RecordValidationError);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
