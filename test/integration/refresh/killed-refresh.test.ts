import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbSqlEngine } from '../../../shared/adapters/duckdb/index.js';
import type { ObjectStore, ReflectionStore, SqlEngine } from '../../../shared/ports/index.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
import { refreshReflections, type RefreshPorts } from '../../../shared/refresh/index.js';
import { generateReadings, prng, T0 } from '../../helpers/factories.js';
import { testEnvironment } from '../../helpers/stores.js';
import { writeBatch } from './lake-writer.js';
import { expectReflectionsClose } from './reflection-compare.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WINDOWS = { hourOfDayDays: 2, hourOfWeekDays: 7, profileDays: 8 } as const;
const SENSORS = ['sensor-0', 'sensor-1', 'sensor-2', 'sensor-3'];

class Killed extends Error {}

/**
 * Ports whose every outside call counts; call number `killAt` dies — before the call, or (for
 * writes) after doing part of it, as a process killed mid-write would.
 */
function killable(ports: RefreshPorts, killAt: number, rand: () => number): RefreshPorts & { calls: () => number } {
  let calls = 0;
  const step = async <T>(run: () => Promise<T>, partial?: () => Promise<unknown>): Promise<T> => {
    if (++calls === killAt) {
      if (partial && rand() < 0.5) await partial();
      throw new Killed(`killed at call ${killAt}`);
    }
    return run();
  };
  const lake: ObjectStore = {
    put: (k, b) => step(() => ports.lake.put(k, b), () => ports.lake.put(k, b)),
    get: (k) => step(() => ports.lake.get(k)),
    list: (p) => step(() => ports.lake.list(p)),
    delete: (ks) => step(() => ports.lake.delete(ks), () => ports.lake.delete(ks.slice(0, Math.ceil(ks.length / 2)))),
    version: (k) => step(() => ports.lake.version!(k)),
  };
  const reflections: ReflectionStore = {
    currentPointer: () => step(() => ports.reflections.currentPointer()),
    getReflections: (v, ids) => step(() => ports.reflections.getReflections(v, ids)),
    putReflections: (given, exp) => {
      const rs = [...given];
      return step(() => ports.reflections.putReflections(rs, exp), () => ports.reflections.putReflections(rs.slice(0, Math.ceil(rs.length / 2)), exp));
    },
    flipPointer: (p, e) => step(() => ports.reflections.flipPointer(p, e)),
  };
  const sql: SqlEngine = { dialect: ports.sql.dialect, query: (q, o) => step(() => ports.sql.query(q, o)) };
  return { ...ports, lake, reflections, sql, calls: () => calls };
}

describe('a refresh killed midway', () => {
  const sql = new DuckDbSqlEngine();
  afterAll(() => sql.close());

  it('never leaves a mixed or missing version, at any of its calls', async () => {
    const env = await testEnvironment();
    const ports: RefreshPorts = { lake: env.ports.lake, reflections: env.ports.reflections, sql, lakeSql: { kind: 'duckdb', root: env.lakeDir } };
    const rand = prng(42);
    const history = generateReadings({ sensors: 4, start: T0 - 9 * DAY, end: T0, stepMs: 2 * HOUR, seed: 5 });
    await writeBatch(ports.lake, history, { partition: 0, firstOffset: 0 });
    const first = await refreshReflections(ports, { now: T0, windows: WINDOWS });
    const expectInForce = async (readings: typeof history) => {
      const pointer = await ports.reflections.currentPointer();
      const items = await ports.reflections.getReflections(pointer!.version, SENSORS);
      expect(items.size, `every sensor of version ${pointer!.version}`).toBe(SENSORS.length);
      for (const id of SENSORS) {
        expect(items.get(id)?.version).toBe(pointer!.version);
        expectReflectionsClose(items.get(id), reflectionFromReadings(id, pointer!.version, readings, pointer!.windowEnd, WINDOWS));
      }
      return pointer!;
    };

    // New data: a new hour and a late reading into an old hour.
    const newer = [
      ...generateReadings({ sensors: 4, start: T0, end: T0 + HOUR, stepMs: 15 * 60_000, seed: 6 }),
      ...generateReadings({ sensors: 4, start: T0 - 4 * DAY, end: T0 - 4 * DAY + 1, stepMs: HOUR, seed: 7 }),
    ];
    await writeBatch(ports.lake, newer, { partition: 1, firstOffset: 0 });
    const all = [...history, ...newer];

    // Every trial starts from the partial files as the first refresh left them, so each faces the whole work.
    const snapshot = new Map<string, Uint8Array>();
    for (const k of await ports.lake.list('partials/')) snapshot.set(k, (await ports.lake.get(k))!);
    const restore = async () => {
      await ports.lake.delete(await ports.lake.list('partials/'));
      for (const [k, b] of snapshot) await ports.lake.put(k, b);
    };
    const readingsOf = (windowEnd: number) => (windowEnd === T0 ? history : all);

    await restore();
    const counting = killable(ports, Number.MAX_SAFE_INTEGER, rand);
    await refreshReflections(counting, { now: T0 + HOUR, windows: WINDOWS, force: true });
    const total = counting.calls();
    expect(total).toBeGreaterThan(10);
    let previous = (await expectInForce(all)).version;

    const killPoints = [...new Set([1, 2, 3, total - 1, total, ...Array.from({ length: 12 }, () => 1 + Math.floor(rand() * total))])].sort((a, b) => a - b);
    for (const killAt of killPoints) {
      await restore();
      const dying = killable(ports, killAt, rand);
      const outcome = await refreshReflections(dying, { now: T0 + HOUR, windows: WINDOWS, force: true }).then((r) => r, (e: unknown) => e);
      if (!(outcome instanceof Killed) && outcome instanceof Error) throw outcome;
      const now = await ports.reflections.currentPointer();
      const pointer = await expectInForce(readingsOf(now!.windowEnd));
      if (outcome instanceof Killed) expect(pointer.version, `killed at call ${killAt} of ${total}`).toBe(previous);
      previous = pointer.version;
    }
    expect(first.version).not.toBe(previous);

    // An undisturbed refresh afterwards brings everything up to date.
    await refreshReflections(ports, { now: T0 + HOUR, windows: WINDOWS, force: true });
    const pointer = await expectInForce(all);
    expect(pointer.windowEnd).toBe(T0 + HOUR);
  });
});
