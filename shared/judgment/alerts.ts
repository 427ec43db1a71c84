import { ANOMALY_CLASSIFICATION, type JudgmentConfig } from './classification.js';
import type { EnrichedReading } from './enriched.js';
import type { AlertHysteresis, SensorWindow } from './window.js';

export const ALERT_KIND = {
  /** The reading is a CRITICAL_ANOMALY against its hour-of-day history. */
  ANOMALY: 'ANOMALY',
  /** predictive_failure_risk reached the configured level. */
  FAILURE_RISK: 'FAILURE_RISK',
} as const;
export type AlertKind = (typeof ALERT_KIND)[keyof typeof ALERT_KIND];

export const ALERT_STATUS = { OPEN: 'OPEN', CLOSED: 'CLOSED' } as const;
export type AlertStatus = (typeof ALERT_STATUS)[keyof typeof ALERT_STATUS];

/** An alert with the context an operator needs to decide: what was seen, what is normal, how far off. */
export interface Alert {
  readonly sensor_id: string;
  readonly alert_id: string;
  readonly kind: AlertKind;
  readonly status: AlertStatus;
  readonly opened_at: number;
  readonly closed_at: number | null;
  readonly reading: Pick<EnrichedReading, 'ts' | 'temperature' | 'pressure' | 'vibration' | 'status' | 'kafka_topic' | 'kafka_partition' | 'kafka_offset'>;
  /** Normal band for this hour of day: mean ± criticalZ·stddev; null without history. */
  readonly expected_range: { readonly low: number; readonly high: number } | null;
  readonly anomaly_classification: EnrichedReading['anomaly_classification'];
  readonly temperature_z_score: number | null;
  readonly z_score: number | null;
  readonly seasonal_z_score: number | null;
  readonly mahalanobis_distance: number | null;
  readonly anomaly_score: number | null;
  readonly predictive_failure_risk: number;
  readonly days_since_failure: number | null;
  /** The channel score and its measurement (sensors with extra channels); absent otherwise. */
  readonly channel_score?: number | null;
  readonly channel_score_channel?: string | null;
  /** The sensor's recent window at the time, oldest first. */
  readonly recent: { readonly ts: readonly number[]; readonly temperature: readonly (number | null)[] };
}

export type AlertChange =
  | { readonly type: 'opened'; readonly alert: Alert }
  | { readonly type: 'closed'; readonly sensorId: string; readonly alertId: string; readonly closedAt: number };

/** The columns of a judged reading that decide whether it triggers an alert. */
export type AlertInputs = Pick<EnrichedReading, 'channel_score' | 'anomaly_classification' | 'predictive_failure_risk'>;

const TRIGGERS: Record<AlertKind, (row: AlertInputs, config: JudgmentConfig) => boolean> = {
  // Critical against the hour of day; for a sensor judged on a channel profile (it reports extra
  // channels), its channel score beyond the channel critical z instead, since that score already
  // covers temperature alongside every other measurement.
  ANOMALY: (row, config) =>
    row.channel_score != null
      ? row.channel_score > config.channelCriticalZ
      : row.anomaly_classification === ANOMALY_CLASSIFICATION.CRITICAL_ANOMALY,
  FAILURE_RISK: (row, config) => row.predictive_failure_risk >= config.failureRiskAlertAt,
};
const KINDS = Object.keys(TRIGGERS) as AlertKind[];

/** Alert ids derive from where the opening record sits in the stream, so a replay rewrites, never duplicates. */
export function alertId(kind: AlertKind, row: EnrichedReading): string {
  return `${kind}:${row.kafka_topic}:${row.kafka_partition}:${row.kafka_offset}`;
}

/** Whether `row` triggers an alert of `kind` under the configured rule (before hysteresis). */
export function alertTriggered(kind: AlertKind, row: AlertInputs, config: JudgmentConfig): boolean {
  return TRIGGERS[kind](row, config);
}

/**
 * One step of an alert kind's hysteresis for one reading: the state after it and whether it
 * opened or closed an alert. Returns the given state object itself when nothing changes.
 */
export function stepAlertHysteresis(
  state: AlertHysteresis | undefined,
  triggered: boolean,
  closeAfter: number,
): { next: AlertHysteresis | undefined; change: 'opened' | 'closed' | null } {
  if (!state || state.openAlertId === null) {
    return triggered ? { next: { openAlertId: '', quietStreak: 0 }, change: 'opened' } : { next: state, change: null };
  }
  if (triggered) return { next: state.quietStreak === 0 ? state : { openAlertId: state.openAlertId, quietStreak: 0 }, change: null };
  if (state.quietStreak + 1 >= closeAfter) return { next: { openAlertId: null, quietStreak: 0 }, change: 'closed' };
  return { next: { openAlertId: state.openAlertId, quietStreak: state.quietStreak + 1 }, change: null };
}

/**
 * Where a reading leaves the sensor's alerts, without changing the window: whether any alert is
 * open after it (the product's alert decision for this reading) and whether it opened one.
 * updateAlerts takes the same steps, so this agrees with the alerts actually raised.
 */
