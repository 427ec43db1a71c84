import { CfnOutput, Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { CHANGES_PREFIX, LAKE_PREFIX } from '../../shared/lake/index.js';
import { PARTIALS_PREFIX } from '../../shared/refresh/index.js';
import { Lake } from './constructs/lake.js';
import { Monitoring } from './constructs/monitoring.js';
import { MskIngestion } from './constructs/msk-ingestion.js';
import { QueryApi } from './constructs/query-api.js';
import { accessLogBucket, secureBucket } from './constructs/secure-bucket.js';
import { TidelineTables } from './constructs/tables.js';
import { PARQUET_WASM, TidelineFunction, type FunctionVpcPlacement } from './constructs/tideline-function.js';
import { resolveSettings } from './settings.js';
import type { ResolvedSettings, TidelineStackProps } from './stack-props.js';

/** The handler of each deployed function, relative to the repository root. */
/**
 * Node.js flags of the functions that hold large batches and answers (the executor, the
 * coordinator); `npm run bench` measures with the same and `npm start` runs with them (package.json).
 */
export const HOT_PATH_NODE_OPTIONS = '--max-semi-space-size=64';

export const HANDLERS = {
  executor: 'functions/executor/handler.ts',
  refresh: 'functions/refresh/handler.ts',
  compaction: 'functions/compaction/handler.ts',
  coordinator: 'functions/coordinator/handler.ts',
} as const;

/** Powertools service names: the `service` dimension the alarms select on (executor.ts names its own). */
const SERVICE = { executor: 'executor', refresh: 'refresh', compaction: 'compaction', coordinator: 'coordinator' } as const;

/** CloudWatch Logs accepts only these retention periods. */
function retentionDays(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0).sort((a, b) => a - b);
  return (allowed.find((d) => d >= days) ?? allowed[allowed.length - 1]) as logs.RetentionDays;
}

/**
 * Tideline on AWS for an existing MSK cluster: the executor on both topics, the tables, the lake
 * (S3, Glue, Athena), the scheduled refresh and compaction, the query API, and the alarms.
 * Every choice is a prop (and a context parameter of the same name); see DEFAULT_SETTINGS.
 */
