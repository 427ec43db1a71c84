import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeadLetter } from '../../readings/index.js';
import type { DeadLetterStore } from '../../ports/index.js';
import { batchPut } from './batch.js';

/** Dead letters in DynamoDB, keyed by topic/partition and offset; kept `retentionMs` after they were written. */
export class DynamoDeadLetterStore implements DeadLetterStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async putMany(deadLetters: readonly DeadLetter[]): Promise<void> {
    await batchPut(
      this.doc,
      this.table,
      deadLetters.map((d) => ({
        ...d,
        source: `${d.topic}#${d.partition}`,
        expires_at: Math.floor((this.clock() + this.retentionMs) / 1000),
      })),
    );
  }
}
