import { Duration, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ENRICHED_COLUMNS } from '../../../shared/judgment/index.js';
import { CHANGES_PREFIX, DEVICE_STATUS_COLUMNS, LAKE_PREFIX, type LakeColumnType, type LakeSchema, type LakeTable } from '../../../shared/lake/index.js';
import { StackConfigError } from '../errors.js';
import { acknowledgeWildcardResource } from '../nag.js';
import { grantReadPrefix, grantWritePrefix, secureBucket } from './secure-bucket.js';

export interface LakeProps {
  /** Bucket receiving the lake buckets' server access logs. */
  readonly accessLogs: s3.IBucket;
  /**
   * Days after which lake objects move to `coldStorageClass`: the raw-reflection horizon, after
   * which compaction no longer rewrites a partition and reads become rare.
   * @default 7
   */
  readonly transitionAfterDays?: number;
  /** @default s3.StorageClass.INTELLIGENT_TIERING */
  readonly coldStorageClass?: s3.StorageClass;
  /** Bytes one Athena query may scan before Athena cancels it. @default 10 GiB */
  readonly bytesScannedCutoffPerQuery?: number;
  /** @default 7 */
  readonly resultsExpireAfterDays?: number;
}

/** The schema of each lake table (one source: shared/judgment and shared/lake). */
const LAKE_SCHEMAS: { readonly [K in LakeTable]: LakeSchema } = {
  readings: ENRICHED_COLUMNS,
  deviceStatus: DEVICE_STATUS_COLUMNS,
};

/** Parquet (Arrow) type → Glue/Hive type; timestamps are Parquet TIMESTAMP(MILLIS), which Athena reads as timestamp. */
const GLUE_TYPE: { readonly [K in LakeColumnType]: string } = {
  string: 'string',
  timestamp: 'timestamp',
  double: 'double',
  int: 'int',
  bigint: 'bigint',
  boolean: 'boolean',
};

const MIN_SCAN_CUTOFF = 10_000_000; // Athena rejects a per-query cutoff below 10 MB.

/** Athena/Glue names: lower case, digits and underscores. */
function glueName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/**
 * The lake: Parquet hour partitions in S3 (layout from shared/lake), Glue tables over them with
 * partition projection on dt and hour (no crawler, no partition registration: a new hour is
 * queryable the moment a file lands), and an Athena workgroup that caps what a query may scan.
 */
export class Lake extends Construct {
  readonly bucket: s3.Bucket;
  readonly resultsBucket: s3.Bucket;
  readonly database: glue.CfnDatabase;
  readonly databaseName: string;
  readonly tableNames: { readonly [K in LakeTable]: string };
  readonly workGroup: athena.CfnWorkGroup;
  readonly workGroupName: string;
  private readonly glueTables: glue.CfnTable[] = [];

