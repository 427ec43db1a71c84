import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE_RUNTIME } from '../../infra/aws/constructs/tideline-function.js';
import { buildApp } from '../../infra/aws/tideline-app.js';
import { HOT_PATH_NODE_OPTIONS, TidelineStack } from '../../infra/aws/tideline-stack.js';
import { TABLES, type TableSpec } from '../../shared/adapters/index.js';
import { tableEnvVar } from '../../shared/config/index.js';
import { ENRICHED_COLUMNS } from '../../shared/judgment/index.js';
import { DEVICE_STATUS_COLUMNS } from '../../shared/lake/index.js';
import { CDK_JSON, EVERY_OPTION, logicalId, removeAssemblies, resourcesOf, synthStack, testApp } from './synth.js';

afterAll(removeAssemblies);

const { stack, template } = synthStack();
const FUNCTIONS = ['Executor', 'Refresh', 'Compaction', 'Coordinator'] as const;
const fnId = (name: string) => logicalId(template, 'AWS::Lambda::Function', `${name}Function`);
const tableId = (spec: TableSpec) => logicalId(template, 'AWS::DynamoDB::Table', `Tables${spec.id}`);

describe('DynamoDB tables', () => {
  it('creates one table per spec in shared/adapters TABLES, and no other', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', Object.keys(TABLES).length);
  });

  it.each(Object.entries(TABLES) as [string, TableSpec][])('creates %s on demand with PITR, encryption, keys, TTL and indexes from its spec', (_name, spec) => {
    const props = resourcesOf(template, 'AWS::DynamoDB::Table')[tableId(spec)].Properties!;
    expect(props.BillingMode).toBe('PAY_PER_REQUEST');
    expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(props.SSESpecification).toEqual({ SSEEnabled: true });
    expect(props.KeySchema).toEqual([
      { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: spec.sortKey.name, KeyType: 'RANGE' },
    ]);
    expect(props.TimeToLiveSpecification).toEqual(spec.timeToLiveAttribute ? { AttributeName: spec.timeToLiveAttribute, Enabled: true } : undefined);
    const indexes = (props.GlobalSecondaryIndexes ?? []) as { IndexName: string; KeySchema: unknown }[];
    expect(indexes.map((i) => i.IndexName)).toEqual((spec.globalIndexes ?? []).map((i) => i.name));
    for (const [i, index] of (spec.globalIndexes ?? []).entries()) {
      expect(indexes[i].KeySchema).toEqual([
        { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
      ]);
    }
  });

  it('keeps tables when the stack is deleted', () => {
    for (const r of Object.values(template.findResources('AWS::DynamoDB::Table'))) expect(r.DeletionPolicy).toBe('Retain');
  });

  it.each(FUNCTIONS)('gives %s every table name in the variable shared/config reads', (name) => {
    const vars = (resourcesOf(template, 'AWS::Lambda::Function')[fnId(name)].Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const [key, spec] of Object.entries(TABLES) as [keyof typeof TABLES, TableSpec][]) {
      expect(vars[tableEnvVar(key)]).toEqual({ Ref: tableId(spec) });
    }
    expect(vars.LAKE_BUCKET).toEqual({ Ref: logicalId(template, 'AWS::S3::Bucket', 'LakeBucket') });
  });
});

