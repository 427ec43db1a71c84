import { REFLECTION_WINDOWS } from '../reflections/index.js';
import type { JudgmentConfig } from './classification.js';

/**
 * The use case's two views (sensor_analytics_unified, ml_features_realtime) and its Python
 * detector's columns, with DESIGN.md's fixes, written as DuckDB SQL. It is the independent
 * definition the executor's enrichment is checked against in tests, and what the executor is
 * benchmarked beside. Two steps: profile tables from raw `history`, then the views over `live`
 * joined with those profile tables (which a caller may also fill from reflections).
 *
 * Tables: history/live(sensor_id VARCHAR, ts TIMESTAMP, temperature, pressure, vibration DOUBLE,
 * status VARCHAR; live also kafka_offset BIGINT).
 */
export function profileTablesSql(asOf: number, windows = REFLECTION_WINDOWS): string {
  const at = (daysBack: number) => `make_timestamp(${(asOf - daysBack * 86_400_000) * 1000})`;
  const end = `make_timestamp(${asOf * 1000})`;
  return `
CREATE OR REPLACE TEMP TABLE hour_profile AS
SELECT sensor_id, hour(ts) AS h, count(temperature) AS n, avg(temperature) AS mean,
       stddev_samp(temperature) AS sd, max(pressure) AS max_p
FROM history WHERE ts >= ${at(windows.hourOfDayDays)} AND ts < ${end}
GROUP BY sensor_id, hour(ts);

CREATE OR REPLACE TEMP TABLE week_profile AS
SELECT sensor_id, (isodow(ts) - 1) * 24 + hour(ts) AS how, count(temperature) AS n,
       avg(temperature) AS mean, stddev_samp(temperature) AS sd
FROM history WHERE ts >= ${at(windows.hourOfWeekDays)} AND ts < ${end} AND temperature IS NOT NULL
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE sensor_profile AS
SELECT sensor_id,
       count(temperature) AS n_t, avg(temperature) AS mean_t, stddev_samp(temperature) AS sd_t,
       count(vibration) AS n_v, stddev_samp(vibration) AS sd_v,
       quantile_disc(pressure, 0.95) AS p95,
       avg(temperature) FILTER (WHERE hour(ts) BETWEEN 6 AND 18) AS day_avg,
       avg(temperature) FILTER (WHERE hour(ts) >= 19 OR hour(ts) < 6) AS night_avg,
       count(*) FILTER (WHERE status = 'FAILED') AS failures,
       epoch_ms(max(ts) FILTER (WHERE status = 'FAILED')) AS last_failure
FROM history WHERE ts >= ${at(windows.profileDays)} AND ts < ${end}
GROUP BY sensor_id;

CREATE OR REPLACE TEMP TABLE sensor_vector AS
SELECT sensor_id, count(*) AS n, avg(temperature) AS m0, avg(pressure) AS m1, avg(vibration) AS m2,
       covar_samp(temperature, temperature) AS c00, covar_samp(temperature, pressure) AS c01,
       covar_samp(temperature, vibration) AS c02, covar_samp(pressure, pressure) AS c11,
       covar_samp(pressure, vibration) AS c12, covar_samp(vibration, vibration) AS c22
FROM history
WHERE ts >= ${at(windows.profileDays)} AND ts < ${end}
  AND temperature IS NOT NULL AND pressure IS NOT NULL AND vibration IS NOT NULL
GROUP BY sensor_id;
`;
}

/**
 * The enriched columns for every `live` reading (in-order per sensor, windows starting empty),
 * keyed by kafka_offset. Mahalanobis uses the inverse of the covariance sub-matrix of the metrics
 * present (adjugate formulas), which equals the pseudo-inverse when the matrix is non-singular.
 */
