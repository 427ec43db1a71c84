import { Annotations, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { StackConfigError } from '../errors.js';
import { acknowledgeWildcardResource } from '../nag.js';
import { parseMskClusterArn } from '../settings.js';

/** How the event source mapping authenticates to the cluster. */
export type MskAuthentication =
  | { readonly kind: 'iam' }
  | { readonly kind: 'scram'; readonly secretArn: string; readonly secretKeyArn?: string };

export interface MskIngestionProps {
  /** The function each batch is delivered to, and the role the mapping's poller uses. */
  readonly target: lambda.IFunction;
  readonly role: iam.IRole;
  /** ARN of the existing MSK cluster. */
  readonly clusterArn: string;
  /** One mapping per topic, in this order. */
  readonly topics: readonly string[];
  /** Bucket receiving batches that still fail after the retries (records included, so none is lost). */
  readonly failedBatches: s3.IBucket;
  /** @default { kind: 'iam' } */
  readonly authentication?: MskAuthentication;
  /** Each mapping joins the consumer group `<prefix>-<topic>`. @default 'tideline-executor' */
  readonly consumerGroupPrefix?: string;
  /** @default 10000 */
  readonly batchSize?: number;
  /** @default Duration.seconds(1) */
  readonly maxBatchingWindow?: Duration;
  /** @default lambda.StartingPosition.TRIM_HORIZON */
  readonly startingPosition?: lambda.StartingPosition;
  /** @default 5 */
  readonly retryAttempts?: number;
  /** @default true */
  readonly bisectBatchOnError?: boolean;
  /** Provisioned pollers per mapping; Kafka mappings accept retries and bisect only in provisioned mode. @default { minimum: 1, maximum: 3 } */
  readonly pollers?: { readonly minimum: number; readonly maximum: number };
}

/** On-failure destination writing failed batches to S3, granting only what Lambda needs to write there. */
class S3FailedBatchDestination implements lambda.IEventSourceDlq {
  constructor(private readonly bucket: s3.IBucket) {}

  bind(_mapping: lambda.IEventSourceMapping, target: lambda.IFunction): lambda.DlqDestinationConfig {
    // S3OnFailureDestination would grant read-write on the whole bucket; Lambda only puts objects and lists the bucket.
    target.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('*')] }));
    if (target.role) {
      acknowledgeWildcardResource(target.role, this.bucket, '/*', 'Lambda names each failed-batch object itself (by mapping, partition and offsets); the bucket holds nothing else and the grant is PutObject only.');
    }
    target.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    return { destination: this.bucket.bucketArn };
  }
}

/** The account of cdk.json's placeholder cluster ARN, which synthesizes but cannot deploy. */
export const PLACEHOLDER_ACCOUNT = '111111111111';

const pascal = (s: string) => s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('');

/**
 * MSK → executor: one event source mapping per topic, in provisioned mode so a failing batch is
 * retried a bounded number of times and bisected to isolate a poison record, then written with its
 * records to the failed-batch bucket. The poller's permissions are scoped to the cluster, the
 * topics and the consumer groups.
 */
export class MskIngestion extends Construct {
  readonly mappings: { readonly [topic: string]: lambda.EventSourceMapping };

  constructor(scope: Construct, id: string, props: MskIngestionProps) {
    super(scope, id);
    const cluster = parseMskClusterArn(props.clusterArn);
    const authentication = props.authentication ?? { kind: 'iam' };
    const groupPrefix = props.consumerGroupPrefix ?? 'tideline-executor';
    const batchSize = props.batchSize ?? 10_000;
    const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(1);
    const pollers = props.pollers ?? { minimum: 1, maximum: 3 };
    if (props.topics.length === 0) throw new StackConfigError('topics', 'must name at least one topic', props.topics);
    if (new Set(props.topics).size !== props.topics.length) throw new StackConfigError('topics', 'must not repeat a topic', props.topics);
    // Lambda rejects batches above 10 records without a batching window of at least 1 s.
    if (batchSize > 10 && maxBatchingWindow.toSeconds() < 1) throw new StackConfigError('maxBatchingWindow', 'must be at least 1 second when batchSize is above 10', maxBatchingWindow.toSeconds());

    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && region !== cluster.region) {
      Annotations.of(this).addWarningV2('tideline:mskClusterRegion', `mskClusterArn is in ${cluster.region} but the stack deploys to ${region}; Lambda reads MSK clusters in its own region only`);
    }
    if (cluster.account === PLACEHOLDER_ACCOUNT) {
      Annotations.of(this).addWarningV2('tideline:mskClusterPlaceholder', 'mskClusterArn is the placeholder from cdk.json; give your cluster with -c mskClusterArn=arn:aws:kafka:… before deploying');
    }

