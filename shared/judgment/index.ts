export {
  ANOMALY_CLASSIFICATION,
  ANOMALY_CLASSIFICATIONS,
  DEFAULT_JUDGMENT_CONFIG,
  classify,
} from './classification.js';
export type { AnomalyClassification, JudgmentConfig } from './classification.js';
export { ENRICHED_COLUMNS } from './enriched.js';
export type { EnrichedReading, EnrichedColumn } from './enriched.js';
export { WINDOW_ROWS, emptyWindow, cloneWindow, pushToWindow, pushChannelsToWindow } from './window.js';
export type { SensorWindow, AlertHysteresis } from './window.js';
export { SensorContext, judgeReading, judgeReadingAndAlert, judgeBatch, compositeAnomalyScore, predictiveFailureRisk } from './judge.js';
export { ALERT_KIND, ALERT_STATUS, alertId, updateAlerts, stepAlerts, anyAlertOpen, alertTriggered, alertStateAfter, stepAlertHysteresis, replayAlertDecisions } from './alerts.js';
export type { Alert, AlertKind, AlertStatus, AlertChange, AlertInputs, AlertSubject } from './alerts.js';
export { minuteOf, minuteSummaryKey, addToMinuteSummary, summaryMeanTemperature } from './minute-summary.js';
export type { MinuteSummary } from './minute-summary.js';
export { profileTablesSql, fixedViewsSql } from './fixed-views-sql.js';
export { JudgedReadings, NullableDoubleColumns, NULLABLE_DOUBLE_COLUMNS } from './judged-readings.js';
export type { NullableDoubleColumn, ChannelColumns } from './judged-readings.js';
