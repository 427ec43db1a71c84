import { Duration, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Lake } from '../../infra/aws/constructs/lake.js';
import { Monitoring } from '../../infra/aws/constructs/monitoring.js';
import { MskIngestion } from '../../infra/aws/constructs/msk-ingestion.js';
import { PROJECT_ROOT, TidelineFunction } from '../../infra/aws/constructs/tideline-function.js';
import { StackConfigError } from '../../infra/aws/errors.js';
import { resolveSettings, SETTING_KEYS, settingsFromContext } from '../../infra/aws/settings.js';
import { DEFAULT_SETTINGS, type TidelineSettings } from '../../infra/aws/stack-props.js';
import { DEFAULT_STACK_NAME, STACK_NAME_CONTEXT } from '../../infra/aws/tideline-app.js';
import { CDK_JSON, EVERY_OPTION, removeAssemblies, testApp } from './synth.js';

afterAll(removeAssemblies);

/** A default as the README's table writes it. */
function documented(value: unknown): string {
  if (typeof value === 'string') return value === '' ? '`""`' : `\`${value}\``;
  if (Array.isArray(value)) return `\`${JSON.stringify(value)}\``;
  return String(value);
}

/** The rows of the parameter table in the README's "Deploying to AWS" section. */
function readmeParameters(): Map<string, string> {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Deploying to AWS');
  expect(start, 'README has a "## Deploying to AWS" section').toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const rows = new Map<string, string>();
  for (const m of section.matchAll(/^\| `([A-Za-z0-9]+)` \| (.+?) \| .+ \|$/gm)) rows.set(m[1], m[2]);
  return rows;
}

