import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryObjectStore } from '../../../shared/adapters/index.js';
import { DuckDbSqlEngine } from '../../../shared/adapters/duckdb/index.js';
import { CHANGE_NOTE_GRACE_MS, CHANGES_PREFIX, changeNoteKey, hourPartition, parseChangeNote } from '../../../shared/lake/index.js';
import type { Reading } from '../../../shared/readings/index.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
import { backfill, partialDayKey, readingsHistorySource, refreshReflections, type RefreshPorts } from '../../../shared/refresh/index.js';
import { generateReadings, T0 } from '../../helpers/factories.js';
import { testEnvironment } from '../../helpers/stores.js';
import { writeBatch } from './lake-writer.js';
import { expectReflectionsClose } from './reflection-compare.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WINDOWS = { hourOfDayDays: 3, hourOfWeekDays: 8, profileDays: 10 } as const;
const SENSORS = ['sensor-0', 'sensor-1', 'sensor-2'];
/** A wall clock past every note's grace: the refresh may let go of the notes of hours it lists. */
const later = () => Date.now() + CHANGE_NOTE_GRACE_MS + 60_000;

describe('refresh by change notes', () => {
  const sql = new DuckDbSqlEngine();
  afterAll(() => sql.close());

  async function portsFor() {
    const env = await testEnvironment();
    const ports: RefreshPorts = { lake: env.ports.lake, reflections: env.ports.reflections, sql, lakeSql: { kind: 'duckdb', root: env.lakeDir } };
    return { env, ports };
  }

  async function expectReflectionsOf(ports: RefreshPorts, readings: readonly Reading[]) {
    const { version, windowEnd } = (await ports.reflections.currentPointer())!;
    const got = await ports.reflections.getReflections(version, SENSORS);
    for (const id of SENSORS) expectReflectionsClose(got.get(id), reflectionFromReadings(id, version, readings, windowEnd, WINDOWS));
  }

  const notesIn = async (ports: RefreshPorts) => (await ports.lake.list(`${CHANGES_PREFIX}/`)).map(parseChangeNote).filter((n) => n !== null);

  it('lists only the noted partitions, and finds a file put without a note at the next full listing', async () => {
    const { ports } = await portsFor();
    const history = generateReadings({ sensors: 3, start: T0 - 10 * DAY, end: T0, stepMs: 3 * HOUR, seed: 31 });
    await writeBatch(ports.lake, history, { partition: 0, firstOffset: 0 });
    const first = await refreshReflections(ports, { now: T0, windows: WINDOWS });
    expect(first.hoursScanned).toBe(first.hoursInWindow);
    expect((await ports.lake.list(`${CHANGES_PREFIX}/full-listing.`)).length).toBe(1);

    // A file copied in by hand, without a note, into an old hour no note names (history has every
    // third hour); then a new hour as the executor writes it.
    const unnoted = generateReadings({ sensors: 3, start: T0 - 4 * DAY + HOUR + 30 * 60_000, end: T0 - 4 * DAY + HOUR + 31 * 60_000, stepMs: HOUR, seed: 32 });
    await writeBatch(ports.lake, unnoted, { partition: 1, firstOffset: 0, note: false });
    const newHour = generateReadings({ sensors: 3, start: T0, end: T0 + HOUR, stepMs: 20 * 60_000, seed: 33 });
    await writeBatch(ports.lake, newHour, { partition: 2, firstOffset: 0 });
    const second = await refreshReflections(ports, { now: T0 + HOUR, windows: WINDOWS });
    expect(second.hoursScanned).toBe(1);
    await expectReflectionsOf(ports, [...history, ...newHour]);

    // A day on, the full listing is due: the copy is found and counted.
    const third = await refreshReflections(ports, { now: T0 + 2 * HOUR, windows: WINDOWS, wallClock: () => Date.now() + DAY + 60_000 });
    expect(third.hoursScanned).toBe(1);
    await expectReflectionsOf(ports, [...history, ...newHour, ...unnoted]);
    // One record of the newest full listing is kept.
    expect(await ports.lake.list(`${CHANGES_PREFIX}/full-listing.`)).toEqual([expect.stringMatching(/full-listing\.\d{13}$/)]);
  });

  it('lets a note go only once its hour was listed past the grace, and keeps notes of hours the window has not reached', async () => {
    const { ports } = await portsFor();
    const history = generateReadings({ sensors: 3, start: T0 - 9 * DAY, end: T0, stepMs: 3 * HOUR, seed: 41 });
    await writeBatch(ports.lake, history, { partition: 0, firstOffset: 0 });
    const notedBefore = await notesIn(ports);
    expect(notedBefore.length).toBe(new Set(history.map((x) => Math.floor(x.ts / HOUR))).size);
    // Within the grace every note stays, though the refresh listed every hour.
    await refreshReflections(ports, { now: T0, windows: WINDOWS });
    expect(await notesIn(ports)).toEqual(notedBefore);

    // Readings of the hour after the window's end arrive (the current hour): their note must wait for the window.
    const ahead = generateReadings({ sensors: 3, start: T0 + HOUR, end: T0 + 2 * HOUR, stepMs: 20 * 60_000, seed: 42 });
    await writeBatch(ports.lake, ahead, { partition: 1, firstOffset: 0 });
    const aheadDir = `readings/${hourPartition(T0 + HOUR)}`;
    await refreshReflections(ports, { now: T0 + HOUR, windows: WINDOWS, wallClock: later });
    expect((await notesIn(ports)).map((n) => n!.dir)).toEqual([aheadDir]);

    // The window reaches the hour: its readings count, and its note goes.
    const r = await refreshReflections(ports, { now: T0 + 2 * HOUR, windows: WINDOWS, wallClock: later });
    expect(r.hoursScanned).toBe(1);
    await expectReflectionsOf(ports, [...history, ...ahead]);
    expect(await notesIn(ports)).toEqual([]);
  });

  it('lets the notes of a finished import go after one listing: its done notes say the files are in place', async () => {
    const { ports } = await portsFor();
    const history = generateReadings({ sensors: 3, start: T0 - 9 * DAY, end: T0, stepMs: 3 * HOUR, seed: 71 });
    await backfill([readingsHistorySource('history', history)], ports.lake);
    const notes = await notesIn(ports);
    expect(notes.filter((n) => n!.done).length).toBe(notes.length / 2);
    await refreshReflections(ports, { now: T0, windows: WINDOWS });
    expect(await notesIn(ports)).toEqual([]);
    await expectReflectionsOf(ports, history);

    // The next import's hour is listed once; nothing else is.
    const newHour = generateReadings({ sensors: 3, start: T0, end: T0 + HOUR, stepMs: 20 * 60_000, seed: 72 });
    await backfill([readingsHistorySource('new hour', newHour)], ports.lake);
    const r = await refreshReflections(ports, { now: T0 + HOUR, windows: WINDOWS });
    expect(r.hoursScanned).toBe(1);
    expect(await notesIn(ports)).toEqual([]);
    await expectReflectionsOf(ports, [...history, ...newHour]);
  });

  it('re-reads a day file another refresher rewrote while it kept the day in memory', async () => {
    const { env, ports } = await portsFor();
    const other: RefreshPorts = { ...ports, lake: new DirectoryObjectStore(env.lakeDir) };
    const history = generateReadings({ sensors: 3, start: T0 - 10 * DAY, end: T0, stepMs: 3 * HOUR, seed: 51 });
    await writeBatch(ports.lake, history, { partition: 0, firstOffset: 0 });
    await refreshReflections(ports, { now: T0, windows: WINDOWS });

    // Late readings into an old hour: the other refresher computes them and lets their note go.
    const late = generateReadings({ sensors: 3, start: T0 - 3 * DAY + 10 * 60_000, end: T0 - 3 * DAY + 11 * 60_000, stepMs: HOUR, seed: 52 });
    await writeBatch(ports.lake, late, { partition: 1, firstOffset: 0 });
    const byOther = await refreshReflections(other, { now: T0 + HOUR, windows: WINDOWS, wallClock: later });
    expect(byOther.hoursScanned).toBe(1);
    expect((await notesIn(ports)).filter((n) => n!.hourStart === T0 - 3 * DAY)).toEqual([]);

    // The first refresher remembers that day as it was; no note tells it the hour changed, the day file's version does.
    const r = await refreshReflections(ports, { now: T0 + 2 * HOUR, windows: WINDOWS, wallClock: later });
    expect(r.hoursScanned).toBe(0);
    await expectReflectionsOf(ports, [...history, ...late]);
  });

  it('lists a whole day whose partial file is missing, noted or not', async () => {
    const { ports } = await portsFor();
    const history = generateReadings({ sensors: 3, start: T0 - 10 * DAY, end: T0, stepMs: 3 * HOUR, seed: 61 });
    await writeBatch(ports.lake, history, { partition: 0, firstOffset: 0 });
    await refreshReflections(ports, { now: T0, windows: WINDOWS });
    // The day's partials are lost, and a copy without a note lands in it.
    await ports.lake.delete([partialDayKey(T0 - 6 * DAY)]);
    const unnoted = generateReadings({ sensors: 3, start: T0 - 6 * DAY + 5 * 60_000, end: T0 - 6 * DAY + 6 * 60_000, stepMs: HOUR, seed: 62 });
    await writeBatch(ports.lake, unnoted, { partition: 1, firstOffset: 0, note: false });
    const r = await refreshReflections(ports, { now: T0 + HOUR, windows: WINDOWS });
    // Every hour of the day with files is recomputed: nothing of it is known.
    const hoursOfDay = new Set([...history, ...unnoted].filter((x) => x.ts >= T0 - 6 * DAY && x.ts < T0 - 5 * DAY).map((x) => Math.floor(x.ts / HOUR)));
    expect(r.hoursScanned).toBe(hoursOfDay.size);
    await expectReflectionsOf(ports, [...history, ...unnoted]);
    expect(await ports.lake.get(partialDayKey(T0 - 6 * DAY))).not.toBeNull();
  });

  it('names notes by partition and time, and reads nothing else under changes/ as one', () => {
    const key = changeNoteKey('device_status/dt=2026-01-05/hour=07', Date.UTC(2026, 0, 5, 7, 30), 'abcdef01');
    expect(key).toBe('changes/device_status.dt=2026-01-05.hour=07.1767598200000-abcdef01');
    expect(parseChangeNote(key)).toEqual({ key, dir: 'device_status/dt=2026-01-05/hour=07', table: 'deviceStatus', hourStart: Date.UTC(2026, 0, 5, 7), notedAt: Date.UTC(2026, 0, 5, 7, 30), id: 'abcdef01', done: false });
    expect(parseChangeNote(changeNoteKey('readings/dt=2026-01-05/hour=07', Date.UTC(2026, 0, 5, 7, 31), 'abcdef01', true))).toMatchObject({ id: 'abcdef01', done: true });
    expect(() => changeNoteKey('readings/dt=2026-01-05', 0)).toThrow('"readings/dt=2026-01-05" is not a table/dt=YYYY-MM-DD/hour=HH partition directory');
    expect(parseChangeNote('changes/full-listing.1767598200000')).toBeNull();
    expect(parseChangeNote('changes/partials.dt=2026-01-05.hour=07.1767598200000-abcdef01')).toBeNull();
  });
});