describe('functions', () => {
  it.each(FUNCTIONS)('runs %s on the newest Node.js runtime, arm64, as an ESM bundle with its own log group', (name) => {
    const props = resourcesOf(template, 'AWS::Lambda::Function')[fnId(name)].Properties!;
    expect(props.Runtime).toBe('nodejs24.x');
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.Handler).toBe('index.handler');
    expect(props.LoggingConfig).toEqual({ LogGroup: { Ref: logicalId(template, 'AWS::Logs::LogGroup', `${name}Logs`) } });
    expect((props.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      POWERTOOLS_SERVICE_NAME: name.toLowerCase(),
      POWERTOOLS_METRICS_NAMESPACE: 'Tideline',
    });
  });

  it('uses the newest Node.js runtime aws-cdk-lib knows', () => {
    const versions = Object.keys(lambda.Runtime).map((k) => /^NODEJS_(\d+)_X$/.exec(k)?.[1]).filter((v) => v !== undefined).map(Number);
    expect(NODE_RUNTIME.name).toBe(`nodejs${Math.max(...versions)}.x`);
  });

  it('creates exactly the four functions and retains their logs for 30 days', () => {
    template.resourceCountIs('AWS::Lambda::Function', 4);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('points the refresh at Athena: database, workgroup and result location of the lake', () => {
    const vars = (resourcesOf(template, 'AWS::Lambda::Function')[fnId('Refresh')].Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars.ATHENA_DATABASE).toBe('tideline');
    expect(vars.ATHENA_WORKGROUP).toBe('Tideline-lake');
    expect(vars.ATHENA_OUTPUT_LOCATION).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: logicalId(template, 'AWS::S3::Bucket', 'LakeQueryResults') }, '/results/']] });
  });

  it.each(['Executor', 'Coordinator'])('runs the %s with the young generation the benchmarks measure with', (name) => {
    const vars = (resourcesOf(template, 'AWS::Lambda::Function')[fnId(name)].Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars.NODE_OPTIONS).toBe(HOT_PATH_NODE_OPTIONS);
    const { scripts } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.bench).toContain(HOT_PATH_NODE_OPTIONS);
    expect(scripts.start).toContain(HOT_PATH_NODE_OPTIONS);
  });

  it('gives the coordinator the executor to fan query slices out to', () => {
    const vars = (resourcesOf(template, 'AWS::Lambda::Function')[fnId('Coordinator')].Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars.EXECUTOR_FUNCTION_NAME).toEqual({ Ref: fnId('Executor') });
  });

  it('places the executor in the VPC given as context, by subnet and security group ids', () => {
    const { template: t } = synthStack(EVERY_OPTION);
    const props = resourcesOf(t, 'AWS::Lambda::Function')[logicalId(t, 'AWS::Lambda::Function', 'ExecutorFunction')].Properties!;
    expect(props.VpcConfig).toEqual({ SubnetIds: EVERY_OPTION.subnetIds, SecurityGroupIds: EVERY_OPTION.securityGroupIds });
    expect(resourcesOf(t, 'AWS::Lambda::Function')[logicalId(t, 'AWS::Lambda::Function', 'RefreshFunction')].Properties!.VpcConfig).toBeUndefined();
  });
});

describe('MSK event source mappings', () => {
  const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping'));

  it('maps both topics to the executor, each with its own consumer group', () => {
    expect(mappings.map((m) => m.Properties!.Topics)).toEqual([['sensor_readings'], ['device_status']]);
    expect(mappings.map((m) => (m.Properties!.AmazonManagedKafkaEventSourceConfig as { ConsumerGroupId: string }).ConsumerGroupId)).toEqual([
      'tideline-executor-sensor_readings',
      'tideline-executor-device_status',
    ]);
    for (const m of mappings) expect(m.Properties!.FunctionName).toEqual({ Ref: fnId('Executor') });
  });

  it('batches, retries a bounded number of times, bisects and sends what still fails to the failed-batch bucket', () => {
    for (const m of mappings) {
      expect(m.Properties).toMatchObject({
        EventSourceArn: stack.settings.mskClusterArn,
        BatchSize: 10_000,
        MaximumBatchingWindowInSeconds: 1,
        StartingPosition: 'TRIM_HORIZON',
        MaximumRetryAttempts: 5,
        BisectBatchOnFunctionError: true,
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(template, 'AWS::S3::Bucket', 'FailedBatches'), 'Arn'] } } },
      });
      expect(m.Properties!.SourceAccessConfigurations).toBeUndefined(); // IAM auth: the role, no secret
      expect(m.DependsOn).toContain(logicalId(template, 'AWS::IAM::Policy', 'IngestionPollerPolicy'));
    }
  });

  it('authenticates with the SCRAM secret when kafkaAuth is scram, and may read only that secret and its key', () => {
    const { template: t } = synthStack(EVERY_OPTION);
    for (const m of Object.values(resourcesOf(t, 'AWS::Lambda::EventSourceMapping'))) {
      expect(m.Properties!.SourceAccessConfigurations).toEqual([{ Type: 'SASL_SCRAM_512_AUTH', URI: EVERY_OPTION.kafkaScramSecretArn }]);
      expect(m.Properties!.EventSourceArn).toBe(EVERY_OPTION.mskClusterArn);
    }
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: EVERY_OPTION.kafkaScramSecretArn }),
          Match.objectLike({ Action: 'kms:Decrypt', Resource: EVERY_OPTION.kafkaScramKeyArn }),
        ]),
      },
    });
  });

  it('warns at synth that the cluster ARN is the cdk.json placeholder', () => {
    Annotations.fromStack(stack).hasWarning('/Tideline/Ingestion', Match.stringLikeRegexp('mskClusterArn is the placeholder'));
  });

  it('warns when the cluster is in another region than the stack', () => {
    const { stack: s } = synthStack({ mskClusterArn: 'arn:aws:kafka:eu-central-1:123456789012:cluster/plant/abc-1' });
    Annotations.fromStack(s).hasWarning('/Tideline/Ingestion', Match.stringLikeRegexp('is in eu-central-1 but the stack deploys to us-east-1'));
  });
});