describe('context parameters', () => {
  it('applies every default when nothing is given', () => {
    expect(resolveSettings({})).toEqual(DEFAULT_SETTINGS);
  });

  it('sets every parameter in cdk.json to its default, so synth works as cloned', () => {
    for (const key of SETTING_KEYS) expect(CDK_JSON.context[key], key).toEqual(DEFAULT_SETTINGS[key]);
    expect(CDK_JSON.context[STACK_NAME_CONTEXT]).toBe(DEFAULT_STACK_NAME);
    expect(CDK_JSON.app).toBe('npx tsx infra/aws/app.ts');
  });

  it('documents every parameter in the README with its default, and no parameter that does not exist', () => {
    const rows = readmeParameters();
    expect([...rows.keys()].sort()).toEqual([STACK_NAME_CONTEXT, ...SETTING_KEYS].sort());
    expect(rows.get(STACK_NAME_CONTEXT)).toBe(documented(DEFAULT_STACK_NAME));
    for (const key of SETTING_KEYS) expect(rows.get(key), key).toBe(documented(DEFAULT_SETTINGS[key]));
  });

  it('reads -c values, which arrive as strings, as the parameter\'s type', () => {
    const app = testApp({
      context: { kafkaBatchSize: '500', kafkaBisectOnError: 'false', subnetIds: 'subnet-a, subnet-b', jwtAudience: '["web","cli"]', athenaMaxScanGb: 2.5 },
    });
    expect(settingsFromContext(app.node)).toEqual({ kafkaBatchSize: 500, kafkaBisectOnError: false, subnetIds: ['subnet-a', 'subnet-b'], jwtAudience: ['web', 'cli'], athenaMaxScanGb: 2.5 });
  });

  it.each([
    [{ kafkaBatchSize: 'lots' }, 'kafkaBatchSize must be a number, got "lots"'],
    [{ kafkaBisectOnError: 'yes' }, 'kafkaBisectOnError must be true or false, got "yes"'],
    [{ kafkaBatchSize: true }, 'kafkaBatchSize must be a number, got true'],
    [{ subnetIds: [1, 2] }, 'subnetIds must be a list of strings, got [1,2]'],
  ])('rejects context %j naming the parameter and the value', (context, message) => {
    const app = testApp({ context });
    expect(() => settingsFromContext(app.node)).toThrow(StackConfigError);
    expect(() => settingsFromContext(app.node)).toThrow(message);
  });

  it('accepts every option together', () => {
    expect(() => resolveSettings(EVERY_OPTION)).not.toThrow();
  });

  it.each<[TidelineSettings, string]>([
    [{ mskClusterArn: 'arn:aws:kafka:us-east-1:123456789012:topic/x/y/z' }, 'mskClusterArn must be an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>), got "arn:aws:kafka:us-east-1:123456789012:topic/x/y/z"'],
    [{ topicReadings: 'sensor readings' }, 'topicReadings must be a Kafka topic name'],
    [{ topicDeviceStatus: 'sensor_readings' }, 'topicDeviceStatus must differ from topicReadings, got "sensor_readings"'],
    [{ kafkaAuth: 'plain' as 'iam' }, 'kafkaAuth must be one of iam, scram, got "plain"'],
    [{ kafkaAuth: 'scram' }, 'kafkaScramSecretArn is required when kafkaAuth is "scram", got ""'],
    [{ kafkaAuth: 'scram', kafkaScramSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-creds-AbCdEf' }, 'kafkaScramSecretArn must be a Secrets Manager secret ARN whose name starts with AmazonMSK_'],
    [{ kafkaScramKeyArn: 'alias/kafka' }, 'kafkaScramKeyArn must be a KMS key ARN'],
    [{ kafkaConsumerGroupPrefix: 'tideline executor' }, 'kafkaConsumerGroupPrefix must be 1–150 characters'],
    [{ kafkaBatchSize: 20_000 }, 'kafkaBatchSize must be an integer from 1 to 10000, got 20000'],
    [{ kafkaBatchingWindowSeconds: 301 }, 'kafkaBatchingWindowSeconds must be an integer from 0 to 300, got 301'],
    [{ kafkaStartingPosition: 'AT_TIMESTAMP' as 'LATEST' }, 'kafkaStartingPosition must be one of TRIM_HORIZON, LATEST, got "AT_TIMESTAMP"'],
    [{ kafkaRetryAttempts: -1 }, 'kafkaRetryAttempts must be an integer from 0 to 10000, got -1'],
    [{ kafkaMinPollers: 4, kafkaMaxPollers: 2 }, 'kafkaMaxPollers must be at least kafkaMinPollers (4), got 2'],
    [{ vpcId: 'vpc-1' }, 'subnetIds is required when vpcId is set, got []'],
    [{ subnetIds: ['subnet-1'] }, 'vpcId is required when subnetIds or securityGroupIds are set, got ""'],
    [{ vpcId: 'vpc-1', subnetIds: ['subnet-1'] }, 'securityGroupIds is required when vpcId is set, got []'],
    [{ executorTimeoutSeconds: 901 }, 'executorTimeoutSeconds must be an integer from 1 to 900, got 901'],
    [{ refreshRateMinutes: 0.5 }, 'refreshRateMinutes must be an integer from 1 to 1440, got 0.5'],
    [{ apiAuth: 'jwt' }, 'jwtIssuer is required when apiAuth is "jwt", got ""'],
    [{ apiAuth: 'jwt', jwtIssuer: 'http://login.example.com/' }, 'jwtIssuer must be an https:// URL, got "http://login.example.com/"'],
    [{ apiAuth: 'jwt', jwtIssuer: 'https://login.example.com/' }, 'jwtAudience is required when apiAuth is "jwt", got []'],
    [{ lakeColdStorageClass: 'GLACIER' as 'INTELLIGENT_TIERING' }, 'lakeColdStorageClass must be one of INTELLIGENT_TIERING, GLACIER_INSTANT_RETRIEVAL, got "GLACIER"'],
    [{ athenaMaxScanGb: 0 }, 'athenaMaxScanGb must be a number above 0.01, got 0'],
    [{ alarmEmail: 'ops' }, 'alarmEmail must be an e-mail address, got "ops"'],
    [{ alarmOffsetLag: 0 }, 'alarmOffsetLag must be a number above 0, got 0'],
  ])('rejects %j with a message naming the prop, the rule and the value', (settings, message) => {
    expect(() => resolveSettings(settings)).toThrow(StackConfigError);
    expect(() => resolveSettings(settings)).toThrow(message);
  });
});

describe('construct validation', () => {
  const stack = () => new Stack(testApp(), 'Probe', { env: { account: '123456789012', region: 'us-east-1' } });

  it('refuses a handler file that does not exist', () => {
    expect(() => new TidelineFunction(stack(), 'Ghost', { entry: 'functions/ghost/handler.ts', serviceName: 'ghost' })).toThrow(
      'entry must name an existing handler file (relative to the repository root), got "functions/ghost/handler.ts"',
    );
  });

  it('refuses MSK mappings without topics, or a batching window too short for the batch size', () => {
    const s = stack();
    const fn = new TidelineFunction(s, 'Executor', { entry: 'functions/executor/handler.ts', serviceName: 'executor' });
    const base = { target: fn.function, role: fn.role, clusterArn: DEFAULT_SETTINGS.mskClusterArn, failedBatches: new s3.Bucket(s, 'Failed') };
    expect(() => new MskIngestion(s, 'NoTopics', { ...base, topics: [] })).toThrow('topics must name at least one topic, got []');
    expect(() => new MskIngestion(s, 'Twice', { ...base, topics: ['a', 'a'] })).toThrow('topics must not repeat a topic, got ["a","a"]');
    expect(() => new MskIngestion(s, 'Eager', { ...base, topics: ['a'], batchSize: 100, maxBatchingWindow: Duration.seconds(0) })).toThrow(
      'maxBatchingWindow must be at least 1 second when batchSize is above 10, got 0',
    );
  });

  it('refuses an Athena scan cap below Athena\'s 10 MB minimum', () => {
    const s = stack();
    expect(() => new Lake(s, 'Lake', { accessLogs: new s3.Bucket(s, 'Logs'), bytesScannedCutoffPerQuery: 1_000_000 })).toThrow(
      "bytesScannedCutoffPerQuery must be a whole number of bytes ≥ 10000000 (Athena's minimum), got 1000000",
    );
  });

  it('refuses an alarm threshold that is not above zero', () => {
    const s = stack();
    const fn = new TidelineFunction(s, 'Executor', { entry: 'functions/executor/handler.ts', serviceName: 'executor' });
    expect(() => new Monitoring(s, 'Monitoring', { executor: fn.function, functions: {}, thresholds: { deadLetters: -1 } })).toThrow(
      'thresholds.deadLetters must be a number above 0, got -1',
    );
  });
});
