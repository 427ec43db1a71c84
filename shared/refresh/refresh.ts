import { createHash, randomUUID } from 'node:crypto';
import { CHANGE_NOTE_GRACE_MS, CHANGES_PREFIX, hourPartition, LAKE_PREFIX, parseChangeNote, type LakeChangeNote } from '../lake/index.js';
import type { ObjectStore, ReflectionStore, SqlEngine, SqlRow } from '../ports/index.js';
import { emptyCoMoments } from '../stats/index.js';
import { REFLECTION_WINDOWS, type ReflectionPointer, type SensorReflection } from '../reflections/index.js';
import { addHourToProfile, emptyProfilePartial, mergeProfileInto, reflectionFromPartials, sensorHoursOf, type MergeCarry, type MergeMemo, type ProfilePartial, type ReflectionWindows } from './combine.js';
import { addToBins, decodeDayPartials, emptyHourPartial, encodeDayPartials, type DayPartials, type HourPartial } from './partials.js';
import { assertDialect, deviceFailuresSql, hourPartialsSql, measurementPartialsSql, type LakeScan, type LakeSqlSource } from './sql.js';
import { fingerprintOf, groupByHour, visibleHourFiles, type HourDirectory } from './visibility.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Where partial aggregates live in the lake: one file per UTC day. */
export const PARTIALS_PREFIX = 'partials';

/** `partials/dt=YYYY-MM-DD/partials.json.gz` of the day holding `ts`. */
export function partialDayKey(ts: number): string {
  return `${PARTIALS_PREFIX}/dt=${new Date(ts).toISOString().slice(0, 10)}/partials.json.gz`;
}

/**
 * What a refresh process remembers of a lake between runs (a warm Lambda, the local timer): the
 * day partials it last read or wrote, and the first day it kept when it last dropped expired
 * partials. A day's partials are a function of the fingerprints of the lake files they came
 * from, so a remembered day serves every hour whose fingerprint still matches the listing, just
 * as the stored file would; an hour that does not match is recomputed either way, whoever wrote
 * the file since. This spares decoding up to 92 partial files on every run.
 *
 * A run that lists only the partitions named by change notes (`shared/lake/changes.ts`) trusts a
 * remembered day for every hour it does not list, so it must know the stored file is still the
 * one it remembers: `version` is the file's version token when read or written (null: unknown, as
 * after a put to a store that does not report it), and then `written` holds the bytes this process
 * last put, which a re-read compares against.
 */
interface RememberedDay {
  readonly day: DayPartials;
  version: string | null;
  readonly written: Uint8Array | null;
}
interface RememberedLake {
  readonly days: Map<string, RememberedDay>;
  expiryCheckedFrom: string | null;
  /** Per sensor, what its last merge built (MergeCarry). */
  merges: Map<string, MergeMemo>;
  /** Hours whose partials may differ from those the memos saw: recomputed, re-read or dropped since the last merge. */
  readonly changedHours: Set<number>;
}
const remembered = new WeakMap<ObjectStore, RememberedLake>();

function rememberedFor(lake: ObjectStore): RememberedLake {
  let r = remembered.get(lake);
  if (!r) remembered.set(lake, (r = { days: new Map(), expiryCheckedFrom: null, merges: new Map(), changedHours: new Set() }));
  return r;
}

function touchDay(memory: RememberedLake, dayStart: number): void {
  for (let h = dayStart; h < dayStart + DAY_MS; h += HOUR_MS) memory.changedHours.add(h);
}

/**
 * A day's partials by sensor: each sensor's hours (24 slots by hour of day) and its profile partial
 * of the whole day. Built once per day partials object, so a remembered day is indexed once: the
 * merge then looks up the few hours it needs, and the 90-day profile merges one partial per day
 * instead of 24.
 */
interface DayIndex {
  readonly dayStart: number;
  readonly hours: Map<string, (HourPartial | undefined)[]>;
  readonly profiles: Map<string, ProfilePartial>;
  /**
   * Per sensor, the profile partials of its hours from each hour of day on (index h: hours h–23),
   * built when the day is the one the window starts in: for the 24 runs it stays so, the window's
   * part of it is one partial instead of up to 24 merges per sensor.
   */
  tails: Map<string, ProfilePartial[]> | null;
}

