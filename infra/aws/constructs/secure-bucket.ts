import { Duration, FeatureFlags, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../nag.js';

export interface SecureBucketProps {
  /** Where S3 writes this bucket's server access logs, under a prefix named after the construct id. */
  readonly accessLogs: s3.IBucket;
  /** @default none */
  readonly lifecycleRules?: s3.LifecycleRule[];
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A bucket as every Tideline bucket is: encrypted (SSE-S3), TLS only, public access blocked,
 * objects owned by the bucket owner, access logged, incomplete uploads cleaned up.
 */
export function secureBucket(scope: Construct, id: string, props: SecureBucketProps): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: props.accessLogs,
    serverAccessLogsPrefix: `${id}/`,
    lifecycleRules: [{ id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) }, ...(props.lifecycleRules ?? [])],
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
}

/** The bucket the other buckets' server access logs go to. */
export function accessLogBucket(scope: Construct, id: string, expireAfter: Duration): s3.Bucket {
  // With cdk.json's flags, log delivery is granted by bucket policy (no ACLs); an app without that
  // flag grants it by ACL, which needs object-writer ownership.
  const byPolicy = FeatureFlags.of(scope).isEnabled(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY) ?? false;
  const bucket = new s3.Bucket(scope, id, {
    // S3 log delivery writes with SSE-S3 only.
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: byPolicy ? s3.ObjectOwnership.BUCKET_OWNER_ENFORCED : s3.ObjectOwnership.OBJECT_WRITER,
    lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: expireAfter }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'This is the server-access-log bucket itself; logging its own access would write a log object for every log object delivered.',
  });
  return bucket;
}

/** Grants reading objects under `prefix` (GetObject) and listing only that prefix (ListBucket with an s3:prefix condition). */
export function grantReadPrefix(bucket: s3.IBucket, grantee: iam.IRole, prefix: string): void {
  acknowledgeWildcardResource(grantee, bucket, `/${prefix}*`, `Objects under ${prefix} are named at run time (one per batch, hour and stream position); the grant is GetObject on that prefix only.`);
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${prefix}*`)] }));
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } }),
  );
}

/** Grants writing and deleting objects under `prefix`: PutObject and DeleteObject, nothing else. */
export function grantWritePrefix(bucket: s3.IBucket, grantee: iam.IRole, prefix: string): void {
  acknowledgeWildcardResource(grantee, bucket, `/${prefix}*`, `Objects under ${prefix} are named at run time (one per batch, hour and stream position); the grant is PutObject and DeleteObject on that prefix only.`);
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: [bucket.arnForObjects(`${prefix}*`)] }),
  );
}