describe('the lake', () => {
  const buckets = resourcesOf(template, 'AWS::S3::Bucket');

  it.each(['LakeBucket', 'LakeQueryResults', 'FailedBatches', 'AccessLogs'])('encrypts %s, blocks public access and refuses plain HTTP', (prefix) => {
    const id = logicalId(template, 'AWS::S3::Bucket', prefix);
    expect(buckets[id].Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('moves hour partitions to cheaper storage after the 7-day raw-reflection horizon, and only them', () => {
    const rules = (buckets[logicalId(template, 'AWS::S3::Bucket', 'LakeBucket')].Properties!.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules.filter((r) => r.Transitions)).toEqual([
      { Id: 'ColdReadingsAfterRawHorizon', Prefix: 'readings/', Status: 'Enabled', Transitions: [{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 7 }] },
      { Id: 'ColdDeviceStatusAfterRawHorizon', Prefix: 'device_status/', Status: 'Enabled', Transitions: [{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 7 }] },
    ]);
  });

  it('describes readings/ with the enriched columns, in order, from shared/judgment', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'tideline',
      TableInput: Match.objectLike({
        Name: 'readings',
        StorageDescriptor: Match.objectLike({
          Columns: ENRICHED_COLUMNS.map(([name, type]) => ({ Name: name, Type: type })),
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        }),
      }),
    });
  });

  it('describes device_status/ with the device status columns from shared/lake', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({ Name: 'device_status', StorageDescriptor: Match.objectLike({ Columns: DEVICE_STATUS_COLUMNS.map(([name, type]) => ({ Name: name, Type: type })) }) }),
    });
  });

  it('projects dt and hour partitions onto the lake layout, so no crawler or partition registration is needed', () => {
    const bucket = logicalId(template, 'AWS::S3::Bucket', 'LakeBucket');
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'readings',
        PartitionKeys: [
          { Name: 'dt', Type: 'string' },
          { Name: 'hour', Type: 'string' },
        ],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2000-01-01,NOW+1DAYS',
          'projection.hour.type': 'integer',
          'projection.hour.range': '0,23',
          'projection.hour.digits': '2',
          'storage.location.template': { 'Fn::Join': ['', ['s3://', { Ref: bucket }, '/readings/dt=${dt}/hour=${hour}/']] },
        }),
      }),
    });
  });

  it('caps what an Athena query may scan and enforces the workgroup result location', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'Tideline-lake',
      WorkGroupConfiguration: {
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: logicalId(template, 'AWS::S3::Bucket', 'LakeQueryResults') }, '/results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        },
      },
    });
  });
});

describe('schedules', () => {
  it('runs the refresh every 5 minutes and compaction hourly, with bounded retries', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId('Refresh'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 } })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId('Compaction'), 'Arn'] } })],
    });
  });

  it('takes the refresh rate from context', () => {
    const { template: t } = synthStack({}, { refreshRateMinutes: '15' });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
  });
});

describe('the query API', () => {
  it('routes every path to the coordinator with IAM authorization by default', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /{proxy+}', AuthorizationType: 'AWS_IAM' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [fnId('Coordinator'), 'Arn'] },
    });
  });

  it('throttles the stage and writes JSON access logs to their own log group', () => {
    const stage = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Stage'))[0].Properties!;
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::Logs::LogGroup', 'QueryApiAccessLogs'), 'Arn'] } },
    });
    const format = JSON.parse((stage.AccessLogSettings as { Format: string }).Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', latencyMs: '$context.responseLatency' });
  });

  it('uses a JWT authorizer with the issuer and audience from context when apiAuth is jwt', () => {
    const { template: t } = synthStack(EVERY_OPTION);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: EVERY_OPTION.jwtIssuer, Audience: EVERY_OPTION.jwtAudience },
      IdentitySource: ['$request.header.Authorization'],
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'JWT' });
  });
});

