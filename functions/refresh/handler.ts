import { loadRefreshConfig } from '../../shared/config/index.js';
import { refreshPortsFrom } from './ports.js';
import { makeRefreshHandler } from './refresh.js';

// Built once per container: configuration errors fail the cold start, naming the variable.
const config = loadRefreshConfig(process.env);

/** Lambda entry: EventBridge schedule → incremental reflection refresh. */
export const handler = makeRefreshHandler({ ports: refreshPortsFrom(config), reflectionTtlMs: config.reflectionTtlMs });
