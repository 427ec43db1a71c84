import type { EnrichedColumn } from '../judgment/index.js';
import { QueryNotFoundError, QuerySpecError } from './errors.js';

/** A named view: a fixed query shape that query-string parameters narrow. */
export interface ViewDefinition {
  readonly summary: string;
  /** The spec fields the view fixes. */
  readonly spec: Readonly<Record<string, unknown>>;
}

const READING: EnrichedColumn[] = ['sensor_id', 'ts', 'temperature', 'pressure', 'vibration', 'status'];

/**
 * The use case's views, as query specs over the judged readings (each reading already carries
 * its historical context, so no join runs at query time).
 */
export const VIEWS = {
  sensor_analytics_unified: {
    summary: 'each reading beside the same hour of day over the previous 30 days: z-score and classification',
    spec: {
      select: 'rows',
      columns: [...READING, 'avg_temp_historical', 'stddev_temp_historical', 'max_pressure_historical', 'reading_count', 'temperature_z_score', 'anomaly_classification', 'temp_deviation'],
    },
  },
  ml_features_realtime: {
    summary: 'each reading with windowed features, its 90-day profile and the derived ML features',
    spec: {
      select: 'rows',
      columns: [
        ...READING,
        'temp_ma_5min', 'vibration_stddev_10min', 'temp_rate_of_change',
        'historical_temp_mean', 'historical_temp_stddev', 'historical_pressure_p95', 'day_temp_avg', 'night_temp_avg', 'historical_failure_count',
        'temp_z_score', 'temp_seasonal_deviation', 'days_since_failure', 'mahalanobis_distance', 'anomaly_score', 'predictive_failure_risk',
      ],
    },
  },
  realtime_sensor_summary: {
    summary: 'per sensor, minute and classification: reading count, mean temperature, max z-score (count is the critical count in CRITICAL_ANOMALY rows)',
    spec: {
      select: 'aggregates',
      group_by: ['sensor', 'minute', 'classification'],
      metrics: ['temperature', 'temperature_z_score'],
      aggregates: ['count', 'mean', 'max'],
    },
  },
} as const satisfies Record<string, ViewDefinition>;

export type ViewName = keyof typeof VIEWS;
export const VIEW_NAMES = Object.keys(VIEWS) as ViewName[];

/** Query-string parameters every view accepts; lists are comma-separated. */
export const VIEW_PARAMETERS = ['sensor', 'sensor_prefix', 'from', 'to', 'classification', 'status', 'limit', 'fan_out'] as const;

/**
 * The spec body of a view narrowed by query-string parameters, ready for parseQuerySpec
 * (which validates every value). Unknown views and parameters are refused by name.
 */
export function viewSpecBody(name: string, params: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  if (!(VIEW_NAMES as string[]).includes(name)) throw new QueryNotFoundError(`no view "${name.slice(0, 64)}"; views are ${VIEW_NAMES.join(', ')}`);
  const body: Record<string, unknown> = { ...VIEWS[name as ViewName].spec };
  const where: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    switch (k) {
      case 'sensor': body.sensors = v.split(','); break;
      case 'sensor_prefix': body.sensor_prefix = v; break;
      case 'from':
      case 'to': body[k] = /^\d+$/.test(v) ? Number(v) : v; break;
      case 'classification':
      case 'status': where[k] = v.split(','); break;
      case 'limit':
      case 'fan_out': body[k] = /^\d{1,15}$/.test(v) ? Number(v) : v; break;
      default: throw new QuerySpecError(k.slice(0, 64), `is not a parameter of view ${name}; use ${VIEW_PARAMETERS.join(', ')}`);
    }
  }
  if (Object.keys(where).length > 0) body.where = where;
  return body;
}
