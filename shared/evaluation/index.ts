export { BenchmarkFileError } from './errors.js';
export {
  EMPTY_CONFUSION,
  confusionOf,
  addConfusion,
  qualityOf,
  changepointDelays,
  addChangepointDelays,
  delaySummary,
} from './metrics.js';
export type { Confusion, Quality, ChangepointDelays } from './metrics.js';
export { NAB_STANDARD_PROFILE, nabProbationaryLength, nabScaledSigmoid, nabScore } from './nab.js';
export type { NabProfile, NabWindow, NabWindowResult, NabResult } from './nab.js';
export {
  DEFAULT_SKAB_COLUMN_MAP,
  SKAB_HISTORY_ROWS,
  parseColumnMap,
  parseSkab,
  parseSkabTime,
  checkColumnMap,
} from './skab.js';
export type { SkabSeries, ColumnMap } from './skab.js';
export { parseNabCsv, parseNabTime, parseNabWindows } from './nab-files.js';
export { sweepChannelCriticalZ, leaveFilesOut, consecutiveFolds } from './sweep.js';
export type { JudgedFile, SweepPoint, HeldOutFold } from './sweep.js';
export type { NabSeries } from './nab-files.js';
