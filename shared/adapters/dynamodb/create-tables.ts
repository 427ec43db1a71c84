import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { TABLES, type TableName, type TableNames, type TableSpec } from './tables.js';

/**
 * Creates the tables from their specs (idempotent): how local runs and tests get exactly the
 * tables the CDK stack deploys.
 */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const [key, spec] of Object.entries(TABLES) as [TableName, TableSpec][]) {
    const attrs = new Map<string, 'S' | 'N'>();
    for (const k of [spec.partitionKey, spec.sortKey, ...(spec.globalIndexes ?? []).flatMap((g) => [g.partitionKey, g.sortKey])]) attrs.set(k.name, k.type);
    try {
      await client.send(
        new CreateTableCommand({
          TableName: names[key],
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [...attrs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
          KeySchema: [
            { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: spec.sortKey.name, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: spec.globalIndexes?.map((g) => ({
            IndexName: g.name,
            KeySchema: [
              { AttributeName: g.partitionKey.name, KeyType: 'HASH' },
              { AttributeName: g.sortKey.name, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          })),
        }),
      );
      if (spec.timeToLiveAttribute) {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: names[key],
            TimeToLiveSpecification: { AttributeName: spec.timeToLiveAttribute, Enabled: true },
          }),
        );
      }
    } catch (e) {
      if (!(e instanceof ResourceInUseException)) throw e;
    }
    await client.send(new DescribeTableCommand({ TableName: names[key] }));
  }
}