    const kafkaArn = (resource: string) => `arn:${cluster.partition}:kafka:${cluster.region}:${cluster.account}:${resource}/${cluster.name}/${cluster.uuid}`;
    const groupOf = (topic: string) => `${groupPrefix}-${topic}`;

    const destination = new S3FailedBatchDestination(props.failedBatches);
    const sourceAccessConfigurations: lambda.SourceAccessConfiguration[] = [];
    if (authentication.kind === 'scram') {
      const secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'ScramSecret', authentication.secretArn);
      secret.grantRead(props.role);
      if (authentication.secretKeyArn) kms.Key.fromKeyArn(this, 'ScramSecretKey', authentication.secretKeyArn).grantDecrypt(props.role);
      sourceAccessConfigurations.push({ type: lambda.SourceAccessConfigurationType.SASL_SCRAM_512_AUTH, uri: secret.secretArn });
    }

    const mappings: Record<string, lambda.EventSourceMapping> = {};
    for (const topic of props.topics) {
      mappings[topic] = new lambda.EventSourceMapping(this, `${pascal(topic)}Mapping`, {
        target: props.target,
        eventSourceArn: props.clusterArn,
        kafkaTopic: topic,
        kafkaConsumerGroupId: groupOf(topic),
        batchSize,
        maxBatchingWindow,
        startingPosition: props.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
        retryAttempts: props.retryAttempts ?? 5,
        bisectBatchOnError: props.bisectBatchOnError ?? true,
        provisionedPollerConfig: { minimumPollers: pollers.minimum, maximumPollers: pollers.maximum },
        onFailure: destination,
        sourceAccessConfigurations: sourceAccessConfigurations.length > 0 ? sourceAccessConfigurations : undefined,
      });
    }
    this.mappings = mappings;

    const policy = new iam.Policy(this, 'PollerPolicy', {
      statements: [
        new iam.PolicyStatement({ actions: ['kafka:DescribeClusterV2', 'kafka:DescribeCluster', 'kafka:GetBootstrapBrokers'], resources: [props.clusterArn] }),
        // The poller attaches network interfaces in the cluster's own subnets; these ec2 calls take no resource-level scope.
        new iam.PolicyStatement({
          actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups'],
          resources: ['*'],
        }),
      ],
    });
    if (authentication.kind === 'iam') {
      policy.addStatements(
        new iam.PolicyStatement({ actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'], resources: [props.clusterArn] }),
        new iam.PolicyStatement({
          actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
          resources: props.topics.map((t) => `${kafkaArn('topic')}/${t}`),
        }),
        new iam.PolicyStatement({
          actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
          resources: props.topics.map((t) => `${kafkaArn('group')}/${groupOf(t)}`),
        }),
      );
    }
    policy.attachToRole(props.role);
    // Lambda checks the role's permissions when it creates a mapping.
    for (const mapping of Object.values(mappings)) mapping.node.addDependency(policy);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: "Lambda's MSK poller creates and describes network interfaces in the cluster's subnets (chosen by MSK, not this stack); ec2:Describe* and these ENI calls support no resource-level permissions. Every kafka and kafka-cluster action is scoped to the cluster, topic and group ARNs.",
    });
  }
}
