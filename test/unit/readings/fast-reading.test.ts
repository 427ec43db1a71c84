import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readReading, readReadingFast, RecordValidationError, type Reading } from '../../../shared/readings/index.js';
import { malformedRecord } from '../../helpers/malformed.js';
import { T0 } from '../../helpers/factories.js';

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');
const common = '{"sensor_id":"sensor-00042","ts":1767571200000,"temperature":15.003834600075379,"pressure":105.67624455728453,"vibration":0.318092488806915,"status":"OK"}';

/** What the general path makes of a record: the reading, or the dead letter's reason and field. */
function general(key: string | null, value: string | null): { reading: Reading } | { reason: string; field: string | null } {
  try {
    return { reading: readReading(key, value, T0) };
  } catch (e) {
    if (!(e instanceof RecordValidationError)) throw e;
    return { reason: e.reason, field: e.field };
  }
}

/** The fast path either declines or returns exactly what readReading returns (-0 included). */
function expectAgreement(key: string | null, value: string | null): Reading | null {
  const fast = readReadingFast(key, value, T0);
  if (fast === null) return null;
  const verdict = general(key, value);
  expect(verdict).toHaveProperty('reading');
  const { reading } = verdict as { reading: Reading };
  expect(fast).toStrictEqual(reading);
  for (const field of ['ts', 'temperature', 'pressure', 'vibration'] as const) expect(Object.is(fast[field], reading[field])).toBe(true);
  return fast;
}

/** Property tests run thousands of cases: seconds, not milliseconds, on a busy machine. */
const PROPERTY_TIMEOUT_MS = 30_000;

const record = (body: string, key = 'sensor-00042') => [b64(key), b64(body)] as const;

/** JSON number text, valid or not: sign, leading zeros, fractions, exponents, long mantissas. */
const numberText = fc
  .tuple(
    fc.constantFrom('', '-', '+'),
    fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9][0-9]{0,20}$/), fc.stringMatching(/^0[0-9]{1,3}$/), fc.constant('')),
    fc.oneof(fc.constant(''), fc.stringMatching(/^\.[0-9]{1,25}$/), fc.constant('.')),
    fc.oneof(fc.constant(''), fc.stringMatching(/^[eE][+-]?[0-9]{1,3}$/), fc.constant('e')),
  )
  .map(([sign, int, frac, exp]) => `${sign}${int}${frac}${exp}`);

/** Mostly what a sensor sends, sometimes something odd. */
const usually = <T,>(common: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ arbitrary: common, weight: 6 }, { arbitrary: odd, weight: 1 });
const sensorId = usually(
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/),
  fc.constantFrom('a', 'pump.7:x_y-z', 'A'.repeat(128), 'A'.repeat(129), '-lead', 'has space', 'é', ''),
);
const metric = usually(
  fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constant(null)).map((x) => JSON.stringify(x)),
  fc.oneof(numberText, fc.constantFrom('"1"', 'true', '[1]', 'nul', '1e999', '-0', '-0.0')),
);
const tsText = usually(
  fc.oneof(
    fc.integer({ min: 900_000_000_000, max: T0 + 2 * 86_400_000 }).map(String),
    fc.date({ min: new Date(T0 - 86_400_000), max: new Date(T0 + 86_400_000), noInvalidDate: true }).map((d) => JSON.stringify(d.toISOString())),
  ),
  fc.oneof(
    numberText,
    fc.constantFrom('null', '"2026-01-05T02:00:00+02:00"', '"2026-01-05T00:00:00"', '"2026-02-30T00:00:00Z"', '"2026-01-05 00:00:00.5Z"', '1767571200000.0', '1.7675712e12'),
  ),
);
const statusText = usually(
  fc.constantFrom('"OK"', '"DEGRADED"', '"FAILED"', '"MAINTENANCE"', '"OFFLINE"', 'null'),
  fc.oneof(fc.constantFrom('"ok"', '"OKAY"', '""', '1'), fc.string().map((s) => JSON.stringify(s))),
);
const space = fc.constantFrom('', '', '', ' ', '\n', '\t', '\r\n  ');