describe('alarms and dashboard', () => {
  const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
  const alarm = (name: string) => alarms[logicalId(template, 'AWS::CloudWatch::Alarm', `Monitoring${name}Alarm`)].Properties!;
  const topic = { Ref: logicalId(template, 'AWS::SNS::Topic', 'MonitoringAlarmTopic') };

  it('notifies one encrypted, TLS-only SNS topic from every alarm, on alarm and on recovery', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(template, 'AWS::KMS::Key', 'MonitoringAlarmTopicKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    for (const a of Object.values(alarms)) {
      expect(a.Properties!.AlarmActions).toEqual([topic]);
      expect(a.Properties!.OKActions).toEqual([topic]);
    }
  });

  it.each([
    ['AnomalyRate', { Namespace: 'Tideline', MetricName: 'CriticalReadings', Dimensions: [{ Name: 'service', Value: 'executor' }], Statistic: 'Sum', Period: 60, Threshold: 100 }],
    ['DeadLetters', { Namespace: 'Tideline', MetricName: 'DeadLetters', Dimensions: [{ Name: 'service', Value: 'executor' }], Statistic: 'Sum', Period: 300, Threshold: 1 }],
    ['ConsumerLag', { Namespace: 'AWS/Lambda', MetricName: 'OffsetLag', Statistic: 'Maximum', Period: 60, Threshold: 50_000, EvaluationPeriods: 5 }],
    ['ApiLatencyP95', { Namespace: 'AWS/ApiGateway', MetricName: 'Latency', ExtendedStatistic: 'p95', Period: 300, Threshold: 2000 }],
    ['StaleReflections', { Namespace: 'Tideline', MetricName: 'ReflectionAgeSeconds', Dimensions: [{ Name: 'service', Value: 'refresh' }], Statistic: 'Maximum', Threshold: 1800, TreatMissingData: 'breaching' }],
  ])('alarms on %s with its default threshold', (name, expected) => {
    expect(alarm(name)).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', ...expected });
  });

  it('watches the executor by function name for consumer lag', () => {
    expect(alarm('ConsumerLag').Dimensions).toEqual([{ Name: 'FunctionName', Value: { Ref: fnId('Executor') } }]);
  });

  it.each(FUNCTIONS)('alarms on errors of %s', (name) => {
    expect(alarm(`${name}Errors`)).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId(name) } }],
      Threshold: 1,
    });
  });

  it('takes thresholds from context', () => {
    const { template: t } = synthStack({}, { alarmCriticalReadingsPerMinute: '250', alarmOffsetLag: 1000 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'CriticalReadings', Threshold: 250 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'OffsetLag', Threshold: 1000 });
  });

  it('subscribes the alarm e-mail when one is given', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    synthStack(EVERY_OPTION).template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: EVERY_OPTION.alarmEmail });
  });

  it('shows every alarm on the dashboard', () => {
    const body = JSON.stringify(Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'))[0].Properties!.DashboardBody);
    for (const id of Object.keys(alarms)) expect(body).toContain(id);
    for (const metric of ['RecordsIn', 'ReadingsProcessed', 'CriticalReadings', 'EventAgeMs']) expect(body).toContain(metric);
  });
});

describe('the synthesized app', () => {
  it('passes CloudFormation\'s own template validation and cdk-nag, as `cdk synth` runs them', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'tideline-cdk-'));
    try {
      const app = new App({ outdir, context: { ...CDK_JSON.context, 'aws:cdk:bundling-stacks': [] } });
      buildApp(app);
      app.synth();
      const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: { violations?: { ruleName: string }[] }[] };
      // The one thing reported as cloned is the placeholder cluster, on purpose.
      expect(report.pluginReports.flatMap((r) => r.violations ?? []).map((v) => v.ruleName)).toEqual(['Annotation::tideline:mskClusterPlaceholder']);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('synthesizes clean in an app without cdk.json\'s feature flags (as a construct in someone else\'s app)', () => {
    const app = testApp({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
    const s = new TidelineStack(app, 'Embedded');
    expect(() => app.synth()).not.toThrow();
    expect(new AwsSolutionsChecks().validateScope(s).violations).toEqual([]);
  });
});
