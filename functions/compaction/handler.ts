import { lakeFrom } from '../../shared/adapters/index.js';
import { loadRefreshConfig } from '../../shared/config/index.js';
import { makeCompactionHandler } from './compaction.js';

// Built once per container: configuration errors fail the cold start, naming the variable.
const config = loadRefreshConfig(process.env);

/** Lambda entry: hourly EventBridge schedule → compact the previous closed hour of the lake. */
export const handler = makeCompactionHandler({ lake: lakeFrom(config), graceMs: config.compactionGraceMs, lookbackHours: config.compactionLookbackHours });