  constructor(scope: Construct, id: string, props: LakeProps) {
    super(scope, id);
    const transitionAfterDays = props.transitionAfterDays ?? 7;
    const coldStorageClass = props.coldStorageClass ?? s3.StorageClass.INTELLIGENT_TIERING;
    const cutoff = props.bytesScannedCutoffPerQuery ?? 10 * 1024 ** 3;
    const resultsExpireAfterDays = props.resultsExpireAfterDays ?? 7;
    if (!Number.isInteger(transitionAfterDays) || transitionAfterDays < 1) throw new StackConfigError('transitionAfterDays', 'must be a whole number of days ≥ 1', transitionAfterDays);
    if (!Number.isInteger(cutoff) || cutoff < MIN_SCAN_CUTOFF) throw new StackConfigError('bytesScannedCutoffPerQuery', `must be a whole number of bytes ≥ ${MIN_SCAN_CUTOFF} (Athena's minimum)`, cutoff);

    const stack = Stack.of(this);
    this.bucket = secureBucket(this, 'Bucket', {
      accessLogs: props.accessLogs,
      // Only the hour partitions cool down: the refresh's per-day partials are read on every run.
      lifecycleRules: Object.entries(LAKE_PREFIX).map(([table, prefix]) => ({
        id: `Cold${table[0].toUpperCase()}${table.slice(1)}AfterRawHorizon`,
        prefix: `${prefix}/`,
        transitions: [{ storageClass: coldStorageClass, transitionAfter: Duration.days(transitionAfterDays) }],
      })),
    });
    this.resultsBucket = secureBucket(this, 'QueryResults', {
      accessLogs: props.accessLogs,
      lifecycleRules: [{ id: 'ExpireQueryResults', expiration: Duration.days(resultsExpireAfterDays) }],
    });

    this.databaseName = glueName(stack.stackName);
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: this.databaseName, description: 'Tideline lake: enriched readings and device status, hour-partitioned Parquet' },
    });

    const tableNames = {} as Record<LakeTable, string>;
    for (const [table, schema] of Object.entries(LAKE_SCHEMAS) as [LakeTable, LakeSchema][]) {
      tableNames[table] = glueName(LAKE_PREFIX[table]);
      this.glueTables.push(this.hourPartitionedTable(table, tableNames[table], schema));
    }
    this.tableNames = tableNames;

    this.workGroupName = `${stack.stackName}-lake`;
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'Tideline queries over the lake; results expire, scans are capped',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }

  private hourPartitionedTable(table: LakeTable, name: string, schema: LakeSchema): glue.CfnTable {
    const location = `s3://${this.bucket.bucketName}/${LAKE_PREFIX[table]}/`;
    const t = new glue.CfnTable(this, `${table[0].toUpperCase()}${table.slice(1)}Table`, {
      catalogId: this.database.catalogId,
      databaseName: this.databaseName,
      tableInput: {
        name,
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [
          { name: 'dt', type: 'string' },
          // A string, as the partition path spells it ("07"): the refresh's Athena SQL compares hour = '07'.
          { name: 'hour', type: 'string' },
        ],
        parameters: {
          classification: 'parquet',
          'parquet.compression': 'ZSTD',
          'projection.enabled': 'true',
          // Readings before 2000 or more than a day ahead are rejected at ingest, so no partition lies outside.
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2000-01-01,NOW+1DAYS',
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'projection.hour.type': 'integer',
          'projection.hour.range': '0,23',
          'projection.hour.digits': '2',
          'storage.location.template': `${location}dt=\${dt}/hour=\${hour}/`,
        },
        storageDescriptor: {
          location,
          columns: schema.map(([column, type]) => ({ name: column, type: GLUE_TYPE[type] })),
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    });
    t.addResourceDependency(this.database);
    return t;
  }

  /** Environment variables of the lake (read by shared/config: loadTidelineConfig, loadRefreshConfig). */
  environment(): Record<string, string> {
    return { LAKE_BUCKET: this.bucket.bucketName };
  }

  /** Environment variables that make a function query the lake through Athena (loadRefreshConfig). */
  athenaEnvironment(): Record<string, string> {
    return {
      ATHENA_DATABASE: this.databaseName,
      ATHENA_WORKGROUP: this.workGroupName,
      ATHENA_OUTPUT_LOCATION: `s3://${this.resultsBucket.bucketName}/results/`,
    };
  }

  /** Grants writing and removing objects under the given top-level prefixes (e.g. `readings`, `partials`) only. */
  grantWrite(grantee: iam.IRole, prefixes: readonly string[]): void {
    for (const prefix of prefixes) grantWritePrefix(this.bucket, grantee, `${prefix}/`);
  }

  /**
   * Grants leaving change notes (`changes/…`, see shared/lake/changes.ts): PutObject there only.
   * A writer never reads or removes notes; the refresh does (grantRead and grantWrite on `changes`).
   */
  grantNoteChanges(grantee: iam.IRole): void {
    acknowledgeWildcardResource(grantee, this.bucket, `/${CHANGES_PREFIX}/*`, `Change notes are named at run time (partition, time and a random id); the grant is PutObject under ${CHANGES_PREFIX}/ only.`);
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${CHANGES_PREFIX}/*`)] }));
  }

  /** Grants reading and listing objects under the given top-level prefixes only. */
  grantRead(grantee: iam.IRole, prefixes: readonly string[]): void {
    for (const prefix of prefixes) grantReadPrefix(this.bucket, grantee, `${prefix}/`);
  }

  /**
   * Grants running Athena queries in this workgroup over the lake tables: the Athena calls on the
   * workgroup, Glue reads of this database and its tables, reads of the lake data (Athena reads S3
   * with the caller's credentials) and of the results location.
   */
  grantQuery(grantee: iam.IRole): void {
    const stack = Stack.of(this);
    const add = (s: iam.PolicyStatementProps) => grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement(s));
    add({
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
      resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroupName })],
    });
    add({
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'],
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
        ...Object.values(this.tableNames).map((t) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/${t}` })),
      ],
    });
    add({ actions: ['s3:GetBucketLocation'], resources: [this.bucket.bucketArn, this.resultsBucket.bucketArn] });
    this.grantRead(grantee, Object.values(LAKE_PREFIX));
    add({ actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], resources: [this.resultsBucket.arnForObjects('results/*')] });
    acknowledgeWildcardResource(grantee, this.resultsBucket, '/results/*', 'Athena names each query result object by its query execution id at run time; the grant covers the workgroup result prefix only.');
    add({ actions: ['s3:ListBucket', 's3:ListBucketMultipartUploads'], resources: [this.resultsBucket.bucketArn] });
  }
}
