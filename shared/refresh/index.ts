export { refreshReflections, partialDayKey, PARTIALS_PREFIX, mapLimit } from './refresh.js';
export type { RefreshPorts, RefreshOptions, RefreshResult } from './refresh.js';
export { reflectionFromPartials, addHourToProfile, emptyProfilePartial } from './combine.js';
export type { ReflectionWindows, ProfilePartial, DayProfiles, MergeCarry, MergeMemo } from './combine.js';
export {
  emptyHourPartial,
  emptyPressureBins,
  addToBins,
  sketchFromBins,
  encodeDayPartials,
  decodeDayPartials,
  SKETCH_MAPPING,
  PARTIAL_COLUMNS,
} from './partials.js';
export type { HourPartial, MeasurementPartial, PressureBins, DayPartials, SketchMapping } from './partials.js';
export { hourPartialsSql, measurementPartialsSql, deviceFailuresSql, mayRepeatStreamPositions, sqlString } from './sql.js';
export type { LakeSqlSource, LakeScan } from './sql.js';
export {
  visibleLakeKeys,
  visibleHourFiles,
  resolveVisible,
  groupByHour,
  newestManifestKey,
  readManifest,
  compactedKey,
  manifestKey,
  isCompactedKey,
  isManifestKey,
  fingerprintOf,
} from './visibility.js';
export type { CompactionManifest, HourDirectory } from './visibility.js';
export { PartialFileError, HistoryFileError, BackfillOptionsError, CompactionManifestError } from './errors.js';
export { compactHour, compactClosedHours } from './compaction.js';
export type { CompactionResult, CompactClosedHoursOptions } from './compaction.js';
export { backfill, BACKFILL_TOPIC, STAGING_PREFIX } from './backfill.js';
export type { BackfillOptions, BackfillProgress, BackfillResult } from './backfill.js';
export { parseColumnMap, readingsHistorySource } from './history.js';
export type { HistorySource, HistoryReading, HistoryChunk, ColumnMap } from './history.js';
export { csvHistorySource, parseHistoryTime, parseZoneOffset, HISTORY_FORMATS } from './csv-source.js';
export type { CsvHistorySourceOptions, HistoryFormat } from './csv-source.js';
export { parquetHistorySource } from './parquet-source.js';
export type { ParquetHistorySourceOptions } from './parquet-source.js';