/** Bodies in and around the common shape: any key order, missing, repeated and unknown keys, odd values, whitespace. */
const body = fc
  .record({
    fields: usually(
      fc.shuffledSubarray(['temperature', 'pressure', 'vibration', 'status']).chain((rest) => fc.shuffledSubarray(['sensor_id', 'ts', ...rest], { minLength: rest.length + 2 })),
      fc.uniqueArray(fc.constantFrom('sensor_id', 'ts', 'temperature', 'pressure', 'vibration', 'status'), { minLength: 0, maxLength: 6 }),
    ),
    id: sensorId.map((s) => JSON.stringify(s)),
    ts: tsText,
    temperature: metric,
    pressure: metric,
    vibration: metric,
    status: statusText,
    extra: usually(
      fc.constant(''),
      fc.oneof(
      fc.constant('"channels":{"flow":1.5}'),
      fc.constant('"channels":null'),
      fc.constant('"sensor_id":"other"'),
      fc.constant('"ts":1767571200000'),
      fc.constant('"note":"x"'),
      fc.constant('"sens\\u006fr_id":"x"'),
      ),
    ),
    space,
  })
  .map(({ fields, id, extra, space: w, ...values }) => {
    const parts = fields.map((f) => `"${f}"${w}:${w}${f === 'sensor_id' ? id : values[f as keyof typeof values]}`);
    if (extra) parts.splice(parts.length >> 1, 0, extra);
    return `${w}{${w}${parts.join(`${w},${w}`)}${w}}${w}`;
  });

/** Random single-character edits of the common body. */
const mutated = fc
  .tuple(fc.nat({ max: common.length - 1 }), fc.constantFrom('replace', 'insert', 'delete'), fc.string({ minLength: 1, maxLength: 1 }))
  .map(([at, edit, ch]) => (edit === 'delete' ? common.slice(0, at) + common.slice(at + 1) : common.slice(0, at) + ch + common.slice(edit === 'insert' ? at : at + 1)));

