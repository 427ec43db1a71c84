import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  type BatchWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { settleAll } from '../../async.js';

/** The document client every DynamoDB adapter shares (plain JS values in and out). */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

const MAX_GET = 100;
const MAX_WRITE = 25;
const MAX_ATTEMPTS = 8;
/** How many batch requests one adapter call keeps in flight. */
const PARALLEL = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inParallel<T>(items: readonly T[], size: number, fn: (chunk: T[]) => Promise<void>): Promise<void> {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) await fn(chunks[next++]);
  };
  await settleAll(Array.from({ length: Math.min(PARALLEL, chunks.length) }, worker));
}

/**
 * BatchGetItem over any number of keys, retrying unprocessed keys with backoff. `consistentRead`
 * costs twice the read units; for items that must be there, just written by another process.
 */
export async function batchGet(
  doc: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, unknown>[],
  options: { readonly consistentRead?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  await inParallel(keys, MAX_GET, async (chunk) => {
    let pending: Record<string, unknown>[] = chunk;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`BatchGetItem on ${table}: ${pending.length} keys still unprocessed after ${MAX_ATTEMPTS} attempts`);
      if (attempt > 0) await sleep(25 * 2 ** attempt);
      const res = await doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: options.consistentRead } } }));
      out.push(...((res.Responses?.[table] ?? []) as Record<string, unknown>[]));
      pending = (res.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
    }
  });
  return out;
}

/** BatchWriteItem (puts) over any number of items, retrying unprocessed items with backoff. */
export async function batchPut(doc: DynamoDBDocumentClient, table: string, items: readonly Record<string, unknown>[]): Promise<void> {
  await inParallel(items, MAX_WRITE, async (chunk) => {
    let pending: NonNullable<BatchWriteCommandInput['RequestItems']>[string] = chunk.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`BatchWriteItem on ${table}: ${pending.length} items still unprocessed after ${MAX_ATTEMPTS} attempts`);
      if (attempt > 0) await sleep(25 * 2 ** attempt);
      const res = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = res.UnprocessedItems?.[table] ?? [];
    }
  });
}