export class TidelineStack extends Stack {
  readonly settings: ResolvedSettings;
  readonly tables: TidelineTables;
  readonly lake: Lake;
  readonly failedBatches: s3.Bucket;
  readonly functions: { readonly [K in keyof typeof HANDLERS]: TidelineFunction };
  readonly ingestion: MskIngestion;
  readonly api: QueryApi;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: TidelineStackProps = {}) {
    super(scope, id, props);
    const s = (this.settings = resolveSettings(props));
    const logRetention = retentionDays(s.logRetentionDays);

    const accessLogs = accessLogBucket(this, 'AccessLogs', Duration.days(90));
    this.tables = new TidelineTables(this, 'Tables');
    this.lake = new Lake(this, 'Lake', {
      accessLogs,
      transitionAfterDays: s.lakeTransitionDays,
      coldStorageClass: s.lakeColdStorageClass === 'GLACIER_INSTANT_RETRIEVAL' ? s3.StorageClass.GLACIER_INSTANT_RETRIEVAL : s3.StorageClass.INTELLIGENT_TIERING,
      bytesScannedCutoffPerQuery: Math.round(s.athenaMaxScanGb * 1024 ** 3),
      resultsExpireAfterDays: s.athenaResultsExpireDays,
    });
    this.failedBatches = secureBucket(this, 'FailedBatches', {
      accessLogs,
      lifecycleRules: [{ id: 'ExpireFailedBatches', expiration: Duration.days(s.failedBatchesExpireDays) }],
    });

    const environment = {
      ...this.tables.environment(),
      ...this.lake.environment(),
      TOPIC_READINGS: s.topicReadings,
      TOPIC_DEVICE_STATUS: s.topicDeviceStatus,
    };
    // Every handler reaches shared/lake, whose parquet-wasm loads its .wasm when the bundle loads.
    const fn = (name: keyof typeof HANDLERS, more: Partial<ConstructorParameters<typeof TidelineFunction>[2]> = {}) =>
      new TidelineFunction(this, `${name[0].toUpperCase()}${name.slice(1)}`, {
        entry: HANDLERS[name],
        serviceName: SERVICE[name],
        environment,
        logRetention,
        sideFiles: [PARQUET_WASM],
        ...more,
      });

    const executor = fn('executor', {
      description: 'Judges MSK batches of readings against reflections; runs query slices for the coordinator',
      // A batch's judged rows live until it is written; a larger young generation keeps them out of
      // old-space collections (about 30 % faster in `npm run bench`, which runs with the same flag).
      environment: { ...environment, NODE_OPTIONS: HOT_PATH_NODE_OPTIONS },
      memorySize: s.executorMemoryMb,
      timeout: Duration.seconds(s.executorTimeoutSeconds),
      vpc: this.vpcPlacement(s),
    });
    const refresh = fn('refresh', {
      description: 'Recomputes reflections from the lake through Athena and flips the version in force',
      timeout: Duration.minutes(5),
      environment: { ...environment, ...this.lake.athenaEnvironment() },
    });
    const compaction = fn('compaction', {
      description: 'Rewrites the small Parquet files of closed hours into one file per partition',
      timeout: Duration.minutes(10),
      memorySize: 2048,
    });
    const coordinator = fn('coordinator', {
      description: 'Plans API queries, fans slices out to the executor and merges their partial results',
      timeout: Duration.seconds(30),
      // A 50,000-row answer is merged and encoded in buffers that live until it is sent.
      environment: { ...environment, EXECUTOR_FUNCTION_NAME: executor.function.functionName, NODE_OPTIONS: HOT_PATH_NODE_OPTIONS },
    });
    this.functions = { executor, refresh, compaction, coordinator };

    // Least privilege, function by function, following what each handler's ports call.
    // executor: ingest writes both lake tables and the stream state; query mode reads readings.
    this.tables.grant(executor.role, { reflections: 'read', state: 'readWrite', minuteSummaries: 'readWrite', alerts: 'readWrite', deadLetters: 'write' });
    this.lake.grantWrite(executor.role, [LAKE_PREFIX.readings, LAKE_PREFIX.deviceStatus]);
    this.lake.grantRead(executor.role, [LAKE_PREFIX.readings]);
    this.lake.grantNoteChanges(executor.role);
    // refresh: lists the lake's hours and change notes (removing those it consumed), keeps its
    // per-day partials, runs Athena, writes reflection versions.
    this.tables.grant(refresh.role, { reflections: 'readWrite' });
    this.lake.grantQuery(refresh.role);
    this.lake.grantRead(refresh.role, [PARTIALS_PREFIX, CHANGES_PREFIX]);
    this.lake.grantWrite(refresh.role, [PARTIALS_PREFIX, CHANGES_PREFIX]);
    // compaction: rewrites closed reading hours (files and manifests) in place, noting each first.
    this.lake.grantRead(compaction.role, [LAKE_PREFIX.readings]);
    this.lake.grantWrite(compaction.role, [LAKE_PREFIX.readings]);
    this.lake.grantNoteChanges(compaction.role);
    // coordinator: plans over the readings' files, reads reflections and alerts, logs queries, invokes the executor.
    this.tables.grant(coordinator.role, { reflections: 'read', alerts: 'read', queryLog: 'readWrite' });
    this.lake.grantRead(coordinator.role, [LAKE_PREFIX.readings]);
    executor.function.grantInvokeLatestVersion(coordinator.role);

    this.ingestion = new MskIngestion(this, 'Ingestion', {
      target: executor.function,
      role: executor.role,
      clusterArn: s.mskClusterArn,
      topics: [s.topicReadings, s.topicDeviceStatus],
      failedBatches: this.failedBatches,
      authentication: s.kafkaAuth === 'scram' ? { kind: 'scram', secretArn: s.kafkaScramSecretArn, secretKeyArn: s.kafkaScramKeyArn || undefined } : { kind: 'iam' },
      consumerGroupPrefix: s.kafkaConsumerGroupPrefix,
      batchSize: s.kafkaBatchSize,
      maxBatchingWindow: Duration.seconds(s.kafkaBatchingWindowSeconds),
      startingPosition: lambda.StartingPosition[s.kafkaStartingPosition],
      retryAttempts: s.kafkaRetryAttempts,
      bisectBatchOnError: s.kafkaBisectOnError,
      pollers: { minimum: s.kafkaMinPollers, maximum: s.kafkaMaxPollers },
    });

    new events.Rule(this, 'RefreshSchedule', {
      description: 'Refreshes reflections',
      schedule: events.Schedule.rate(Duration.minutes(s.refreshRateMinutes)),
      targets: [new targets.LambdaFunction(refresh.function, { retryAttempts: 2, maxEventAge: Duration.minutes(s.refreshRateMinutes) })],
    });
    new events.Rule(this, 'CompactionSchedule', {
      description: 'Compacts closed lake hours',
      schedule: events.Schedule.rate(Duration.minutes(s.compactionRateMinutes)),
      targets: [new targets.LambdaFunction(compaction.function, { retryAttempts: 2, maxEventAge: Duration.minutes(s.compactionRateMinutes) })],
    });

    this.api = new QueryApi(this, 'QueryApi', {
      handler: coordinator.function,
      authorization: s.apiAuth === 'jwt' ? { kind: 'jwt', issuer: s.jwtIssuer, audience: s.jwtAudience } : { kind: 'iam' },
      throttleRatePerSecond: s.apiThrottleRatePerSecond,
      throttleBurst: s.apiThrottleBurst,
      accessLogRetention: logRetention,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      executor: executor.function,
      functions: { Executor: executor.function, Refresh: refresh.function, Compaction: compaction.function, Coordinator: coordinator.function },
      api: this.api.api,
      alarmEmail: s.alarmEmail || undefined,
      executorService: SERVICE.executor,
      refreshService: SERVICE.refresh,
      thresholds: {
        criticalReadingsPerMinute: s.alarmCriticalReadingsPerMinute,
        functionErrors: s.alarmFunctionErrors,
        deadLetters: s.alarmDeadLetters,
        offsetLag: s.alarmOffsetLag,
        apiLatencyP95Ms: s.alarmApiLatencyP95Ms,
        reflectionAgeSeconds: s.alarmReflectionAgeSeconds,
      },
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the query API' });
    new CfnOutput(this, 'LakeBucketName', { value: this.lake.bucket.bucketName });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.lake.workGroupName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
  }

  /** The executor's VPC placement from ids (no lookup, so synth stays offline). */
  private vpcPlacement(s: ResolvedSettings): FunctionVpcPlacement | undefined {
    if (s.vpcId === '') return undefined;
    // The function is placed by explicit subnets, so the VPC's zone list is never read; it only has to
    // match the subnet count, which the deployment-time zone list does without a lookup.
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: s.vpcId,
      availabilityZones: s.subnetIds.map((_, i) => Fn.select(i, Fn.getAzs())),
      privateSubnetIds: [...s.subnetIds],
    });
    Validations.of(vpc).acknowledge({
      id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
      reason: 'The subnets only place the executor\'s network interfaces; nothing in this stack reads or adds routes.',
    });
    return {
      vpc,
      subnets: vpc.privateSubnets,
      securityGroups: s.securityGroupIds.map((id, i) => ec2.SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, id, { mutable: false })),
    };
  }
}
