import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { QueryLog } from '../../ports/index.js';
import type { QueryLogEntry } from '../../query/index.js';
import { batchPut } from './batch.js';

const HOUR_MS = 3_600_000;
/** Hours read at once by entriesBetween. */
const PARALLEL = 8;

/** Partition key: the UTC hour the query started in, e.g. 2026-11-25T06. */
export function queryLogHour(ts: number): string {
  return new Date(ts).toISOString().slice(0, 13);
}

/** The query log in DynamoDB: one partition per hour, so an hour's entries are one Query; entries expire after `retentionMs`. */
export class DynamoQueryLog implements QueryLog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionMs: number,
  ) {}

  async record(entries: readonly QueryLogEntry[]): Promise<void> {
    await batchPut(
      this.doc,
      this.table,
      entries.map((e) => ({
        hour: queryLogHour(e.startedAt),
        // Sort key by start time, then id: unique, and an hour reads back in order.
        query_id: `${String(e.startedAt).padStart(15, '0')}#${e.queryId}`,
        id: e.queryId,
        started_at: e.startedAt,
        latency_ms: e.latencyMs,
        route: e.route,
        status: e.status,
        rows: e.rows,
        slices: e.slices,
        expires_at: Math.floor((e.startedAt + this.retentionMs) / 1000),
      })),
    );
  }

  async entriesBetween(from: number, to: number): Promise<QueryLogEntry[]> {
    const hours: number[] = [];
    for (let h = Math.floor(from / HOUR_MS) * HOUR_MS; h < to; h += HOUR_MS) hours.push(h);
    const out: QueryLogEntry[] = [];
    let next = 0;
    const worker = async () => {
      while (next < hours.length) {
        const hour = queryLogHour(hours[next++]);
        let start: Record<string, unknown> | undefined;
        do {
          const res = await this.doc.send(
            new QueryCommand({ TableName: this.table, KeyConditionExpression: '#h = :h', ExpressionAttributeNames: { '#h': 'hour' }, ExpressionAttributeValues: { ':h': hour }, ExclusiveStartKey: start }),
          );
          for (const i of res.Items ?? []) {
            if (i.started_at < from || i.started_at >= to) continue;
            out.push({ queryId: i.id, startedAt: i.started_at, latencyMs: i.latency_ms, route: i.route, status: i.status, rows: i.rows, slices: i.slices });
          }
          start = res.LastEvaluatedKey;
        } while (start);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, hours.length) }, worker));
    return out;
  }
}
