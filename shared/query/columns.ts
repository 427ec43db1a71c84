import { ENRICHED_COLUMNS, type EnrichedColumn } from '../judgment/index.js';
import type { LakeColumnType } from '../lake/index.js';

/** Every column a query may name: the lake schema of judged readings, nothing else. */
export const QUERY_COLUMNS: readonly EnrichedColumn[] = ENRICHED_COLUMNS.map(([name]) => name);

const TYPES = new Map<string, LakeColumnType>(ENRICHED_COLUMNS.map(([n, t]) => [n, t]));

/** The lake type of a column. */
export function columnType(column: EnrichedColumn): LakeColumnType {
  return TYPES.get(column)!;
}

/** Columns that can be aggregated (numbers, not positions in the stream or time). */
export const METRIC_COLUMNS: readonly EnrichedColumn[] = ENRICHED_COLUMNS.filter(
  ([name, type]) => (type === 'double' || type === 'int' || type === 'bigint') && name !== 'kafka_partition' && name !== 'kafka_offset',
).map(([name]) => name);

export function isQueryColumn(v: unknown): v is EnrichedColumn {
  return typeof v === 'string' && TYPES.has(v);
}

export function isMetricColumn(v: unknown): v is EnrichedColumn {
  return typeof v === 'string' && METRIC_COLUMNS.includes(v as EnrichedColumn);
}
