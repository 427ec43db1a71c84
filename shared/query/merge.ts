import type { LakeColumnType } from '../lake/index.js';
import { columnType } from './columns.js';
import type { CellValue, ColumnValues, Utf8Layout } from './columnar.js';
import { gatherNumbers, gatherUtf8, gatherValues, planGather } from './gather.js';
import { QueryLimitError } from './errors.js';
import { compareKeys, emptyMetricPartial, finalAggregate, fromWire, mergeMetricPartial, type GroupPartial } from './partial.js';
import { compareOrder, type SliceResult } from './slice.js';
import { QUANTILES, TIME_BUCKETS, type GroupKey, type QuerySpec } from './spec.js';

/** A result column: its name and lake type (which fixes its Arrow and JSON form). */
export interface ResultColumn {
  readonly name: string;
  readonly type: LakeColumnType;
}

/** A query's answer, column by column. */
export interface QueryResult {
  readonly columns: readonly ResultColumn[];
  /** One array per column, all `rowCount` long (a Float64Array for numbers without nulls). Timestamps are epoch ms. */
  readonly values: readonly ColumnValues[];
  readonly rowCount: number;
  /** Rows mode: more rows matched than `limit`; the first `limit` in order are returned. */
  readonly truncated: boolean;
  readonly stats: { readonly slices: number; readonly filesRead: number; readonly rowsScanned: number };
  /**
   * The columns as the Arrow encoder takes them, when the result can make them more directly than
   * `values`: a rows result copies string columns straight into Arrow's UTF-8 layout (and then
   * makes `values` only if something reads it, e.g. the JSON encoder). Absent: use `values`.
   */
  readonly arrowColumns?: () => readonly (ColumnValues | Utf8Layout)[];
}

const GROUP_COLUMN: Record<GroupKey, ResultColumn> = {
  sensor: { name: 'sensor_id', type: 'string' },
  minute: { name: 'bucket', type: 'timestamp' },
  hour: { name: 'bucket', type: 'timestamp' },
  day: { name: 'bucket', type: 'timestamp' },
  hour_of_day: { name: 'hour_of_day', type: 'int' },
  classification: { name: 'anomaly_classification', type: 'string' },
};

/** The columns an aggregates result has: group keys, then `count`, then `<metric>_<aggregate>`. */
export function aggregateColumns(spec: QuerySpec): ResultColumn[] {
  const out = spec.groupBy.map((g) => GROUP_COLUMN[g]);
  if (spec.aggregates.includes('count')) out.push({ name: 'count', type: 'bigint' });
  for (const m of spec.metrics) for (const a of spec.aggregates) if (a !== 'count') out.push({ name: `${m}_${a}`, type: 'double' });
  return out;
}

/**
 * Merges the slices' partial aggregates exactly into the final groups (ordered by key), or the
 * slices' ordered rows into the first `limit` rows overall. Slices are merged in id order, so the
 * same plan always gives the same bits.
 */
export function mergeSliceResults(spec: QuerySpec, results: readonly SliceResult[]): QueryResult {
  const stats = {
    slices: results.length,
    filesRead: results.reduce((s, r) => s + r.filesRead, 0),
    rowsScanned: results.reduce((s, r) => s + r.rowsScanned, 0),
  };
  return spec.select === 'rows' ? mergeRows(spec, results, stats) : mergeGroups(spec, results, stats);
}

function tooManyGroups(spec: QuerySpec, found: number): QueryLimitError {
  const finest = spec.groupBy.find((g) => g in TIME_BUCKETS);
  const hint = finest === 'minute' ? 'group by hour instead of minute, ' : finest === 'hour' ? 'group by day instead of hour, ' : '';
  return new QueryLimitError(
    'maxRows (TIDELINE_QUERY_MAX_ROWS)',
    'group_by',
    `the grouping gives more than ${spec.limit} groups (at least ${found}); ${hint}narrow the time range or the sensors`,
  );
}

