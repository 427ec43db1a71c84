import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AlertChange } from '../../judgment/index.js';
import type { AlertStore } from '../../ports/index.js';

/** Alerts in DynamoDB. Opens are puts and closes are updates, both keyed by stream position, so replays are harmless. */
export class DynamoAlertStore implements AlertStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    /** How long a closed alert is kept. */
    private readonly retentionMs: number,
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
            ExpressionAttributeValues: { ':closed': 'CLOSED', ':at': c.closedAt, ':exp': Math.floor((c.closedAt + this.retentionMs) / 1000) },
          }),
        );
      }
    }
  }
}