describe('readReadingFast', () => {
  it('reads the common record shape exactly as readReading does', () => {
    expect(expectAgreement(...record(common))).toEqual({
      sensor_id: 'sensor-00042', ts: 1767571200000, temperature: 15.003834600075379, pressure: 105.67624455728453, vibration: 0.318092488806915, status: 'OK',
    });
  });

  it.each([
    ['whitespace between tokens', ' {\n "sensor_id" : "sensor-00042",\t"ts": 1767571200000 } '],
    ['an ISO timestamp with a zone', '{"sensor_id":"sensor-00042","ts":"2026-01-05T02:00:00+02:00","temperature":21.5}'],
    ['absent and null metrics, null status', '{"ts":1767571200000,"sensor_id":"sensor-00042","pressure":null,"status":null}'],
    ['negative, zero and negative-zero metrics', '{"sensor_id":"sensor-00042","ts":1767571200000,"temperature":-0,"pressure":0,"vibration":-12.5}'],
    ['every status', '{"sensor_id":"sensor-00042","ts":1767571200000,"status":"MAINTENANCE"}'],
    ['a ts with a fraction or an exponent that is still whole', '{"sensor_id":"sensor-00042","ts":1767571200000.0,"temperature":1.7675712e12}'],
    ['numbers beyond the exact fast path', '{"sensor_id":"sensor-00042","ts":1767571200000,"temperature":1.5e3,"pressure":123456789012345678901234,"vibration":0.1234567890123456789012345}'],
  ])('takes the fast path for %s', (_, text) => {
    expect(expectAgreement(...record(text))).not.toBeNull();
  });

  it.each([
    ['an escape in a string', '{"sensor_id":"sensor\\u002d00042","ts":1767571200000}', 'reading'],
    ['extra channels', '{"sensor_id":"sensor-00042","ts":1767571200000,"channels":{"flow":2}}', 'reading'],
    ['an unknown key', '{"sensor_id":"sensor-00042","ts":1767571200000,"site":"north"}', 'reading'],
    ['a repeated key (JSON.parse keeps the last)', '{"sensor_id":"sensor-00042","ts":1767571200000,"temperature":1,"temperature":2}', 'reading'],
    ['a non-ASCII byte', '{"sensor_id":"sensor-00042","ts":1767571200000,"status":"ÖK"}', 'reason'],
  ])('leaves %s to the general path', (_, text, verdict) => {
    expect(readReadingFast(...record(text), T0)).toBeNull();
    expect(general(...record(text))).toHaveProperty(verdict);
  });

  it.each([
    ['no key', null, b64(common)],
    ['no value', b64('sensor-00042'), null],
    ['a key that is not the sensor_id', b64('sensor-00043'), b64(common)],
    ['base64 with a line break', b64('sensor-00042'), `${b64(common).slice(0, 8)}\n${b64(common).slice(8)}`],
    ['base64 without padding', b64('sensor-00042'), b64(`${common} `).replace(/=+$/, '')],
    ['a future ts', b64('sensor-00042'), b64(common.replace('1767571200000', String(T0 + 2 * 86_400_000)))],
    ['a ts in seconds', b64('sensor-00042'), b64(common.replace('1767571200000', '1767571200'))],
    ['an infinite metric', b64('sensor-00042'), b64(common.replace('15.003834600075379', '1e999'))],
  ])('declines a record with %s, whatever the general path decides', (_, key, value) => {
    expect(readReadingFast(key, value, T0)).toBeNull();
  });

  it('takes the fast path for most generated bodies in the common shape and agrees with readReading on all of them', () => {
    let fast = 0;
    fc.assert(
      fc.property(body, sensorId, fc.boolean(), (text, otherKey, sameKey) => {
        const id = /"sensor_id"\s*:\s*"([^"\\]*)"/.exec(text)?.[1] ?? 'sensor-00042';
        if (expectAgreement(b64(sameKey ? id : otherKey), b64(text)) !== null) fast++;
      }),
      { numRuns: 10_000 },
    );
    // A fast path that always declined would agree trivially; it must carry real traffic.
    expect(fast).toBeGreaterThan(2_000);
  }, PROPERTY_TIMEOUT_MS);

  it('agrees with readReading on single-character edits of a common record', () => {
    fc.assert(fc.property(mutated, (text) => void expectAgreement(b64('sensor-00042'), b64(text))), { numRuns: 10_000 });
  }, PROPERTY_TIMEOUT_MS);

  it('agrees with readReading on every generated malformed record and on arbitrary key and value text', () => {
    fc.assert(
      fc.property(malformedRecord, (r) => {
        expect(readReadingFast(r.key === null ? null : b64(r.key), r.value === null ? null : b64(r.value), T0)).toBeNull();
      }),
      { numRuns: 10_000 },
    );
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), fc.option(fc.uint8Array({ maxLength: 200 })), (key, text, bytes) => {
        expectAgreement(key, text);
        expectAgreement(key === null ? null : b64(key), text === null ? null : b64(text));
        if (bytes) expectAgreement(b64('sensor-00042'), b64(bytes));
      }),
      { numRuns: 5_000 },
    );
  }, PROPERTY_TIMEOUT_MS);

  it('reads every JSON number form exactly as JSON.parse does, and declines the rest', () => {
    fc.assert(
      fc.property(numberText, fc.constantFrom('temperature', 'pressure', 'vibration'), (n, field) => {
        const text = `{"sensor_id":"sensor-00042","ts":1767571200000,"${field}":${n}}`;
        const fast = expectAgreement(...record(text));
        let parsed: unknown;
        try {
          parsed = JSON.parse(n);
        } catch {
          parsed = undefined;
        }
        if (fast !== null) expect(Object.is(fast[field as 'temperature'], parsed)).toBe(true);
        else expect(typeof parsed === 'number' && Number.isFinite(parsed)).toBe(false);
      }),
      { numRuns: 20_000 },
    );
  }, PROPERTY_TIMEOUT_MS);

  it('reads 16- to 23-digit mantissas, and decimals written near a tie between two doubles, exactly as JSON.parse does', () => {
    // Long mantissas take the double-double path; text at or beside the midpoint of two
    // neighbouring doubles is where a rounding shortcut would go wrong.
    const longMantissa = fc
      .tuple(fc.stringMatching(/^[1-9][0-9]{15,22}$/), fc.nat(23), fc.boolean())
      .map(([digits, at, minus]) => {
        const point = Math.min(at, digits.length);
        const text = point === digits.length ? digits : point === 0 ? `0.${digits}` : `${digits.slice(0, point)}.${digits.slice(point)}`;
        return `${minus ? '-' : ''}${text}`;
      });
    const nearTie = fc
      .tuple(fc.double({ min: 1e-6, max: 1e12, noNaN: true }), fc.integer({ min: 17, max: 21 }))
      .map(([x, digits]) => {
        const mid = (x + (x + Math.abs(x) * 2 ** -52)) / 2;
        return mid.toPrecision(digits);
      })
      .filter((t) => !/e/.test(t));
    fc.assert(
      fc.property(fc.oneof(longMantissa, nearTie), (n) => {
        const fast = expectAgreement(...record(`{"sensor_id":"sensor-00042","ts":1767571200000,"temperature":${n}}`));
        expect(fast).not.toBeNull();
        expect(Object.is(fast?.temperature, JSON.parse(n))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
    // Exact ties (2^53 + 1 rounds to even) and the largest mantissas still agree.
    for (const n of ['9007199254740993', '9007199254740995', '0.30000000000000004', '1.7976931348623157', '99999999999999999999999.5']) {
      expect(readReadingFast(...record(`{"sensor_id":"sensor-00042","ts":1767571200000,"temperature":${n}}`), T0)?.temperature).toBe(JSON.parse(n));
    }
  }, PROPERTY_TIMEOUT_MS);
});
