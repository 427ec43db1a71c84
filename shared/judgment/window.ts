/** How many past readings a sensor's window keeps: the widest feature looks at the last 21 rows. */
export const WINDOW_ROWS = 20;

/** A sensor's open/closed state for one alert kind (hysteresis). */
export interface AlertHysteresis {
  /** Id of the open alert, or null when closed. */
  readonly openAlertId: string | null;
  /** Consecutive non-triggering readings since it opened. */
  readonly quietStreak: number;
}

/**
 * What spans batches for one sensor: the last WINDOW_ROWS readings in event-time order, the
 * newest event time seen, and alert hysteresis. Persisted after every batch so a cold function
 * computes exactly what a warm one does.
 */
export interface SensorWindow {
  lastTs: number | null;
  /** Oldest first; parallel arrays, at most WINDOW_ROWS long. */
  ts: number[];
  temperature: (number | null)[];
  vibration: (number | null)[];
  alerts: Record<string, AlertHysteresis>;
  /**
   * Only for sensors that report extra channels: the last WINDOW_ROWS values of every measurement
   * (metrics and channels) by name, oldest first, null where a reading lacked it.
   */
  channels?: Record<string, (number | null)[]>;
}

export function emptyWindow(): SensorWindow {
  return { lastTs: null, ts: [], temperature: [], vibration: [], alerts: {} };
}

export function cloneWindow(w: SensorWindow): SensorWindow {
  const copy: SensorWindow = { lastTs: w.lastTs, ts: w.ts.slice(), temperature: w.temperature.slice(), vibration: w.vibration.slice(), alerts: { ...w.alerts } };
  if (w.channels) copy.channels = Object.fromEntries(Object.entries(w.channels).map(([k, v]) => [k, v.slice()]));
  return copy;
}

/** Appends a reading, dropping the oldest beyond WINDOW_ROWS. */
export function pushToWindow(w: SensorWindow, ts: number, temperature: number | null, vibration: number | null): void {
  w.ts.push(ts);
  w.temperature.push(temperature);
  w.vibration.push(vibration);
  if (w.ts.length > WINDOW_ROWS) {
    w.ts.shift();
    w.temperature.shift();
    w.vibration.shift();
  }
  w.lastTs = w.lastTs === null ? ts : Math.max(w.lastTs, ts);
}

/**
 * Appends one reading's measurements to the channel window: every name already kept or given
 * gets the given value or null, and keeps at most WINDOW_ROWS values.
 */
export function pushChannelsToWindow(w: SensorWindow, values: Readonly<Record<string, number | null>>): void {
  const channels = (w.channels ??= {});
  const depth = Object.values(channels)[0]?.length ?? 0;
  for (const name in values) if (!channels[name]) channels[name] = new Array(depth).fill(null);
  for (const name in channels) {
    const list = channels[name];
    list.push(values[name] ?? null);
    if (list.length > WINDOW_ROWS) list.shift();
  }
}
