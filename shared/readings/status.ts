/** The statuses a sensor may report. A closed set: anything else is a dead letter. */
export const SENSOR_STATUS = {
  OK: 'OK',
  DEGRADED: 'DEGRADED',
  FAILED: 'FAILED',
  MAINTENANCE: 'MAINTENANCE',
  OFFLINE: 'OFFLINE',
} as const;

export type SensorStatus = (typeof SENSOR_STATUS)[keyof typeof SENSOR_STATUS];

const statuses = new Set<string>(Object.values(SENSOR_STATUS));

export function isSensorStatus(value: unknown): value is SensorStatus {
  return typeof value === 'string' && statuses.has(value);
}

export const SENSOR_STATUS_LIST = Object.values(SENSOR_STATUS).join(', ');