/** `sensorId`'s profile partial of the day's hours from `from` on. */
function tailOf(index: DayIndex, sensorId: string, from: number): ProfilePartial | undefined {
  const slots = index.hours.get(sensorId);
  if (slots === undefined) return undefined;
  index.tails ??= new Map();
  let tails = index.tails.get(sensorId);
  if (!tails) {
    tails = new Array<ProfilePartial>(25);
    tails[24] = emptyProfilePartial(sensorId, index.dayStart);
    for (let h = 23; h >= 0; h--) {
      const tail = emptyProfilePartial(sensorId, index.dayStart);
      mergeProfileInto(tail, tails[h + 1]);
      const p = slots[h];
      if (p !== undefined) addHourToProfile(tail, p);
      tails[h] = tail;
    }
    index.tails.set(sensorId, tails);
  }
  return tails[Math.max(0, Math.ceil((from - index.dayStart) / HOUR_MS))];
}
const dayIndexMemory = new WeakMap<DayPartials, DayIndex>();

function dayIndexOf(day: DayPartials): DayIndex | null {
  if (day.partials.length === 0) return null;
  let index = dayIndexMemory.get(day);
  if (!index) {
    const dayStart = day.partials[0].hourStart - (day.partials[0].hourStart % DAY_MS);
    const hours = new Map<string, (HourPartial | undefined)[]>();
    const profiles = new Map<string, ProfilePartial>();
    const bySensor = new Map<string, HourPartial[]>();
    for (const p of day.partials) {
      let list = bySensor.get(p.sensorId);
      if (!list) bySensor.set(p.sensorId, (list = []));
      list.push(p);
    }
    for (const [sensorId, partials] of bySensor) {
      const [slots] = sensorHoursOf(sensorId, partials).values();
      const profile = emptyProfilePartial(sensorId, dayStart);
      for (const p of partials) addHourToProfile(profile, p);
      hours.set(sensorId, slots);
      profiles.set(sensorId, profile);
    }
    dayIndexMemory.set(day, (index = { dayStart, hours, profiles, tails: null }));
  }
  return index;
}

/** What a refresh needs from the outside. */
export interface RefreshPorts {
  readonly lake: ObjectStore;
  readonly reflections: ReflectionStore;
  readonly sql: SqlEngine;
  /** Where the SQL engine finds the lake's tables (must match the engine's dialect). */
  readonly lakeSql: LakeSqlSource;
}

