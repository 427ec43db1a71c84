import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EventShapeError } from '../../shared/readings/index.js';
import { refreshReflections, type RefreshPorts, type RefreshResult } from '../../shared/refresh/index.js';
import { isScheduledEvent } from './schedule.js';

export interface RefreshDeps {
  readonly ports: RefreshPorts;
  /** How long a version's items live. @default 30 days */
  readonly reflectionTtlMs?: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Wall clock: the windows end at the start of its hour, and the age metric is measured from it. */
  readonly now?: () => number;
}

/**
 * The refresh function's handler: an EventBridge schedule tick → an incremental refresh →
 * `ReflectionAgeSeconds` (age of the version in force, namespace Tideline), published whether
 * the refresh succeeded or not, so the stale-reflection alarm sees a failing refresh.
 */
export function makeRefreshHandler(deps: RefreshDeps): (event: unknown) => Promise<RefreshResult> {
  const logger = deps.logger ?? new Logger({ serviceName: 'tideline-refresh' });
  const metrics = deps.metrics ?? new Metrics({ namespace: 'Tideline', serviceName: 'refresh' });
  const now = deps.now ?? Date.now;
  return async (event) => {
    if (!isScheduledEvent(event)) throw new EventShapeError('refresh expects an EventBridge scheduled event (source, detail-type, time)');
    const started = now();
    try {
      const result = await refreshReflections(deps.ports, {
        now: started,
        wallClock: now,
        versionTtlMs: deps.reflectionTtlMs,
        log: (message, fields) => logger.info(message, { ...fields }),
      });
      metrics.addMetric('ReflectionHoursScanned', MetricUnit.Count, result.hoursScanned);
      metrics.addMetric('ReflectionSensors', MetricUnit.Count, result.sensors);
      return result;
    } catch (e) {
      logger.error('refresh failed; the previous version stays in force', e as Error);
      throw e;
    } finally {
      const pointer = await deps.ports.reflections.currentPointer().catch(() => null);
      if (pointer) metrics.addMetric('ReflectionAgeSeconds', MetricUnit.Seconds, Math.max(0, (now() - pointer.refreshedAt) / 1000));
      metrics.publishStoredMetrics();
    }
  };
}
