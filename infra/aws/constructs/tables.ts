import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLES, type KeyAttribute, type TableName, type TableSpec } from '../../../shared/adapters/index.js';
import { tableEnvVar } from '../../../shared/config/index.js';
import { acknowledgeWildcardResource } from '../nag.js';

export interface TidelineTablesProps {
  /**
   * What happens to the tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN (history and reflections outlive a stack)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** How a function uses a table; grants follow from it. */
export type TableAccess = 'read' | 'write' | 'readWrite';

function attribute(a: KeyAttribute): dynamodb.Attribute {
  return { name: a.name, type: a.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER };
}

/**
 * The DynamoDB tables, one per spec in shared/adapters TABLES (the same specs local runs and tests
 * create in DynamoDB Local), so a table added there appears here with nothing else to change:
 * on-demand, point-in-time recovery, TTL where the spec names an expiry attribute, encryption with
 * the AWS-managed key, and the spec's global indexes.
 */
export class TidelineTables extends Construct {
  readonly tables: { readonly [K in TableName]: dynamodb.Table };

  constructor(scope: Construct, id: string, props: TidelineTablesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const tables = {} as Record<TableName, dynamodb.Table>;
    for (const [name, spec] of Object.entries(TABLES) as [TableName, TableSpec][]) {
      const table = new dynamodb.Table(this, spec.id, {
        partitionKey: attribute(spec.partitionKey),
        sortKey: attribute(spec.sortKey),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        timeToLiveAttribute: spec.timeToLiveAttribute,
        removalPolicy,
      });
      for (const index of spec.globalIndexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: attribute(index.partitionKey),
          sortKey: attribute(index.sortKey),
          projectionType: dynamodb.ProjectionType.ALL,
        });
      }
      tables[name] = table;
    }
    this.tables = tables;
  }

  /** Environment variables naming every table, as shared/config's loadTidelineConfig reads them. */
  environment(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, table] of Object.entries(this.tables) as [TableName, dynamodb.Table][]) env[tableEnvVar(name)] = table.tableName;
    return env;
  }

  /** Grants `grantee` exactly the access it needs, table by table; tables not listed stay closed to it. */
  grant(grantee: iam.IRole, access: Partial<Record<TableName, TableAccess>>): void {
    for (const [name, how] of Object.entries(access) as [TableName, TableAccess][]) {
      const table = this.tables[name];
      const indexes = (TABLES[name] as TableSpec).globalIndexes ?? [];
      if (indexes.length > 0 && how !== 'write') {
        acknowledgeWildcardResource(grantee, table, '/index/*', `Queries the table's global indexes (${indexes.map((i) => i.name).join(', ')}), all defined with the table in shared/adapters TABLES; the CDK grant names them as index/*.`);
      }
      if (how === 'read') table.grantReadData(grantee);
      else if (how === 'write') table.grantWriteData(grantee);
      else table.grantReadWriteData(grantee);
    }
  }
}
