export { LAKE_PREFIX, hourPartition, hourPartitionStart, batchObjectKey } from './layout.js';
export type { LakeTable } from './layout.js';
export { encodeParquet, decodeParquet, rowsToArrow } from './parquet.js';
export type { LakeColumnType, LakeSchema } from './parquet.js';
export { DEVICE_STATUS_COLUMNS } from './device-status.js';
export type { DeviceStatusRow } from './device-status.js';
export { columnVector } from './arrow-columns.js';
export type { LakeCell } from './arrow-columns.js';
