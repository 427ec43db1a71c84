export { RecordValidationError, EventShapeError } from './errors.js';
export { isMskEvent, partitionBatches, toMskEvent } from './msk-event.js';
export type { MskEvent, MskRecord, RawRecord, PartitionBatch, ProducedRecord } from './msk-event.js';
export { METRICS, CHANNEL_NAME, MAX_CHANNELS } from './reading.js';
export type { Reading, Metric, RecordOrigin, DeadLetter } from './reading.js';
export { SENSOR_STATUS, SENSOR_STATUS_LIST, isSensorStatus } from './status.js';
export type { SensorStatus } from './status.js';
export { readReadingFast } from './fast-reading.js';
export { readReading, parseReading, parseEventTime, decodeBase64, EARLIEST_EVENT_TIME, MAX_FUTURE_SKEW_MS } from './validate.js';
