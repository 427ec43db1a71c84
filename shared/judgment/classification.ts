/** How a reading's temperature compares with the same hour of day in its history. */
export const ANOMALY_CLASSIFICATION = {
  NORMAL: 'NORMAL',
  WARNING: 'WARNING',
  CRITICAL_ANOMALY: 'CRITICAL_ANOMALY',
  /** Too few samples, or zero spread, to judge: never silently NORMAL. */
  INSUFFICIENT_HISTORY: 'INSUFFICIENT_HISTORY',
} as const;

export type AnomalyClassification = (typeof ANOMALY_CLASSIFICATION)[keyof typeof ANOMALY_CLASSIFICATION];

export const ANOMALY_CLASSIFICATIONS = Object.values(ANOMALY_CLASSIFICATION);

/** Thresholds and guards of the judgment. */
export interface JudgmentConfig {
  /** |z| above this is WARNING. @default 2 */
  readonly warningZ: number;
  /** |z| above this is CRITICAL_ANOMALY. @default 3 */
  readonly criticalZ: number;
  /** Fewer historical samples than this for the hour of day → INSUFFICIENT_HISTORY. @default 30 */
  readonly minHistory: number;
  /**
   * A sensor that reports extra channels opens an ANOMALY alert when its channel score (the
   * z-score of a 10-reading mean or change, see channelScore) is above this. Higher than
   * criticalZ because it is the largest of one z per measurement, tested on every reading, of
   * sensor noise that is rarely Gaussian. @default 5
   */
  readonly channelCriticalZ: number;
  /** An alert closes after this many consecutive readings that do not trigger it. @default 5 */
  readonly alertCloseAfter: number;
  /** predictive_failure_risk at or above this opens a FAILURE_RISK alert. @default 0.9 */
  readonly failureRiskAlertAt: number;
}

export const DEFAULT_JUDGMENT_CONFIG: JudgmentConfig = Object.freeze({
  warningZ: 2,
  criticalZ: 3,
  minHistory: 30,
  channelCriticalZ: 5,
  alertCloseAfter: 5,
  failureRiskAlertAt: 0.9,
});

/** Classifies an absolute z-score; a null (or NaN) z means there was nothing to compare with. */
export function classify(absZ: number | null, config: JudgmentConfig): AnomalyClassification {
  if (absZ === null || absZ !== absZ) return ANOMALY_CLASSIFICATION.INSUFFICIENT_HISTORY;
  if (absZ > config.criticalZ) return ANOMALY_CLASSIFICATION.CRITICAL_ANOMALY;
  if (absZ > config.warningZ) return ANOMALY_CLASSIFICATION.WARNING;
  return ANOMALY_CLASSIFICATION.NORMAL;
}
