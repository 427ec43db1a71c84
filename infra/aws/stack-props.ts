import type { StackProps } from 'aws-cdk-lib';

export const KAFKA_AUTH = { iam: 'iam', scram: 'scram' } as const;
export type KafkaAuth = (typeof KAFKA_AUTH)[keyof typeof KAFKA_AUTH];

export const API_AUTH = { iam: 'iam', jwt: 'jwt' } as const;
export type ApiAuth = (typeof API_AUTH)[keyof typeof API_AUTH];

export const STARTING_POSITION = { TRIM_HORIZON: 'TRIM_HORIZON', LATEST: 'LATEST' } as const;
export type StartingPositionName = (typeof STARTING_POSITION)[keyof typeof STARTING_POSITION];

/** Storage classes the lake may move to after the raw-reflection horizon; all are readable by Athena without a restore. */
export const LAKE_COLD_STORAGE = { INTELLIGENT_TIERING: 'INTELLIGENT_TIERING', GLACIER_INSTANT_RETRIEVAL: 'GLACIER_INSTANT_RETRIEVAL' } as const;
export type LakeColdStorage = (typeof LAKE_COLD_STORAGE)[keyof typeof LAKE_COLD_STORAGE];

/**
 * Everything a deployment can choose. Each prop is also a CDK context parameter of the same
 * name (`npx cdk deploy -c mskClusterArn=…`), documented in the README and set in cdk.json.
 */
export interface TidelineSettings {
  /**
   * ARN of the existing MSK cluster the executor reads.
   * @default a placeholder ARN (account 111111111111) that synthesizes but cannot deploy
   */
  readonly mskClusterArn?: string;
  /** @default 'sensor_readings' */
  readonly topicReadings?: string;
  /** @default 'device_status' */
  readonly topicDeviceStatus?: string;
  /**
   * How the event source mapping authenticates to the cluster: IAM (SASL/IAM) or SASL/SCRAM-512.
   * @default 'iam'
   */
  readonly kafkaAuth?: KafkaAuth;
  /**
   * Secrets Manager ARN of the SCRAM credentials (name starting `AmazonMSK_`); required when kafkaAuth is 'scram'.
   * @default '' (none)
   */
  readonly kafkaScramSecretArn?: string;
  /**
   * ARN of the customer-managed KMS key that encrypts the SCRAM secret (MSK requires one).
   * @default '' (none: the secret's key policy must already allow the executor's role)
   */
  readonly kafkaScramKeyArn?: string;
  /**
   * Consumer group id prefix; each topic's mapping joins `<prefix>-<topic>` (ids must be unique per mapping).
   * @default 'tideline-executor'
   */
  readonly kafkaConsumerGroupPrefix?: string;
  /** Records per executor invocation (1–10,000). @default 10000 */
  readonly kafkaBatchSize?: number;
  /** Seconds the poller waits to fill a batch (0–300). @default 1 */
  readonly kafkaBatchingWindowSeconds?: number;
  /** Where a new consumer group starts. @default 'TRIM_HORIZON' */
  readonly kafkaStartingPosition?: StartingPositionName;
  /** Retries of a failing batch before it goes to the failed-batch bucket (0–10,000). @default 5 */
  readonly kafkaRetryAttempts?: number;
  /** Split a failing batch in two and retry each half, isolating a poison record. @default true */
  readonly kafkaBisectOnError?: boolean;
  /** Provisioned pollers per mapping, minimum (retries and bisect need provisioned mode). @default 1 */
  readonly kafkaMinPollers?: number;
  /** Provisioned pollers per mapping, maximum. @default 3 */
  readonly kafkaMaxPollers?: number;
  /**
   * VPC to run the executor in (with subnetIds and securityGroupIds), for clients it opens itself to
   * private endpoints; the MSK mapping reaches the cluster through the cluster's own network either way.
   * @default '' (outside any VPC)
   */
  readonly vpcId?: string;
  /** @default [] */
  readonly subnetIds?: readonly string[];
  /** @default [] */
  readonly securityGroupIds?: readonly string[];
  /** @default 1024 */
  readonly executorMemoryMb?: number;
  /** @default 300 */
  readonly executorTimeoutSeconds?: number;
  /** Minutes between reflection refreshes. @default 5 */
  readonly refreshRateMinutes?: number;
  /** Minutes between lake compactions. @default 60 */
  readonly compactionRateMinutes?: number;
  /** Days CloudWatch keeps function and API access logs. @default 30 */
  readonly logRetentionDays?: number;
  /** How callers of the API authenticate: IAM (SigV4) or a JWT authorizer. @default 'iam' */
  readonly apiAuth?: ApiAuth;
  /** Issuer URL of the JWT authorizer; required when apiAuth is 'jwt'. @default '' */
  readonly jwtIssuer?: string;
  /** Accepted audiences of the JWT authorizer; at least one when apiAuth is 'jwt'. @default [] */
  readonly jwtAudience?: readonly string[];
  /** Steady-state requests per second the API accepts. @default 50 */
  readonly apiThrottleRatePerSecond?: number;
  /** Burst of requests the API accepts. @default 100 */
  readonly apiThrottleBurst?: number;
  /** Days before lake objects move to cheaper storage: the raw-reflection horizon. @default 7 */
  readonly lakeTransitionDays?: number;
  /** @default 'INTELLIGENT_TIERING' */
  readonly lakeColdStorageClass?: LakeColdStorage;
  /** Bytes one Athena query may scan, in GB (Athena's minimum is 10 MB). @default 10 */
  readonly athenaMaxScanGb?: number;
  /** Days Athena query results are kept. @default 7 */
  readonly athenaResultsExpireDays?: number;
  /** Days batches that kept failing are kept in the failed-batch bucket. @default 90 */
  readonly failedBatchesExpireDays?: number;
  /** E-mail address subscribed to the alarm topic. @default '' (no subscription) */
  readonly alarmEmail?: string;
  /** Critical readings per minute that raise the anomaly-rate alarm. @default 100 */
  readonly alarmCriticalReadingsPerMinute?: number;
  /** Function errors per 5 minutes that raise an errors alarm (per function). @default 1 */
  readonly alarmFunctionErrors?: number;
  /** Dead letters per 5 minutes that raise the dead-letter alarm. @default 1 */
  readonly alarmDeadLetters?: number;
  /** Records the executor may trail the topics by (OffsetLag) before the freshness alarm. @default 50000 */
  readonly alarmOffsetLag?: number;
  /** API latency p95 in milliseconds that raises the latency alarm. @default 2000 */
  readonly alarmApiLatencyP95Ms?: number;
  /** Age in seconds of the reflection version in force that raises the staleness alarm. @default 1800 */
  readonly alarmReflectionAgeSeconds?: number;
}

