import { SensorContext } from '../judgment/index.js';
import type { ReflectionStore } from '../ports/index.js';

/**
 * Sensor contexts of one reflection version, kept across batches of a warm function.
 * Safe because a version never changes once written; a new version replaces the cache.
 * Only a speed-up: a cold function fetches the same items and computes the same contexts.
 */
export class ReflectionCache {
  private version: string | null = null;
  private contexts = new Map<string, SensorContext>();

  constructor(
    private readonly store: ReflectionStore,
    private readonly minHistory: number,
    /** Bound on cached sensors, so a long-lived function's memory stays flat. */
    private readonly maxSensors = 200_000,
  ) {}

  async contextsFor(version: string | null, sensorIds: readonly string[]): Promise<(sensorId: string) => SensorContext> {
    if (version !== this.version || this.contexts.size > this.maxSensors) {
      this.version = version;
      this.contexts = new Map();
    }
    const missing = sensorIds.filter((id) => !this.contexts.has(id));
    if (missing.length > 0) {
      const found = version === null ? new Map() : await this.store.getReflections(version, missing);
      for (const id of missing) this.contexts.set(id, new SensorContext(found.get(id) ?? null, this.minHistory));
    }
    const contexts = this.contexts;
    return (id) => contexts.get(id) as SensorContext;
  }
}
