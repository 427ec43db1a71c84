import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ingestBatch, type IngestConfig, type IngestPorts, type IngestResult } from '../../shared/ingest/index.js';
import { EventShapeError, isMskEvent } from '../../shared/readings/index.js';
import { isQuerySlice, runQuerySlice, sliceResultToWire, type QuerySlice, type SliceResult } from '../../shared/query/index.js';

export interface ExecutorDeps {
  readonly ports: IngestPorts;
  readonly config: IngestConfig;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Wall clock, for the freshness metric only (judgment never reads it). */
  readonly now?: () => number;
  /** Runs after each ingested batch, e.g. to flush an optional sink before Lambda freezes. */
  readonly afterBatch?: () => Promise<void>;
}

/** Query mode (a slice from the coordinator) returns the slice's partial result; an MSK batch, the ingest result. */
export interface ExecutorHandler {
  (event: QuerySlice): Promise<SliceResult>;
  (event: unknown): Promise<IngestResult>;
}

/**
 * The executor's handler, given its ports: the same function runs on Lambda (ports from the
 * environment, see handler.ts) and locally (ports wired to local stand-ins).
 * A failure of a store throws, so the event source mapping redelivers: replays are safe.
 */
export function makeExecutorHandler(deps: ExecutorDeps): ExecutorHandler {
  const logger = deps.logger ?? new Logger({ serviceName: 'tideline-executor' });
  const metrics = deps.metrics ?? new Metrics({ namespace: 'Tideline', serviceName: 'executor' });
  const now = deps.now ?? Date.now;
  return (async (event: unknown) => {
    // Lambda returns the result as JSON: number columns go as plain arrays.
    if (isQuerySlice(event)) return sliceResultToWire(await runQuerySlice(event, deps.ports.lake));
    if (!isMskEvent(event)) throw new EventShapeError('executor expects an MSK event (eventSource "aws:kafka" with records by "topic-partition")');
    const result = await ingestBatch(event, deps.ports, deps.config);
    metrics.addMetric('RecordsIn', MetricUnit.Count, result.records);
    metrics.addMetric('ReadingsProcessed', MetricUnit.Count, result.processed);
    metrics.addMetric('DeadLetters', MetricUnit.Count, result.deadLetters);
    metrics.addMetric('CriticalReadings', MetricUnit.Count, result.critical);
    metrics.addMetric('AlertsOpened', MetricUnit.Count, result.alertsOpened);
    if (result.newestEventTs !== null) metrics.addMetric('EventAgeMs', MetricUnit.Milliseconds, Math.max(0, now() - result.newestEventTs));
    metrics.publishStoredMetrics();
    if (result.deadLetters > 0) logger.warn('records dead-lettered', { deadLetters: result.deadLetters });
    logger.info('batch ingested', { ...result });
    await deps.afterBatch?.();
    return result;
  }) as ExecutorHandler;
}