export function fixedViewsSql(config: Pick<JudgmentConfig, 'warningZ' | 'criticalZ' | 'minHistory'>): string {
  const min = config.minHistory;
  const hasT = 'temperature IS NOT NULL', hasP = 'pressure IS NOT NULL', hasV = 'vibration IS NOT NULL';
  const x = '(temperature - m0)', y = '(pressure - m1)', z = '(vibration - m2)';
  const pair = (a: string, b: string, caa: string, cab: string, cbb: string) =>
    `sqrt(greatest(0, (${cbb} * ${a} * ${a} - 2 * ${cab} * ${a} * ${b} + ${caa} * ${b} * ${b}) / (${caa} * ${cbb} - ${cab} * ${cab})))`;
  const full = `sqrt(greatest(0, (
      (c11 * c22 - c12 * c12) * ${x} * ${x} + (c00 * c22 - c02 * c02) * ${y} * ${y} + (c00 * c11 - c01 * c01) * ${z} * ${z}
      + 2 * (c02 * c12 - c01 * c22) * ${x} * ${y} + 2 * (c01 * c12 - c02 * c11) * ${x} * ${z} + 2 * (c01 * c02 - c00 * c12) * ${y} * ${z}
    ) / (c00 * (c11 * c22 - c12 * c12) + c01 * (c02 * c12 - c01 * c22) + c02 * (c01 * c12 - c02 * c11))))`;
  return `
WITH w AS (
  SELECT l.*, hour(ts) AS h, (isodow(ts) - 1) * 24 + hour(ts) AS how,
         avg(temperature) OVER (PARTITION BY sensor_id ORDER BY ts ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) AS temp_ma_5min,
         stddev_samp(vibration) OVER (PARTITION BY sensor_id ORDER BY ts ROWS BETWEEN 20 PRECEDING AND CURRENT ROW) AS vibration_stddev_10min,
         (temperature - lag(temperature, 5) OVER (PARTITION BY sensor_id ORDER BY ts))
           / nullif((epoch_ms(ts) - lag(epoch_ms(ts), 5) OVER (PARTITION BY sensor_id ORDER BY ts)) / 60000.0, 0) AS temp_rate_of_change
  FROM live l
),
j AS (
  SELECT w.*,
         hp.n AS hn, hp.mean AS hmean, hp.sd AS hsd, hp.max_p,
         CASE WHEN wp.n >= ${min} THEN wp.mean END AS wmean,
         CASE WHEN wp.n >= ${min} THEN wp.sd END AS wsd,
         CASE WHEN sp.n_t >= ${min} THEN sp.mean_t END AS pmean,
         CASE WHEN sp.n_t >= ${min} THEN sp.sd_t END AS psd,
         CASE WHEN sp.n_v >= ${min} THEN sp.sd_v END AS pvsd,
         sp.sensor_id IS NOT NULL AS has_profile, sp.p95, sp.day_avg, sp.night_avg,
         coalesce(sp.failures, 0) AS failures, sp.last_failure,
         CASE WHEN sv.n >= ${min} THEN sv.n END AS vn, sv.m0, sv.m1, sv.m2, sv.c00, sv.c01, sv.c02, sv.c11, sv.c12, sv.c22
  FROM w
  LEFT JOIN hour_profile hp ON hp.sensor_id = w.sensor_id AND hp.h = w.h
  LEFT JOIN week_profile wp ON wp.sensor_id = w.sensor_id AND wp.how = w.how
  LEFT JOIN sensor_profile sp ON sp.sensor_id = w.sensor_id
  LEFT JOIN sensor_vector sv ON sv.sensor_id = w.sensor_id
),
s AS (
  SELECT j.*,
         CASE WHEN temperature IS NOT NULL AND hn >= ${min} AND hsd > 0 THEN abs(temperature - hmean) / hsd END AS temperature_z_score,
         (temperature - pmean) / nullif(psd, 0) AS z_score,
         (temperature - wmean) / nullif(wsd, 0) AS seasonal_z_score,
         CASE WHEN has_profile AND vn IS NOT NULL THEN
           CASE
             WHEN ${hasT} AND ${hasP} AND ${hasV} THEN ${full}
             WHEN ${hasT} AND ${hasP} THEN ${pair(x, y, 'c00', 'c01', 'c11')}
             WHEN ${hasT} AND ${hasV} THEN ${pair(x, z, 'c00', 'c02', 'c22')}
             WHEN ${hasP} AND ${hasV} THEN ${pair(y, z, 'c11', 'c12', 'c22')}
             WHEN ${hasT} THEN abs(${x}) / sqrt(c00)
             WHEN ${hasP} THEN abs(${y}) / sqrt(c11)
             WHEN ${hasV} THEN abs(${z}) / sqrt(c22)
           END
         END AS mahalanobis_distance
  FROM j
)
SELECT kafka_offset,
       hmean AS avg_temp_historical,
       hsd AS stddev_temp_historical,
       max_p AS max_pressure_historical,
       coalesce(hn, 0) AS reading_count,
       temperature_z_score,
       CASE WHEN temperature_z_score IS NULL THEN 'INSUFFICIENT_HISTORY'
            WHEN temperature_z_score > ${config.criticalZ} THEN 'CRITICAL_ANOMALY'
            WHEN temperature_z_score > ${config.warningZ} THEN 'WARNING'
            ELSE 'NORMAL' END AS anomaly_classification,
       temperature - hmean AS temp_deviation,
       wmean AS seasonal_temp_mean,
       seasonal_z_score,
       temp_ma_5min,
       vibration_stddev_10min,
       temp_rate_of_change,
       pmean AS historical_temp_mean,
       psd AS historical_temp_stddev,
       pvsd AS historical_vibration_stddev,
       p95 AS historical_pressure_p95,
       day_avg AS day_temp_avg,
       night_avg AS night_temp_avg,
       failures AS historical_failure_count,
       last_failure AS last_failure_ts,
       z_score,
       (temp_ma_5min - pmean) / nullif(psd, 0) AS temp_z_score,
       (temperature - CASE WHEN h >= 19 OR h < 6 THEN night_avg ELSE day_avg END)
         / nullif(CASE WHEN h >= 19 OR h < 6 THEN night_avg ELSE day_avg END, 0) AS temp_seasonal_deviation,
       (epoch_ms(ts) - last_failure) / 86400000.0 AS days_since_failure,
       mahalanobis_distance,
       CASE WHEN z_score IS NULL AND seasonal_z_score IS NULL AND mahalanobis_distance IS NULL THEN NULL
            ELSE 1 / (1 + exp(-5 * (0.3 * abs(coalesce(z_score, 0)) / 5 + 0.25 * abs(coalesce(seasonal_z_score, 0)) / 3
                                   + 0.25 * abs(coalesce(temp_rate_of_change, 0)) / 10 + 0.2 * coalesce(mahalanobis_distance, 0) / 10 - 0.5)))
       END AS anomaly_score,
       CASE WHEN failures > 5 AND temp_rate_of_change > 10 THEN 0.9
            WHEN vibration_stddev_10min > pvsd * 2 THEN 0.7
            WHEN abs(temp_ma_5min - pmean) > 2 * psd THEN 0.6
            ELSE 0.1 END::DOUBLE AS predictive_failure_risk
FROM s
ORDER BY kafka_offset`;
}
