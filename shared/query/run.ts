import { randomUUID } from 'node:crypto';
import type { ObjectStore, SliceInvoker } from '../ports/index.js';
import { QueryError, SliceFailedError, SliceTimeoutError } from './errors.js';
import { mergeSliceResults, type QueryResult } from './merge.js';
import { listLakeFiles, planSlices, type QuerySlice } from './plan.js';
import type { SliceResult } from './slice.js';
import type { QuerySpec } from './spec.js';

export interface QueryPorts {
  readonly lake: ObjectStore;
  readonly invoker: SliceInvoker;
}

export interface RunOptions {
  /** The query's whole time budget (QueryLimits.maxQueryMs). */
  readonly maxQueryMs: number;
  readonly queryId?: string;
  readonly now?: () => number;
}

class AttemptTimeout extends Error {}

/**
 * Runs a validated query: plans it into slices over the lake's hour partitions, fans them out
 * through the invoker (Lambda Invoke on AWS, a bounded pool locally) and merges the partial
 * results. A slice that fails or times out is retried once; a second failure fails the whole
 * query with an error naming the slice: never a silently partial answer.
 */
export async function runQuery(spec: QuerySpec, ports: QueryPorts, options: RunOptions): Promise<QueryResult & { readonly queryId: string }> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.maxQueryMs;
  const queryId = options.queryId ?? randomUUID();
  const files = await listLakeFiles(ports.lake, spec.from, spec.to);
  const slices = planSlices(spec, files, queryId);
  const controller = new AbortController();
  try {
    const results = await Promise.all(slices.map((s) => runWithRetry(s, ports.invoker, { deadline, now, signal: controller.signal, maxQueryMs: options.maxQueryMs })));
    // Assigned, not spread: a spread would read a rows result's values, which are made only when read.
    return Object.assign(mergeSliceResults(spec, results), { queryId });
  } finally {
    // One failed slice fails the query: stop waiting for the others.
    controller.abort();
  }
}

interface Budget {
  readonly deadline: number;
  readonly now: () => number;
  readonly signal: AbortSignal;
  readonly maxQueryMs: number;
}

async function runWithRetry(slice: QuerySlice, invoker: SliceInvoker, { deadline, now, signal, maxQueryMs }: Budget): Promise<SliceResult> {
  let lastError: unknown;
  let timedOut = false;
  for (let attempt = 1; attempt <= 2; attempt++) {
    const remaining = deadline - now();
    if (remaining <= 0 || signal.aborted) break;
    try {
      return await withTimeout(invoker.invoke(slice, { timeoutMs: remaining, signal }), remaining);
    } catch (e) {
      // A query-level verdict (e.g. a limit) is not a slice failure: no retry.
      if (e instanceof QueryError) throw e;
      lastError = e;
      timedOut = e instanceof AttemptTimeout;
    }
  }
  if (timedOut || lastError === undefined) throw new SliceTimeoutError(slice.sliceId, slice.describedAs, maxQueryMs);
  throw new SliceFailedError(slice.sliceId, slice.describedAs, lastError);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
