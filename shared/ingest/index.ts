export { ingestBatch } from './ingest.js';
export type { IngestPorts, IngestConfig, IngestResult } from './ingest.js';
export { decodeRecords, judgeReadings, toDeadLetter } from './judge-batch.js';
export type { DecodedRecords, JudgedBatch } from './judge-batch.js';
export { ReflectionCache } from './reflection-cache.js';
export { IngestStateCache } from './state-cache.js';
export type { CommittedPartitionState } from './state-cache.js';
