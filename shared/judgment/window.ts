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
}

export function emptyWindow(): SensorWindow {
  return { lastTs: null, ts: [], temperature: [], vibration: [], alerts: {} };
}

export function cloneWindow(w: SensorWindow): SensorWindow {
  return { lastTs: w.lastTs, ts: w.ts.slice(), temperature: w.temperature.slice(), vibration: w.vibration.slice(), alerts: { ...w.alerts } };
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