export function alertStateAfter(row: AlertInputs, window: Pick<SensorWindow, 'alerts'>, config: JudgmentConfig): { open: boolean; opened: boolean } {
  let open = false;
  let opened = false;
  for (const kind of KINDS) {
    const { next, change } = stepAlertHysteresis(window.alerts[kind], alertTriggered(kind, row, config), config.alertCloseAfter);
    if (next && next.openAlertId !== null) open = true;
    if (change === 'opened') opened = true;
  }
  return { open, opened };
}

/**
 * Replays the alert decisions of one sensor's judged readings, in stream order, from empty alert
 * state under `config`: whether an alert is open after each. With the config they were judged
 * under, this is their `alert_open` column; with another, what it would have been (the rule and
 * the hysteresis are all that depend on the thresholds replayed here).
 */
export function replayAlertDecisions(rows: readonly AlertInputs[], config: JudgmentConfig): boolean[] {
  const state: Pick<SensorWindow, 'alerts'> = { alerts: {} };
  return rows.map((row) => {
    let open = false;
    for (const kind of KINDS) {
      const { next } = stepAlertHysteresis(state.alerts[kind], alertTriggered(kind, row, config), config.alertCloseAfter);
      if (next) state.alerts[kind] = next;
      if (next && next.openAlertId !== null) open = true;
    }
    return open;
  });
}

/**
 * Steps each alert kind's hysteresis for one judged reading, updating `window.alerts`, and
 * returns the changes: an alert opens (with its context: the reading, expected range, scores and
 * the recent window) when a kind triggers while closed, and closes after `alertCloseAfter`
 * consecutive readings that do not trigger it.
 */
export function updateAlerts(row: EnrichedReading, window: SensorWindow, config: JudgmentConfig): AlertChange[] {
  const changes: AlertChange[] = [];
  stepAlerts(row, window, config, changes, () => row);
  return changes;
}

/** What stepping alerts reads of a judged reading: its triggers, its sensor and its event time. */
export interface AlertSubject extends AlertInputs {
  readonly sensor_id: string;
  readonly ts: number;
}

/**
 * updateAlerts for a reading that need not be an object: the triggers come from `subject`, and
 * `rowOf()` gives the whole row only when an alert opens (rarely), so judging a batch held as
 * columns builds no row per reading. Appends changes to `changes`; returns whether one opened.
 */
export function stepAlerts(subject: AlertSubject, window: SensorWindow, config: JudgmentConfig, changes: AlertChange[], rowOf: () => EnrichedReading): boolean {
  let opened = false;
  for (let k = 0; k < KINDS.length; k++) {
    const kind = KINDS[k];
    const state = window.alerts[kind];
    const triggered = alertTriggered(kind, subject, config);
    // Closed and not triggered, by far the common case, leaves everything as it is.
    if (!triggered && (state === undefined || state.openAlertId === null)) continue;
    const { next, change } = stepAlertHysteresis(state, triggered, config.alertCloseAfter);
    if (change === 'opened') {
      const alert = openAlert(kind, rowOf(), window, config);
      window.alerts[kind] = { openAlertId: alert.alert_id, quietStreak: 0 };
      changes.push({ type: 'opened', alert });
      opened = true;
    } else if (change === 'closed') {
      window.alerts[kind] = next as AlertHysteresis;
      changes.push({ type: 'closed', sensorId: subject.sensor_id, alertId: (state as AlertHysteresis).openAlertId as string, closedAt: subject.ts });
    } else if (next !== state && next) {
      window.alerts[kind] = next;
    }
  }
  return opened;
}

/** Whether any alert kind is open for the sensor whose window this is. */
export function anyAlertOpen(window: Pick<SensorWindow, 'alerts'>): boolean {
  for (let k = 0; k < KINDS.length; k++) {
    const state = window.alerts[KINDS[k]];
    if (state !== undefined && state.openAlertId !== null) return true;
  }
  return false;
}

function openAlert(kind: AlertKind, row: EnrichedReading, window: SensorWindow, config: JudgmentConfig): Alert {
  const mean = row.avg_temp_historical;
  const sd = row.stddev_temp_historical;
  return {
    sensor_id: row.sensor_id,
    alert_id: alertId(kind, row),
    kind,
    status: ALERT_STATUS.OPEN,
    opened_at: row.ts,
    closed_at: null,
    reading: {
      ts: row.ts,
      temperature: row.temperature,
      pressure: row.pressure,
      vibration: row.vibration,
      status: row.status,
      kafka_topic: row.kafka_topic,
      kafka_partition: row.kafka_partition,
      kafka_offset: row.kafka_offset,
    },
    expected_range: mean !== null && sd !== null ? { low: mean - config.criticalZ * sd, high: mean + config.criticalZ * sd } : null,
    anomaly_classification: row.anomaly_classification,
    temperature_z_score: row.temperature_z_score,
    z_score: row.z_score,
    seasonal_z_score: row.seasonal_z_score,
    mahalanobis_distance: row.mahalanobis_distance,
    anomaly_score: row.anomaly_score,
    predictive_failure_risk: row.predictive_failure_risk,
    days_since_failure: row.days_since_failure,
    recent: { ts: window.ts.slice(), temperature: window.temperature.slice() },
    ...(row.channel_score != null ? { channel_score: row.channel_score, channel_score_channel: row.channel_score_channel ?? null } : {}),
  };
}
