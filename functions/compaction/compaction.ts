import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ObjectStore } from '../../shared/ports/index.js';
import { EventShapeError } from '../../shared/readings/index.js';
import { compactClosedHours, type CompactionResult } from '../../shared/refresh/index.js';
import { isScheduledEvent } from '../refresh/schedule.js';

export interface CompactionDeps {
  readonly lake: ObjectStore;
  /** @default 10 minutes */
  readonly graceMs?: number;
  /** @default 48 */
  readonly lookbackHours?: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/**
 * The compaction function's handler: an hourly EventBridge tick → compact the previous closed
 * hour (and hours late readings reopened). The tick's own time is the clock, so a retried event
 * compacts the same hours.
 */
export function makeCompactionHandler(deps: CompactionDeps): (event: unknown) => Promise<CompactionResult[]> {
  const logger = deps.logger ?? new Logger({ serviceName: 'tideline-compaction' });
  const metrics = deps.metrics ?? new Metrics({ namespace: 'Tideline', serviceName: 'compaction' });
  return async (event) => {
    if (!isScheduledEvent(event)) throw new EventShapeError('compaction expects an EventBridge scheduled event (source, detail-type, time)');
    const results = await compactClosedHours(deps.lake, { now: Date.parse(event.time), graceMs: deps.graceMs, lookbackHours: deps.lookbackHours });
    const done = results.filter((r) => r.compacted);
    metrics.addMetric('HoursCompacted', MetricUnit.Count, done.length);
    metrics.addMetric('FilesCompacted', MetricUnit.Count, done.reduce((s, r) => s + r.files, 0));
    metrics.publishStoredMetrics();
    logger.info('compaction done', { hours: done.map((r) => ({ dir: r.dir, files: r.files, rows: r.rows })) });
    return results;
  };
}
