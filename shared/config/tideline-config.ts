import { DEFAULT_JUDGMENT_CONFIG, type JudgmentConfig } from '../judgment/index.js';
import { TABLES, type TableName, type TableNames } from '../adapters/index.js';
import { numberVar, optionalStringVar, stringVar, type Env } from './env.js';

const DAY_MS = 86_400_000;

/** Settings every function shares; each function's loadConfig builds on these. */
export interface TidelineConfig {
  readonly tables: TableNames;
  /** S3 bucket of the lake (AWS), or undefined to use `lakeDir`. */
  readonly lakeBucket: string | undefined;
  /** Directory of the lake on one machine. */
  readonly lakeDir: string;
  readonly topics: { readonly readings: string; readonly deviceStatus: string };
  readonly judgment: JudgmentConfig;
  readonly retention: { readonly minuteSummariesMs: number; readonly alertsMs: number; readonly deadLettersMs: number };
  /** DynamoDB endpoint override (DynamoDB Local); undefined on AWS. */
  readonly dynamodbEndpoint: string | undefined;
}

/** Environment variable of each table's name, e.g. TABLE_MINUTE_SUMMARIES. */
export function tableEnvVar(table: TableName): string {
  return `TABLE_${table.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/**
 * Reads the shared configuration from the environment (documented in the README).
 * Table names default to the specs' names; the CDK stack sets each variable.
 */
export function loadTidelineConfig(env: Env): TidelineConfig {
  const tables = {} as TableNames;
  for (const [key, spec] of Object.entries(TABLES) as [TableName, (typeof TABLES)[TableName]][]) {
    tables[key] = stringVar(env, tableEnvVar(key), spec.defaultName);
  }
  const warningZ = numberVar(env, 'TIDELINE_WARNING_Z', DEFAULT_JUDGMENT_CONFIG.warningZ, { min: 0 });
  const criticalZ = numberVar(env, 'TIDELINE_CRITICAL_Z', DEFAULT_JUDGMENT_CONFIG.criticalZ, { min: warningZ });
  return {
    tables,
    lakeBucket: optionalStringVar(env, 'LAKE_BUCKET'),
    lakeDir: stringVar(env, 'LAKE_DIR', '.tideline/lake'),
    topics: {
      readings: stringVar(env, 'TOPIC_READINGS', 'sensor_readings'),
      deviceStatus: stringVar(env, 'TOPIC_DEVICE_STATUS', 'device_status'),
    },
    judgment: {
      warningZ,
      criticalZ,
      minHistory: numberVar(env, 'TIDELINE_MIN_HISTORY', DEFAULT_JUDGMENT_CONFIG.minHistory, { min: 2 }),
      channelCriticalZ: numberVar(env, 'TIDELINE_CHANNEL_CRITICAL_Z', DEFAULT_JUDGMENT_CONFIG.channelCriticalZ, { min: 0 }),
      alertCloseAfter: numberVar(env, 'TIDELINE_ALERT_CLOSE_AFTER', DEFAULT_JUDGMENT_CONFIG.alertCloseAfter, { min: 1 }),
      failureRiskAlertAt: numberVar(env, 'TIDELINE_FAILURE_RISK_ALERT_AT', DEFAULT_JUDGMENT_CONFIG.failureRiskAlertAt, { min: 0, max: 1 }),
    },
    retention: {
      minuteSummariesMs: numberVar(env, 'TIDELINE_MINUTE_SUMMARY_RETENTION_DAYS', 7, { min: 1 }) * DAY_MS,
      alertsMs: numberVar(env, 'TIDELINE_ALERT_RETENTION_DAYS', 90, { min: 1 }) * DAY_MS,
      deadLettersMs: numberVar(env, 'TIDELINE_DEAD_LETTER_RETENTION_DAYS', 30, { min: 1 }) * DAY_MS,
    },
    dynamodbEndpoint: optionalStringVar(env, 'DYNAMODB_ENDPOINT'),
  };
}
