export {
  AthenaSqlEngine,
  AthenaQueryError,
  AthenaQueryFailedError,
  AthenaQueryCancelledError,
  AthenaQueryTimeoutError,
} from './athena-sql-engine.js';
export type { AthenaSqlEngineOptions } from './athena-sql-engine.js';
