import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryObjectStore, documentClient, DynamoReflectionStore, ReflectionPointerConflictError } from '../../../shared/adapters/index.js';
import { DuckDbSqlEngine } from '../../../shared/adapters/duckdb/index.js';
import type { Reading } from '../../../shared/readings/index.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
import { compactClosedHours, refreshReflections, type RefreshPorts } from '../../../shared/refresh/index.js';
import { generateReadings, prng, T0 } from '../../helpers/factories.js';
import { testEnvironment } from '../../helpers/stores.js';
import { writeBatch, writeDeviceStatus } from './lake-writer.js';
import { expectReflectionsClose } from './reflection-compare.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Short windows keep the lake small; the code path is the one of 30/56/90 days. */
const WINDOWS = { hourOfDayDays: 3, hourOfWeekDays: 8, profileDays: 10 } as const;
const SENSORS = ['sensor-0', 'sensor-1', 'sensor-2'];

describe('refresh over a DuckDB lake and DynamoDB Local', () => {
  const sql = new DuckDbSqlEngine();
  afterAll(() => sql.close());

  async function portsFor() {
    const env = await testEnvironment();
    const ports: RefreshPorts = { lake: env.ports.lake, reflections: env.ports.reflections, sql, lakeSql: { kind: 'duckdb', root: env.lakeDir } };
    return { env, ports };
  }

  async function expectMatchesFullRecomputation(ports: RefreshPorts, arrived: readonly Reading[]) {
    const pointer = await ports.reflections.currentPointer();
    expect(pointer).not.toBeNull();
    const { version, windowEnd } = pointer!;
    const got = await ports.reflections.getReflections(version, SENSORS);
    for (const id of SENSORS) expectReflectionsClose(got.get(id), reflectionFromReadings(id, version, arrived, windowEnd, WINDOWS));
  }

  // With a wall clock past the change notes' grace, every refresh lets go of the notes of the hours
  // it lists, so the other refresher learns of them only from the day files it re-reads.
  it.each([
    [1, 'notes within their grace', Date.now],
    [2, 'notes within their grace', Date.now],
    [3, 'notes let go as soon as listed', () => Date.now() + 2 * HOUR],
  ])('equals the full recomputation after random arrivals, redeliveries, late data, compactions and refreshes by two processes (seed %i, %s)', async (seed, _notes, wallClock) => {
    const { env, ports } = await portsFor();
    // A second refresher on the same lake with its own memory of day partials, as two warm
    // Lambda containers would be: each may remember days the other has since rewritten.
    const other: RefreshPorts = { ...ports, lake: new DirectoryObjectStore(env.lakeDir) };
    const rand = prng(seed);
    const start = T0 - 12 * DAY;
    const all = generateReadings({ sensors: 3, start, end: T0 + DAY, stepMs: HOUR, seed, missingRate: 0.1 }).map((r) =>
      rand() < 0.01 ? { ...r, status: 'FAILED' as const } : r,
    );
    // Some readings are held back and arrive later, into partitions that were already refreshed.
    const late = new Set(all.filter(() => rand() < 0.12));
    const onTime = all.filter((r) => !late.has(r)).sort((a, b) => a.ts - b.ts);
    const arrived: Reading[] = [];
    const offsets = [0, 0, 0];
    let clock = start;
    let refreshes = 0;
    let untilRefresh = 4;
    let i = 0;
    while (i < onTime.length) {
      const size = 1 + Math.floor(rand() * 60);
      const batch = onTime.slice(i, i + size);
      i += size;
      clock = Math.max(clock, batch[batch.length - 1].ts + 1);
      const partition = Math.floor(rand() * 3);
      const firstOffset = offsets[partition];
      offsets[partition] = await writeBatch(ports.lake, batch, { partition, firstOffset });
      arrived.push(...batch);
      // At-least-once delivery: a batch redelivered with other bounds writes the same readings at the
      // same stream positions into files whose offset ranges overlap the first delivery's.
      if (batch.length > 1 && rand() < 0.1) {
        const from = 1 + Math.floor(rand() * (batch.length - 1));
        await writeBatch(ports.lake, batch.slice(from), { partition, firstOffset: firstOffset + from });
      }
      if (rand() < 0.3) {
        const due = [...late].filter((r) => r.ts < clock && rand() < 0.5);
        if (due.length) {
          for (const r of due) late.delete(r);
          offsets[partition] = await writeBatch(ports.lake, due, { partition, firstOffset: offsets[partition] });
          arrived.push(...due);
        }
      }
      if (--untilRefresh <= 0 && clock > start + 2 * DAY) {
        untilRefresh = 3 + Math.floor(rand() * 5);
        if (rand() < 0.4) await compactClosedHours(ports.lake, { now: clock, lookbackHours: 48 });
        await refreshReflections(rand() < 0.5 ? ports : other, { now: clock, windows: WINDOWS, wallClock });
        await expectMatchesFullRecomputation(ports, arrived);
        refreshes++;
      }
    }
    // The rest of the late readings, then a last refresh an hour on.
    const rest = [...late];
    if (rest.length) offsets[0] = await writeBatch(ports.lake, rest, { partition: 0, firstOffset: offsets[0] });
    arrived.push(...rest);
    const result = await refreshReflections(ports, { now: clock + HOUR, windows: WINDOWS, wallClock });
    await expectMatchesFullRecomputation(ports, arrived);
    expect(refreshes).toBeGreaterThan(3);
    expect(result.hoursScanned).toBeLessThan(result.hoursInWindow);
  });

  it('recomputes only the hours whose partitions changed since the last refresh', async () => {
    const { ports } = await portsFor();
    const history = generateReadings({ sensors: 3, start: T0 - 10 * DAY, end: T0, stepMs: 3 * HOUR, seed: 7 });
    await writeBatch(ports.lake, history, { partition: 0, firstOffset: 0 });
    const first = await refreshReflections(ports, { now: T0, windows: WINDOWS });
    expect(first.hoursScanned).toBe(first.hoursInWindow);

    const newHour = generateReadings({ sensors: 3, start: T0, end: T0 + HOUR, stepMs: 20 * 60_000, seed: 8 });
    const lateOne = generateReadings({ sensors: 1, start: T0 - 5 * DAY, end: T0 - 5 * DAY + 1, stepMs: HOUR, seed: 9 });
    await writeBatch(ports.lake, [...newHour, ...lateOne], { partition: 1, firstOffset: 0 });
    const second = await refreshReflections(ports, { now: T0 + HOUR, windows: WINDOWS });
    expect(second.hoursScanned).toBe(2);
    expect(second.previousVersion).toBe(first.version);
    await expectMatchesFullRecomputation(ports, [...history, ...newHour, ...lateOne]);

    const third = await refreshReflections(ports, { now: T0 + HOUR + 60_000, windows: WINDOWS });
    expect(third).toMatchObject({ wroteVersion: false, version: second.version, hoursScanned: 0 });
  });

  it('builds the channel profile of sensors that report extra channels, equal to the full recomputation across late data and refreshes', async () => {
    const { ports } = await portsFor();
    const rand = prng(21);
    // sensor-0 and sensor-1 report channels (sometimes one is missing, sometimes none at all, and
    // sensor-1 none for three hours: hours outside its channel profile); sensor-2 reports the
    // three metrics only and gets no channel profile.
    const silent = (r: Reading) => r.sensor_id === 'sensor-1' && r.ts >= T0 - 2 * DAY && r.ts < T0 - 2 * DAY + 3 * HOUR;
    const all = generateReadings({ sensors: 3, start: T0 - 4 * DAY, end: T0 + 6 * HOUR, stepMs: 20 * 60_000, seed: 21, missingRate: 0.1 }).map((r) => {
      if (r.sensor_id === 'sensor-2' || rand() < 0.05 || silent(r)) return r;
      const channels: Record<string, number> = { Current: 1 + Math.sin(r.ts / 3_600_000) + rand() * 0.1 };
      if (rand() < 0.9) channels.Volume_Flow_RateRMS = 30 + (r.ts - T0) / 1e7 + rand();
      return { ...r, channels };
    });
    const late = all.filter(() => rand() < 0.1);
    const onTime = all.filter((r) => !late.includes(r));
    const history = onTime.filter((r) => r.ts < T0);
    await writeBatch(ports.lake, history, { partition: 0, firstOffset: 0 });
    await refreshReflections(ports, { now: T0, windows: WINDOWS });
    await expectMatchesFullRecomputation(ports, history);

    const arrived = [...history];
    let offset = history.length;
    for (let h = 0; h < 6; h++) {
      const hour = onTime.filter((r) => r.ts >= T0 + h * HOUR && r.ts < T0 + (h + 1) * HOUR);
      const due = h === 3 ? late : [];
      offset = await writeBatch(ports.lake, [...hour, ...due], { partition: 1, firstOffset: offset });
      arrived.push(...hour, ...due);
      await refreshReflections(ports, { now: T0 + (h + 1) * HOUR, windows: WINDOWS });
      await expectMatchesFullRecomputation(ports, arrived.filter((r) => r.ts < T0 + (h + 1) * HOUR));
    }
    const pointer = await ports.reflections.currentPointer();
    const got = await ports.reflections.getReflections(pointer!.version, SENSORS);
    expect(Object.keys(got.get('sensor-0')!.profile!.channelSteps!).sort()).toEqual(['Current', 'Volume_Flow_RateRMS', 'pressure', 'temperature', 'vibration']);
    expect(got.get('sensor-2')!.profile!.channelSteps).toBeUndefined();
  });

  it('reads the version in force once per process, and replaces a version another writer flipped meanwhile unless its window is later', async () => {
    const { env, ports } = await portsFor();
    let reads = 0;
    const counted: RefreshPorts = {
      ...ports,
      reflections: {
        currentPointer: () => (reads++, ports.reflections.currentPointer()),
        getReflections: (v, ids) => ports.reflections.getReflections(v, ids),
        putReflections: (r, e) => ports.reflections.putReflections(r, e),
        flipPointer: (p, e) => ports.reflections.flipPointer(p, e),
      },
    };
    const history = generateReadings({ sensors: 3, start: T0 - 4 * DAY, end: T0 + 5 * HOUR, stepMs: HOUR, seed: 5 });
    const hourOf = (h: number) => history.filter((r) => r.ts >= T0 + h * HOUR && r.ts < T0 + (h + 1) * HOUR);
    await writeBatch(ports.lake, history.filter((r) => r.ts < T0), { partition: 0, firstOffset: 0 });
    await refreshReflections(counted, { now: T0, windows: WINDOWS });
    await writeBatch(ports.lake, hourOf(0), { partition: 0, firstOffset: 1_000 });
    await refreshReflections(counted, { now: T0 + HOUR, windows: WINDOWS });
    expect(reads).toBe(1);

    // Another process (its own store and memory) refreshes the same lake and flips the pointer.
    const other: RefreshPorts = { ...ports, lake: new DirectoryObjectStore(env.lakeDir), reflections: new DynamoReflectionStore(documentClient(env.dynamo), env.config.tables.reflections) };
    await writeBatch(ports.lake, hourOf(1), { partition: 0, firstOffset: 2_000 });
    const theirs = await refreshReflections(other, { now: T0 + 2 * HOUR, windows: WINDOWS });
    await writeBatch(ports.lake, hourOf(2), { partition: 0, firstOffset: 3_000 });
    const ours = await refreshReflections(counted, { now: T0 + 3 * HOUR, windows: WINDOWS });
    expect(reads).toBe(2);
    expect(ours.previousVersion).toBe(theirs.version);
    expect((await ports.reflections.currentPointer())?.version).toBe(ours.version);
    await expectMatchesFullRecomputation(ports, history.filter((r) => r.ts < T0 + 3 * HOUR));

    // A version of a later window stays in force: this refresh fails, and the next reads again.
    await writeBatch(ports.lake, hourOf(3), { partition: 0, firstOffset: 4_000 });
    const later = await refreshReflections(other, { now: T0 + 5 * HOUR, windows: WINDOWS });
    await expect(refreshReflections(counted, { now: T0 + 4 * HOUR, windows: WINDOWS })).rejects.toBeInstanceOf(ReflectionPointerConflictError);
    expect((await ports.reflections.currentPointer())?.version).toBe(later.version);
    expect(reads).toBe(3);
    await refreshReflections(counted, { now: T0 + 5 * HOUR, windows: WINDOWS });
    expect(reads).toBe(4);
  });

  it('writes the version a refresh that stored its partials and died before its flip left unwritten, though no hour changed since', async () => {
    const { env, ports } = await portsFor();
    const history = generateReadings({ sensors: 3, start: T0 - 4 * DAY, end: T0, stepMs: HOUR / 4, seed: 8 });
    const late = new Set(history.filter((r) => r.ts >= T0 - 2 * DAY && r.ts < T0 - 2 * DAY + HOUR));
    await writeBatch(ports.lake, history.filter((r) => !late.has(r)), { partition: 0, firstOffset: 0 });
    const first = await refreshReflections(ports, { now: T0 + 5 * 60_000, windows: WINDOWS });
    // Late data into an old hour, and a refresh in the same hour that stores its partials but dies before its flip.
    await writeBatch(ports.lake, [...late], { partition: 0, firstOffset: 10_000 });
    const dying: RefreshPorts = {
      ...ports,
      reflections: {
        currentPointer: () => ports.reflections.currentPointer(),
        getReflections: (v, ids) => ports.reflections.getReflections(v, ids),
        putReflections: (r, e) => ports.reflections.putReflections(r, e),
        flipPointer: () => Promise.reject(new Error('killed before the flip')),
      },
    };
    await expect(refreshReflections(dying, { now: T0 + 10 * 60_000, windows: WINDOWS })).rejects.toThrow('killed before the flip');
    expect((await ports.reflections.currentPointer())?.version).toBe(first.version);

    // Its partials are stored, so this process and a new one find no hour changed, in the same hour.
    for (const lake of [ports.lake, new DirectoryObjectStore(env.lakeDir)]) {
      const made = await refreshReflections({ ...ports, lake }, { now: T0 + 15 * 60_000, windows: WINDOWS });
      expect(made.hoursScanned).toBe(0);
      await expectMatchesFullRecomputation(ports, history);
      // Once the version in force is built from them, a refresh keeps it.
      const again = await refreshReflections({ ...ports, lake }, { now: T0 + 20 * 60_000, windows: WINDOWS });
      expect(again).toMatchObject({ wroteVersion: false, version: made.version });
    }
  });

  it('counts FAILED device_status events into the failure history', async () => {
    const { ports } = await portsFor();
    const history = generateReadings({ sensors: 3, start: T0 - 4 * DAY, end: T0, stepMs: 2 * HOUR, seed: 11 }).map((r) => ({ ...r, status: 'OK' as const }));
    await writeBatch(ports.lake, history, { partition: 0, firstOffset: 0 });
    await writeDeviceStatus(
      ports.lake,
      [
        { sensor_id: 'sensor-1', ts: T0 - 3 * DAY, status: 'FAILED' },
        { sensor_id: 'sensor-1', ts: T0 - 2 * DAY + 5000, status: 'FAILED' },
        { sensor_id: 'sensor-1', ts: T0 - 2 * DAY + 9000, status: 'OK' },
        { sensor_id: 'pump-9', ts: T0 - DAY, status: 'FAILED' },
      ],
      { partition: 0, firstOffset: 0 },
    );
    const r = await refreshReflections(ports, { now: T0, windows: WINDOWS });
    const got = await ports.reflections.getReflections(r.version!, ['sensor-0', 'sensor-1', 'pump-9']);
    expect(got.get('sensor-0')?.profile).toMatchObject({ failureCount: 0, lastFailureTs: null });
    expect(got.get('sensor-1')?.profile).toMatchObject({ failureCount: 2, lastFailureTs: T0 - 2 * DAY + 5000 });
    expect(got.get('pump-9')?.profile).toMatchObject({ failureCount: 1, lastFailureTs: T0 - DAY, temperature: { n: 0 } });
  });

  it('drops partial files of days that left the longest window', async () => {
    const { ports } = await portsFor();
    await writeBatch(ports.lake, generateReadings({ sensors: 1, start: T0 - 12 * DAY, end: T0, stepMs: 6 * HOUR }), { partition: 0, firstOffset: 0 });
    await refreshReflections(ports, { now: T0, windows: WINDOWS });
    const before = await ports.lake.list('partials/');
    await refreshReflections(ports, { now: T0 + 3 * DAY, windows: WINDOWS });
    const after = await ports.lake.list('partials/');
    expect(before[0]).toBe('partials/dt=2025-12-26/partials.json.gz');
    expect(after[0]).toBe('partials/dt=2025-12-29/partials.json.gz');
  });
});