function mergeGroups(spec: QuerySpec, results: readonly SliceResult[], stats: QueryResult['stats']): QueryResult {
  const withSketch = spec.aggregates.some((a) => a in QUANTILES);
  const groups = new Map<string, GroupPartial>();
  for (const r of results) {
    if (r.kind !== 'aggregates') throw new Error(`slice ${r.sliceId} returned ${r.kind}, expected aggregates`);
    if (r.tooManyGroups !== null) throw tooManyGroups(spec, r.tooManyGroups);
    for (const wire of r.groups) {
      const id = JSON.stringify(wire.key);
      const g = groups.get(id);
      if (!g) {
        groups.set(id, fromWire(wire));
        continue;
      }
      const part = fromWire(wire);
      g.count += part.count;
      part.metrics.forEach((m, i) => mergeMetricPartial(g.metrics[i], m));
    }
    if (groups.size > spec.limit) throw tooManyGroups(spec, groups.size);
  }
  // SQL gives one row for an ungrouped aggregate even over no readings.
  if (spec.groupBy.length === 0 && groups.size === 0) groups.set('', { key: [], count: 0, metrics: spec.metrics.map(() => emptyMetricPartial(withSketch)) });
  const ordered = [...groups.values()].sort((a, b) => compareKeys(a.key, b.key));
  const columns = aggregateColumns(spec);
  const values: CellValue[][] = columns.map(() => new Array(ordered.length));
  ordered.forEach((g, row) => {
    let c = 0;
    for (const k of g.key) values[c++][row] = k;
    if (spec.aggregates.includes('count')) values[c++][row] = g.count;
    g.metrics.forEach((m) => {
      for (const a of spec.aggregates) if (a !== 'count') values[c++][row] = finalAggregate(m, a);
    });
  });
  return { columns, values, rowCount: ordered.length, truncated: false, stats };
}

function mergeRows(spec: QuerySpec, results: readonly SliceResult[], stats: QueryResult['stats']): QueryResult {
  const columns = spec.columns.map((name) => ({ name, type: columnType(name) }));
  const parts = [...results].sort((a, b) => (a.sliceId < b.sliceId ? -1 : 1)).map((r) => {
    if (r.kind !== 'rows') throw new Error(`slice ${r.sliceId} returned ${r.kind}, expected rows`);
    return r;
  });
  const matched = parts.reduce((sum, r) => sum + r.matched, 0);
  const n = Math.min(spec.limit, parts.reduce((sum, r) => sum + r.order.ts.length, 0));
  // Where each part's values are: the files' columns it picked rows from (in process), or its
  // own values (from a Lambda Invoke) as one source. All sources in one list, each part's from `base`.
  const sources: (readonly (ColumnValues | null)[])[] = [];
  const picks = parts.map((p) => {
    const base = sources.length;
    if (p.picked) {
      sources.push(...p.picked.files);
      return { base, fromFile: p.picked.fromFile, fromRow: p.picked.fromRow };
    }
    sources.push(p.values!);
    const count = p.order.ts.length;
    return { base, fromFile: new Int32Array(count), fromRow: Int32Array.from({ length: count }, (_, i) => i) };
  });
  // k-way merge of the slices' ordered rows, up to the limit: first which row comes from where,
  // then each column gathered in one pass (one kind of value per loop).
  const fromSource = new Int32Array(n);
  const fromRow = new Int32Array(n);
  const k = parts.length;
  const at = new Int32Array(k);
  const orders = parts.map((p) => p.order);
  const length = Int32Array.from(orders, (o) => o.ts.length);
  // Each slice's next event time, +Infinity once it is used up: most steps are decided on time alone.
  const head = Float64Array.from(orders, (o) => (o.ts.length > 0 ? o.ts[0] : Infinity));
  for (let r = 0; r < n; r++) {
    let best = 0;
    let bestTs = head[0];
    for (let p = 1; p < k; p++) {
      const t = head[p];
      if (t < bestTs) {
        best = p;
        bestTs = t;
      } else if (t === bestTs && t !== Infinity && compareOrder(orders[p], at[p], orders[best], at[best]) < 0) best = p;
    }
    const i = at[best]++;
    const pick = picks[best];
    fromSource[r] = pick.base + pick.fromFile[i];
    fromRow[r] = pick.fromRow[i];
    head[best] = i + 1 < length[best] ? orders[best].ts[i + 1] : Infinity;
  }
  const plan = planGather(sources.length, fromSource, fromRow);
  const text = (c: number) => columns[c].type === 'string' || columns[c].type === 'boolean';
  const column = (c: number) => (text(c) ? gatherValues : gatherNumbers)(sources.map((s) => s[c]), plan);
  let values: ColumnValues[] | undefined;
  return {
    columns,
    // Made on first read: the Arrow encoder does not need them (arrowColumns).
    get values() {
      return (values ??= columns.map((_, c) => column(c)));
    },
    rowCount: n,
    truncated: matched > n,
    stats,
    arrowColumns: () => columns.map((col, c) => (col.type === 'string' ? gatherUtf8(sources.map((s) => s[c]), plan) : null) ?? column(c)),
  };
}