export type ResolvedSettings = { readonly [K in keyof TidelineSettings]-?: NonNullable<TidelineSettings[K]> };

/** The one place defaults live: stack props, context parameters, cdk.json and the README all follow it. */
export const DEFAULT_SETTINGS: ResolvedSettings = {
  mskClusterArn: 'arn:aws:kafka:us-east-1:111111111111:cluster/tideline/00000000-0000-0000-0000-000000000000-1',
  topicReadings: 'sensor_readings',
  topicDeviceStatus: 'device_status',
  kafkaAuth: 'iam',
  kafkaScramSecretArn: '',
  kafkaScramKeyArn: '',
  kafkaConsumerGroupPrefix: 'tideline-executor',
  kafkaBatchSize: 10_000,
  kafkaBatchingWindowSeconds: 1,
  kafkaStartingPosition: 'TRIM_HORIZON',
  kafkaRetryAttempts: 5,
  kafkaBisectOnError: true,
  kafkaMinPollers: 1,
  kafkaMaxPollers: 3,
  vpcId: '',
  subnetIds: [],
  securityGroupIds: [],
  executorMemoryMb: 1024,
  executorTimeoutSeconds: 300,
  refreshRateMinutes: 5,
  compactionRateMinutes: 60,
  logRetentionDays: 30,
  apiAuth: 'iam',
  jwtIssuer: '',
  jwtAudience: [],
  apiThrottleRatePerSecond: 50,
  apiThrottleBurst: 100,
  lakeTransitionDays: 7,
  lakeColdStorageClass: 'INTELLIGENT_TIERING',
  athenaMaxScanGb: 10,
  athenaResultsExpireDays: 7,
  failedBatchesExpireDays: 90,
  alarmEmail: '',
  alarmCriticalReadingsPerMinute: 100,
  alarmFunctionErrors: 1,
  alarmDeadLetters: 1,
  alarmOffsetLag: 50_000,
  alarmApiLatencyP95Ms: 2000,
  alarmReflectionAgeSeconds: 1800,
};

export interface TidelineStackProps extends StackProps, TidelineSettings {}
