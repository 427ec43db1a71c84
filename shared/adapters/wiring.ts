import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { TidelineConfig } from '../config/index.js';
import { IngestStateCache, ReflectionCache, type IngestPorts } from '../ingest/index.js';
import type { ObjectStore } from '../ports/index.js';
import { documentClient } from './dynamodb/batch.js';
import { DynamoAlertStore } from './dynamodb/alert-store.js';
import { DynamoDeadLetterStore } from './dynamodb/dead-letter-store.js';
import { DynamoIngestStateStore } from './dynamodb/ingest-state-store.js';
import { DynamoMinuteSummaryStore } from './dynamodb/minute-summary-store.js';
import { DynamoReflectionStore } from './dynamodb/reflection-store.js';
import { DirectoryObjectStore } from './local/directory-object-store.js';
import { S3ObjectStore } from './s3/s3-object-store.js';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { AlertReader, QueryLog, ReflectionStore, SliceInvoker } from '../ports/index.js';
import { runQuerySlice, type QueryConfig } from '../query/index.js';
import { DynamoQueryLog } from './dynamodb/query-log-store.js';
import { LambdaSliceInvoker } from './lambda/lambda-slice-invoker.js';
import { LocalSlicePool } from './local/slice-pool.js';

/** A DynamoDB client for the configured endpoint (DynamoDB Local when DYNAMODB_ENDPOINT is set). */
export function dynamoClientFrom(config: Pick<TidelineConfig, 'dynamodbEndpoint'>): DynamoDBClient {
  if (!config.dynamodbEndpoint) return new DynamoDBClient({});
  return new DynamoDBClient({
    endpoint: config.dynamodbEndpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    // DynamoDB Local accepts any credentials; fixed ones keep local runs independent of ~/.aws.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** The lake: S3 when a bucket is configured, otherwise a directory. */
export function lakeFrom(config: Pick<TidelineConfig, 'lakeBucket' | 'lakeDir'>, s3: S3Client = new S3Client({})): ObjectStore {
  return config.lakeBucket ? new S3ObjectStore(s3, config.lakeBucket) : new DirectoryObjectStore(config.lakeDir);
}

/**
 * Sensor windows packed per partition in buckets of about this many bytes on DynamoDB Local, which
 * pays per item (one SQLite transaction each) and not per KB; DynamoDB itself bills by the KB, so
 * there each sensor keeps its own item.
 */
const LOCAL_WINDOW_BUCKET_BYTES = 64 * 1024;

/** Everything the executor's ingest mode needs, wired to DynamoDB and the configured lake. */
export function ingestPortsFrom(config: TidelineConfig, dynamo: DynamoDBClient, lake: ObjectStore): IngestPorts {
  const doc = documentClient(dynamo);
  const reflections = new DynamoReflectionStore(doc, config.tables.reflections);
  return {
    lake,
    reflections,
    state: new DynamoIngestStateStore(doc, config.tables.state, { windowBucketBytes: config.dynamodbEndpoint ? LOCAL_WINDOW_BUCKET_BYTES : 0 }),
    minuteSummaries: new DynamoMinuteSummaryStore(doc, config.tables.minuteSummaries, config.retention.minuteSummariesMs),
    alerts: new DynamoAlertStore(doc, config.tables.alerts, config.retention.alertsMs),
    deadLetters: new DynamoDeadLetterStore(doc, config.tables.deadLetters, config.retention.deadLettersMs),
    reflectionCache: new ReflectionCache(reflections, config.judgment.minHistory),
    stateCache: new IngestStateCache(),
  };
}

/** Everything the coordinator needs: the lake, a slice invoker, alerts, reflections and the query log. */
export interface CoordinatorPorts {
  readonly lake: ObjectStore;
  readonly invoker: SliceInvoker;
  readonly alerts: AlertReader;
  readonly reflections: ReflectionStore;
  readonly queryLog: QueryLog;
}

/**
 * The coordinator's ports: slices go to the executor function through Lambda Invoke when
 * EXECUTOR_FUNCTION_NAME is set, otherwise to a bounded pool in this process over the same lake.
 */
export function coordinatorPortsFrom(config: TidelineConfig, query: QueryConfig, dynamo: DynamoDBClient, lake: ObjectStore): CoordinatorPorts {
  const doc = documentClient(dynamo);
  const invoker = query.executorFunctionName
    ? new LambdaSliceInvoker(new LambdaClient({}), query.executorFunctionName)
    : new LocalSlicePool((slice) => runQuerySlice(slice, lake), query.poolSize);
  return {
    lake,
    invoker,
    alerts: new DynamoAlertStore(doc, config.tables.alerts, config.retention.alertsMs),
    reflections: new DynamoReflectionStore(doc, config.tables.reflections),
    queryLog: new DynamoQueryLog(doc, config.tables.queryLog, query.queryLogRetentionMs),
  };
}
