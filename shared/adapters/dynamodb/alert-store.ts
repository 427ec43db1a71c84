import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Alert, AlertChange } from '../../judgment/index.js';
import type { AlertReader, AlertStore } from '../../ports/index.js';

/** Alerts in DynamoDB. Opens are puts and closes are updates, both keyed by stream position, so replays are harmless. */
export class DynamoAlertStore implements AlertStore, AlertReader {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    /** How long a closed alert is kept after it was closed (processing time). */
    private readonly retentionMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async apply(changes: readonly AlertChange[]): Promise<void> {
    // In order: an alert may open and close within one batch.
    for (const c of changes) {
      if (c.type === 'opened') {
        await this.doc.send(new PutCommand({ TableName: this.table, Item: { ...c.alert } }));
      } else {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { sensor_id: c.sensorId, alert_id: c.alertId },
            UpdateExpression: 'SET #s = :closed, closed_at = :at, expires_at = :exp',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':closed': 'CLOSED', ':at': c.closedAt, ':exp': Math.floor((this.clock() + this.retentionMs) / 1000) },
          }),
        );
      }
    }
  }

  /** Open alerts newest first, from the by-status index. */
  async openAlerts(limit: number): Promise<Alert[]> {
    return this.queryAll({ IndexName: 'by-status', KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'OPEN' }, ScanIndexForward: false }, limit);
  }

  /** Closed alerts opened since `since`, newest first, from the by-status index. */
  async recentlyClosedAlerts(since: number, limit: number): Promise<Alert[]> {
    return this.queryAll(
      {
        IndexName: 'by-status',
        KeyConditionExpression: '#s = :s AND opened_at >= :since',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': 'CLOSED', ':since': since },
        ScanIndexForward: false,
      },
      limit,
    );
  }

  async openAlertsOf(sensorId: string): Promise<Alert[]> {
    const alerts = await this.queryAll(
      { KeyConditionExpression: 'sensor_id = :id', FilterExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':id': sensorId, ':s': 'OPEN' } },
      Number.MAX_SAFE_INTEGER,
    );
    return alerts.sort((a, b) => b.opened_at - a.opened_at);
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>, limit: number): Promise<Alert[]> {
    const out: Alert[] = [];
    let start: QueryCommandInput['ExclusiveStartKey'];
    do {
      const res = await this.doc.send(new QueryCommand({ ...input, TableName: this.table, ExclusiveStartKey: start, Limit: input.FilterExpression ? undefined : Math.min(1000, limit - out.length) }));
      for (const { expires_at: _e, ...item } of (res.Items ?? []) as Record<string, unknown>[]) out.push(item as unknown as Alert);
      start = res.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out.slice(0, limit);
  }
}
