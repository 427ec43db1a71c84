export { stringVar, optionalStringVar, numberVar } from './env.js';
export type { Env } from './env.js';
export { loadTidelineConfig, tableEnvVar } from './tideline-config.js';
export type { TidelineConfig } from './tideline-config.js';
export { loadRefreshConfig } from './refresh-config.js';
export type { RefreshConfig } from './refresh-config.js';