export interface RefreshOptions {
  /**
   * Event time (epoch ms) the windows are taken at: they end at the start of its hour, since the
   * current hour is still arriving. Usually the wall clock; an import of old history passes its time.
   */
  readonly now: number;
  /**
   * The wall clock, for `refreshedAt` (the staleness metric's origin) and the versions' expiry,
   * which must be real times whatever `now` is. @default Date.now
   */
  readonly wallClock?: () => number;
  /** @default REFLECTION_WINDOWS (30, 56, 90 days) */
  readonly windows?: ReflectionWindows;
  /**
   * How long a version's items live (DynamoDB TTL). Must outlast the stale-reflection alarm by far:
   * if refreshes stop, executors keep judging against the last version.
   * @default 30 days
   */
  readonly versionTtlMs?: number;
  /**
   * How often a run lists every hour of the window instead of only the partitions change notes
   * name: the safety net for files a writer put without a note (a copy by hand, an old executor
   * during a deploy). The first run on a lake without a full listing on record lists in full.
   * @default 24 hours
   */
  readonly fullListingEveryMs?: number;
  /** Write a new version even when no lake partition changed within the same hour. @default false */
  readonly force?: boolean;
  /** Progress and decisions, for logs. */
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface RefreshResult {
  /** The version in force after this refresh. */
  readonly version: string | null;
  readonly previousVersion: string | null;
  /** False when nothing changed since the version in force (same hour, same lake): no new version. */
  readonly wroteVersion: boolean;
  readonly windowEnd: number;
  readonly refreshedAt: number;
  readonly sensors: number;
  /** Hour partitions recomputed from the lake (changed since the last refresh). */
  readonly hoursScanned: number;
  /** Hour partitions in the windows with data. */
  readonly hoursInWindow: number;
  readonly partialFilesWritten: number;
}

/**
 * Refreshes the reflections incrementally and writes them as a new version.
 *
 * 1. Lists the hour partitions change notes name (shared/lake/changes.ts) and the days without a
 *    partial file, or, once a day and on a lake with no full listing on record, every hour
 *    partition of the longest window; fingerprints each listed hour's files.
 * 2. Reads the per-day partial files; an hour whose stored fingerprint differs (new data, late
 *    data into an old hour, compaction) is recomputed by SQL over just that hour's visible files.
 * 3. Rewrites the partial files of days with recomputed hours (one atomic put per day); once they
 *    are stored, lets go of the change notes its listing captured.
 * 4. Merges the partials over the 30-day, 8-week and 90-day windows into one reflection per
 *    sensor, writes them all under a new version, then flips the pointer from the version it
 *    started from. Until the flip, readers keep the previous version: a refresh that dies at any
 *    point leaves the previous version in force, and the next refresh picks up where it stopped
 *    (partials are keyed by fingerprint, so redoing them is harmless).
 *
 * @throws ReflectionPointerConflictError when another refresh flipped the pointer first.
 * @example
 *   await refreshReflections({ lake, reflections, sql: duckdb, lakeSql: { kind: 'duckdb', root } }, { now: Date.now() });
 */
export async function refreshReflections(ports: RefreshPorts, options: RefreshOptions): Promise<RefreshResult> {
  try {
    return await refreshWith(ports, options);
  } catch (e) {
    // Whatever failed, the next run reads the version in force again.
    knownPointers.delete(ports.reflections);
    throw e;
  }
}

/**
 * The version in force as this process last read or flipped it, per reflection store: a refresh
 * process (a warm Lambda, the local timer) is usually the only writer of the pointer, so it need
 * not read it every run. The flip stays conditional on it, so another writer's flip is noticed
 * there (see `flip`).
 */
const knownPointers = new WeakMap<ReflectionStore, ReflectionPointer | null>();

async function refreshWith(ports: RefreshPorts, options: RefreshOptions): Promise<RefreshResult> {
  assertDialect(ports.sql, ports.lakeSql);
  const windows = options.windows ?? REFLECTION_WINDOWS;
  const log = options.log ?? (() => {});
  const wallClock = options.wallClock ?? Date.now;
  const windowEnd = Math.floor(options.now / HOUR_MS) * HOUR_MS;
  const windowStart = windowEnd - Math.max(windows.hourOfDayDays, windows.hourOfWeekDays, windows.profileDays) * DAY_MS;
  const updating = updatePartials(ports, windowStart, windowEnd, { wallNow: wallClock(), fullListingEveryMs: options.fullListingEveryMs ?? DAY_MS, log });
  // The version this refresh starts from (its flip is conditional on it): known from the last run,
  // or read once the lake's listings are under way, while the new hours are computed.
  const remembered = knownPointers.has(ports.reflections);
  const pointerRead = remembered ? Promise.resolve(knownPointers.get(ports.reflections) ?? null) : ports.reflections.currentPointer();
  pointerRead.catch(() => {});
  const { days, scanned, hoursInWindow, written, settle } = await updating;
  // The partials this run wrote are durable: the notes it consumed go while it merges, and
  // before the flip, so a refresh that fails has flipped nothing.
  const settled = settle();
  settled.catch(() => {});
  await dropExpiredPartials(ports.lake, windowStart);
  const pointer = await pointerRead;
  knownPointers.set(ports.reflections, pointer);
  // The version in force is kept only if it was merged from these very partials: a refresh that
  // stored new partials and died before its flip left partials that no hour's fingerprint tells apart.
  const builtFrom = partialsDigest(days, windows);
  if (!options.force && pointer !== null && pointer.windowEnd === windowEnd && pointer.builtFrom === builtFrom) {
    await settled;
    log('lake unchanged since the version in force', { version: pointer.version });
    return {
      version: pointer.version, previousVersion: pointer.version, wroteVersion: false, windowEnd, refreshedAt: pointer.refreshedAt,
      sensors: 0, hoursScanned: 0, hoursInWindow, partialFilesWritten: written,
    };
  }

  // Per sensor with partials in the window, its hours by day and its days' profile partials.
  const profileStart = windowEnd - windows.profileDays * DAY_MS;
  const bySensor = new Map<string, Map<number, readonly (HourPartial | undefined)[]>>();
  const dayProfiles = new Map<string, Map<number, ProfilePartial>>();
  for (const day of days) {
    const index = dayIndexOf(day);
    if (index === null || index.dayStart >= windowEnd || index.dayStart + DAY_MS <= windowStart) continue;
    const edge = index.dayStart < windowStart;
    for (const [sensorId, slots] of index.hours) {
      let sensorDays = bySensor.get(sensorId);
      if (!sensorDays) {
        // A sensor whose only hours of the day at the window's start precede it has no reflection.
        if (edge && !slots.some((p) => p !== undefined && p.hourStart >= windowStart)) continue;
        bySensor.set(sensorId, (sensorDays = new Map()));
      }
      sensorDays.set(index.dayStart, slots);
    }
    // The day the profile window starts in counts from the window's first hour.
    const profileEdge = index.dayStart < profileStart;
    for (const [sensorId, profile] of index.profiles) {
      const partial = profileEdge ? tailOf(index, sensorId, profileStart) : profile;
      if (partial === undefined) continue;
      let list = dayProfiles.get(sensorId);
      if (!list) dayProfiles.set(sensorId, (list = new Map()));
      list.set(index.dayStart, partial);
    }
  }
  const version = `${new Date(windowEnd).toISOString().slice(0, 13).replace(/[-T]/g, '')}-${randomUUID().slice(0, 8)}`;
  const reflections: SensorReflection[] = [];
  const memory = rememberedFor(ports.lake);
  // Merged sensor by sensor as the store takes them, so it encodes one while the next is merged.
  function* merged(): Generator<SensorReflection> {
    const merges = new Map<string, MergeMemo>();
    for (const [sensorId, partials] of bySensor) {
      const carry: MergeCarry = { memo: memory.merges.get(sensorId), changedHours: memory.changedHours, keep: (m) => merges.set(sensorId, m) };
      const reflection = reflectionFromPartials(sensorId, version, partials, windowEnd, windows, dayProfiles.get(sensorId), carry);
      reflections.push(reflection);
      yield reflection;
    }
    memory.merges = merges;
    memory.changedHours.clear();
  }
  const refreshedAt = wallClock();
  await ports.reflections.putReflections(merged(), refreshedAt + (options.versionTtlMs ?? 30 * DAY_MS));
  const next: ReflectionPointer = { version, refreshedAt, windowEnd, builtFrom };
  await settled;
  const previousVersion = await flip(ports.reflections, next, pointer, remembered);
  knownPointers.set(ports.reflections, next);
  log('reflections refreshed', { version, previousVersion, sensors: reflections.length, hoursScanned: scanned });
  return {
    version, previousVersion, wroteVersion: true, windowEnd, refreshedAt,
    sensors: reflections.length, hoursScanned: scanned, hoursInWindow, partialFilesWritten: written,
  };
}

/**
 * Flips the pointer from `from` to `next`; returns the version it flipped from. When `from` was
 * remembered rather than read and the flip fails, the version in force is read: if another writer
 * flipped meanwhile to a window no later than `next`'s, `next` replaces it (both are whole
 * versions of the lake, and `next` is the later or equal window); if `next` is already in force
 * (a flip that succeeded but whose answer was lost), that is success. Otherwise the error stands.
 */
async function flip(store: ReflectionStore, next: ReflectionPointer, from: ReflectionPointer | null, remembered: boolean): Promise<string | null> {
  try {
    await store.flipPointer(next, from?.version ?? null);
    return from?.version ?? null;
  } catch (e) {
    if (!remembered) throw e;
    const inForce = await store.currentPointer();
    if (inForce?.version === next.version) return from?.version ?? null;
    if (inForce?.version === from?.version || (inForce !== null && inForce.windowEnd > next.windowEnd)) throw e;
    await store.flipPointer(next, inForce?.version ?? null);
    return inForce?.version ?? null;
  }
}

/** Per day partials object (never changed once built), the digest of its hours' fingerprints. */
const dayDigests = new WeakMap<DayPartials, string>();

/**
 * What a version is merged from: the windows and the fingerprint of every hour of the days the
 * windows touch. Equal digests (and window ends) give equal reflections.
 */
function partialsDigest(days: readonly DayPartials[], windows: ReflectionWindows): string {
  const digest = createHash('sha256').update(`${windows.hourOfDayDays},${windows.hourOfWeekDays},${windows.profileDays}`);
  for (const day of days) {
    let d = dayDigests.get(day);
    if (d === undefined) {
      const hours = createHash('sha256');
      for (const [hour, fingerprint] of [...day.fingerprints].sort((a, b) => a[0] - b[0])) hours.update(`${hour}:${fingerprint}\n`);
      dayDigests.set(day, (d = hours.digest('base64url')));
    }
    digest.update(d);
  }
  return digest.digest('base64url').slice(0, 22);
}

interface UpdateContext {
  /** The wall clock when the run started: change notes are aged by it. */
  readonly wallNow: number;
  readonly fullListingEveryMs: number;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
}

interface UpdatedPartials {
  readonly days: DayPartials[];
  readonly scanned: number;
  readonly hoursInWindow: number;
  readonly written: number;
  /** Waits for the day files being written, then removes the change notes this run consumed (and records a full listing). */
  readonly settle: () => Promise<void>;
}

/** Brings the per-day partial files up to date with the lake; returns every day's partials in the window. */
async function updatePartials(ports: RefreshPorts, windowStart: number, windowEnd: number, context: UpdateContext): Promise<UpdatedPartials> {
  // A compaction may delete files between listing and reading; listing again sees its result.
  for (let attempt = 1; ; attempt++) {
    try {
      return await updatePartialsOnce(ports, windowStart, windowEnd, context);
    } catch (e) {
      if (attempt >= 3 || !isMissingFileError(e)) throw e;
      context.log('a lake file vanished while reading (compaction); listing again', { error: (e as Error).message });
    }
  }
}

function isMissingFileError(e: unknown): boolean {
  return /no such file|not found|does not exist|ENOENT|NoSuchKey/i.test((e as Error)?.message ?? '');
}

/** `changes/full-listing.<wall ms>`: a run listed every hour of its window then and wrote what it found. */
const FULL_LISTING = /^changes\/full-listing\.(\d{13})$/;
const fullListingKey = (at: number) => `${CHANGES_PREFIX}/full-listing.${String(Math.floor(at)).padStart(13, '0')}`;

async function updatePartialsOnce(ports: RefreshPorts, windowStart: number, windowEnd: number, context: UpdateContext): Promise<UpdatedPartials> {
  const { lake } = ports;
  const { wallNow, log } = context;
  // Every day in the window (and the edge day before it, whose later hours are in the window).
  const dayStarts: number[] = [];
  for (let d = Math.floor(windowStart / DAY_MS) * DAY_MS; d < windowEnd; d += DAY_MS) dayStarts.push(d);
  const dayOf = (d: number) => new Date(d).toISOString().slice(0, 10);
  const memory = rememberedFor(lake);
  // Days that left the window are forgotten with their files.
  for (const key of memory.days.keys()) if (key < partialDayKey(dayStarts[0])) memory.days.delete(key);

  // One listing of the change notes, and the stored day files' versions, side by side.
  const versionOf = lake.version?.bind(lake);
  const [changeKeys, versions] = await Promise.all([
    lake.list(`${CHANGES_PREFIX}/`),
    versionOf ? mapLimit(dayStarts, 32, (d) => versionOf(partialDayKey(d))) : Promise.resolve(null),
  ]);
  const notes = changeKeys.map(parseChangeNote).filter((n): n is LakeChangeNote => n !== null);
  const fullListings = changeKeys.filter((k) => FULL_LISTING.test(k));
  const lastFullListing = fullListings.length ? Number(FULL_LISTING.exec(fullListings[fullListings.length - 1])?.[1]) : null;
  // Only notes can be trusted for the hours not listed when every writer leaves them: since the
  // last full listing, and only where a day's stored file is known (a version to check memory by).
  const notesOnly = versions !== null && lastFullListing !== null && wallNow - lastFullListing < context.fullListingEveryMs;

  // Each day's stored partials: remembered while the file is the one remembered, else read.
  const stored = await mapLimit(dayStarts, 16, async (d, i): Promise<DayPartials | null> => {
    const key = partialDayKey(d);
    const known = memory.days.get(key);
    const version = versions?.[i] ?? null;
    if (notesOnly && version === null) {
      // No file: nothing known of this day, so it is listed whole below.
      memory.days.delete(key);
      touchDay(memory, d);
      return null;
    }
    if (known && (!notesOnly || (known.version !== null && known.version === version))) return known.day;
    const bytes = await lake.get(key);
    if (notesOnly && bytes === null) {
      // Deleted since its version was read: as unknown as a day without a file.
      memory.days.delete(key);
      touchDay(memory, d);
      return null;
    }
    if (known && bytes !== null && known.written !== null && Buffer.from(bytes).equals(Buffer.from(known.written))) {
      known.version = version;
      return known.day;
    }
    const day = bytes === null ? emptyDay() : decodeDayPartials(key, bytes);
    memory.days.set(key, { day, version, written: null });
    touchDay(memory, d);
    return day;
  });

  // The partitions to list: every day in full; else the hours notes name and days without a file.
  const prefixes: string[] = [];
  const checked = new Set<number>();
  const tables = [LAKE_PREFIX.readings, LAKE_PREFIX.deviceStatus];
  if (!notesOnly) {
    for (const d of dayStarts) prefixes.push(...tables.map((t) => `${t}/dt=${dayOf(d)}/`));
  } else {
    for (let i = 0; i < dayStarts.length; i++) if (stored[i] === null) prefixes.push(...tables.map((t) => `${t}/dt=${dayOf(dayStarts[i])}/`));
    const noted = new Set(notes.filter((n) => n.hourStart >= windowStart && n.hourStart < windowEnd && stored[dayStarts.indexOf(n.hourStart - (n.hourStart % DAY_MS))] !== null).map((n) => n.hourStart));
    for (const h of noted) prefixes.push(...tables.map((t) => `${t}/${hourPartition(h)}/`));
  }
  for (const prefix of prefixes) {
    const m = /dt=(\d{4}-\d{2}-\d{2})\/(?:hour=(\d{2})\/)?$/.exec(prefix) as RegExpExecArray;
    const first = Date.parse(`${m[1]}T${m[2] ?? '00'}:00:00Z`);
    for (let h = first; h < first + (m[2] === undefined ? DAY_MS : HOUR_MS); h += HOUR_MS) if (h >= windowStart && h < windowEnd) checked.add(h);
  }
  const listings = await mapLimit(prefixes, 16, (prefix) => lake.list(prefix));
  const days = stored.map((day) => day ?? emptyDay());
  const listed = groupByHour(listings.flat());
  const byHour = new Map<number, HourDirectory[]>();
  for (const h of listed.values()) {
    if (h.hourStart < windowStart || h.hourStart >= windowEnd) continue;
    let list = byHour.get(h.hourStart);
    if (!list) byHour.set(h.hourStart, (list = []));
    list.push(h);
  }
  const current = new Map<number, string>();
  for (const [hour, dirs] of byHour) current.set(hour, fingerprintOf(dirs.flatMap((d) => d.keys)));

  const storedFp = new Map<number, string>();
  for (const day of days) for (const [h, fp] of day.fingerprints) storedFp.set(h, fp);
  let hoursInWindow = 0;
  for (const h of storedFp.keys()) if (h >= windowStart && h < windowEnd && !checked.has(h)) hoursInWindow++;
  const changed: number[] = [];
  for (const hour of checked) {
    if (current.has(hour)) hoursInWindow++;
    if (current.get(hour) !== storedFp.get(hour)) changed.push(hour);
  }
  changed.sort((a, b) => a - b);
  for (const h of changed) memory.changedHours.add(h);

  // What this run may let go once its partials are written: the notes its listing captured — a
  // done note, a note whose done note it saw, a note older than the grace (its writer's files
  // have landed) — of hours it listed (a note of an hour outside the window waits until the
  // window reaches it; one of a day before the window, whose partials are dropped, just goes),
  // and, after a full listing, the earlier full-listing records.
  const doneIds = new Set(notes.filter((n) => n.done).map((n) => n.id));
  const consumed = notes
    .filter((n) => (n.done || doneIds.has(n.id) || wallNow - n.notedAt > CHANGE_NOTE_GRACE_MS) && (checked.has(n.hourStart) || n.hourStart < dayStarts[0]))
    .map((n) => n.key);
  const settle = async () => {
    if (!notesOnly) {
      await lake.put(fullListingKey(wallNow), new Uint8Array());
      consumed.push(...fullListings);
    }
    if (consumed.length) await lake.delete(consumed);
  };
  // Days listed whole that have no file get one, even when empty: the file is what tells a later
  // run that the day is known.
  const unfiled = new Set(dayStarts.filter((_, i) => (notesOnly ? stored[i] === null : versions?.[i] === null)));
  if (changed.length === 0 && unfiled.size === 0) return { days, scanned: 0, hoursInWindow, written: 0, settle };
  if (changed.length) log('recomputing changed hours', { hours: changed.length, listed: notesOnly ? 'noted partitions' : 'every hour' });

  const fresh = changed.length ? await computeHours(ports, changed.flatMap((h) => byHour.get(h) ?? [])) : new Map<number, HourPartial[]>();
  const changedSet = new Set(changed);
  const rewritten: number[] = [];
  for (let i = 0; i < dayStarts.length; i++) {
    const d = dayStarts[i];
    if (!unfiled.has(d) && !changed.some((h) => h >= d && h < d + DAY_MS)) continue;
    const old = days[i];
    const partials = old.partials.filter((p) => !changedSet.has(p.hourStart));
    const fingerprints = new Map([...old.fingerprints].filter(([h]) => !changedSet.has(h)));
    for (const h of changed) {
      if (h < d || h >= d + DAY_MS) continue;
      const fp = current.get(h);
      if (fp !== undefined) fingerprints.set(h, fp);
      partials.push(...(fresh.get(h) ?? []));
    }
    days[i] = { partials, fingerprints };
    rewritten.push(i);
  }
  // The day files are written while the caller merges and writes the reflections; settling waits
  // for them, so no note goes (and no pointer flips) before the partials it rests on are stored.
  // Encoding starts on the next turn of the event loop: by then the caller has merged and is
  // waiting on its write, so the JSON and gzip of the day files (1–3 ms) are off its path.
  const persisted = new Promise<void>((resolve) => setImmediate(resolve)).then(() => mapLimit(rewritten, 16, async (i) => {
    const key = partialDayKey(dayStarts[i]);
    // Forgotten while the file is rewritten: a failed write leaves the next run reading the file.
    memory.days.delete(key);
    const bytes = encodeDayPartials(days[i]);
    // With the new file's version known, the next run need not read the file back to trust memory.
    const version = (await lake.put(key, bytes)) ?? null;
    memory.days.set(key, { day: days[i], version, written: version === null ? bytes : null });
  }));
  persisted.catch(() => {});
  return { days, scanned: changed.length, hoursInWindow, written: rewritten.length, settle: () => persisted.then(settle) };
}

function emptyDay(): DayPartials {
  return { partials: [], fingerprints: new Map<number, string>() };
}

/** Partial files of days wholly before the longest window are no longer needed. */
async function dropExpiredPartials(lake: ObjectStore, windowStart: number): Promise<void> {
  const firstKept = partialDayKey(Math.floor(windowStart / DAY_MS) * DAY_MS);
  // The window moves a day at a time: once a day is enough.
  const memory = rememberedFor(lake);
  if (memory.expiryCheckedFrom === firstKept) return;
  const expired = (await lake.list(`${PARTIALS_PREFIX}/`)).filter((k) => k < firstKept);
  if (expired.length > 0) await lake.delete(expired);
  memory.expiryCheckedFrom = firstKept;
}

/** Runs the partial-aggregate SQL over the given hour directories; partials grouped by hour. */
async function computeHours(ports: RefreshPorts, dirs: readonly HourDirectory[]): Promise<Map<number, HourPartial[]>> {
  const resolved = await mapLimit(dirs, 16, async (h) => ({ h, ...(await visibleHourFiles(ports.lake, h)) }));
  const scanOf = (table: 'readings' | 'deviceStatus'): LakeScan => ({
    table,
    hours: resolved.filter((r) => r.h.table === table && r.visible.length > 0).map((r) => ({ dir: r.h.dir, visible: r.visible, hidden: r.hidden })),
  });
  const readings = scanOf('readings');
  const status = scanOf('deviceStatus');
  const lakeFiles = (scan: LakeScan) => ({ lakeFiles: scan.hours.reduce((n, h) => n + h.visible.length, 0) });
  const [readingRows, failureRows] = await Promise.all([
    readings.hours.length ? ports.sql.query(hourPartialsSql(ports.lakeSql, readings), lakeFiles(readings)) : [],
    status.hours.length ? ports.sql.query(deviceFailuresSql(ports.lakeSql, status), lakeFiles(status)) : [],
  ]);
  // The channel profile's query runs only when some reading of these hours carried channels:
  // a lake of sensors without channels pays nothing for it.
  const measurementRows = readingRows.some((row) => (num(row.channel_readings) ?? 0) > 0)
    ? await ports.sql.query(measurementPartialsSql(ports.lakeSql, readings), lakeFiles(readings))
    : [];
  const partials = new Map<string, HourPartial>();
  const partialOf = (row: SqlRow) => {
    const sensorId = String(row.sensor_id);
    const hourStart = num(row.hour_start_ms) as number;
    const key = `${sensorId}\u0000${hourStart}`;
    let p = partials.get(key);
    if (!p) partials.set(key, (p = emptyHourPartial(sensorId, hourStart)));
    return p;
  };
  for (const row of readingRows) {
    if (num(row.whole_hour) === 0) {
      // A pressure bin's row; rows without a pressure have no sign and no bin.
      const sign = num(row.sign);
      if (sign !== null) addToBins(partialOf(row).pressureBins, sign, num(row.bin) ?? 0, num(row.p_n) ?? 0);
      continue;
    }
    const p = partialOf(row);
    p.readings = num(row.readings) ?? 0;
    p.temperature = moments(row, 't');
    p.pressure = moments(row, 'p');
    p.vibration = moments(row, 'v');
    p.maxPressure = num(row.p_max);
    const n = num(row.vec_n) ?? 0;
    const [tt, tp, tv, pp, pv, vv] = ['c_tt', 'c_tp', 'c_tv', 'c_pp', 'c_pv', 'c_vv'].map((c) => num(row[c]) ?? 0);
    p.vector = n === 0 ? p.vector : { n, mean: [num(row.vec_t) ?? 0, num(row.vec_p) ?? 0, num(row.vec_v) ?? 0], c: [tt, tp, tv, tp, pp, pv, tv, pv, vv] };
    p.failures += num(row.failures) ?? 0;
    p.lastFailureTs = maxOrNull(p.lastFailureTs, num(row.last_failure_ms));
    p.channelReadings = num(row.channel_readings) ?? 0;
  }
  for (const row of measurementRows) {
    const pair = (n: unknown, a: unknown, b: unknown, caa: unknown, cab: unknown, cbb: unknown) => {
      const count = num(n) ?? 0;
      return count === 0
        ? emptyCoMoments(2)
        : { n: count, mean: [num(a) ?? 0, num(b) ?? 0], c: [Math.max(0, num(caa) ?? 0), num(cab) ?? 0, num(cab) ?? 0, Math.max(0, num(cbb) ?? 0)] };
    };
    partialOf(row).measurements.set(String(row.name), {
      trend: pair(row.n, row.mean_t, row.mean_x, row.c_tt, row.c_tx, row.c_xx),
      steps: pair(row.steps_n, row.steps_prev, row.steps_x, row.steps_c_pp, row.steps_c_px, row.steps_c_xx),
      first: num(row.first_x) ?? 0,
      last: num(row.last_x) ?? 0,
    });
  }
  for (const row of failureRows) {
    const p = partialOf(row);
    p.failures += num(row.failures) ?? 0;
    p.lastFailureTs = maxOrNull(p.lastFailureTs, num(row.last_failure_ms));
  }
  const out = new Map<number, HourPartial[]>();
  for (const p of partials.values()) {
    let list = out.get(p.hourStart);
    if (!list) out.set(p.hourStart, (list = []));
    list.push(p);
  }
  return out;
}

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

function moments(row: SqlRow, prefix: string) {
  const n = num(row[`${prefix}_n`]) ?? 0;
  return n === 0 ? { n: 0, mean: 0, m2: 0 } : { n, mean: num(row[`${prefix}_mean`]) ?? 0, m2: Math.max(0, num(row[`${prefix}_m2`]) ?? 0) };
}

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** Maps with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
