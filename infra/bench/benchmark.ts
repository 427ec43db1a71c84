/** One measured figure, printed beside its target. */
export interface Figure {
  /** Dotted name, e.g. executor.readings_per_s: one of BENCH_FIGURES. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The target as text, e.g. ">= 1000000" or "<= 0.5"; "reported" when there is none to meet. */
  readonly target: string;
}

export interface BenchOptions {
  /** Smaller inputs, so the whole run stays under a minute. */
  readonly quick: boolean;
  /** Progress lines (stderr); figures are returned, not printed. */
  readonly log: (line: string) => void;
}

/** A benchmark: a file infra/bench/<name>.bench.ts whose default export is this. */
export interface Benchmark {
  readonly title: string;
  run(options: BenchOptions): Promise<Figure[]>;
}

/**
 * Every figure `npm run bench` reports, with its unit and target, as the issues name them
 * (issue 3 executor, 4 refresh and backfill, 5 query, 7 freshness). `--json` prints exactly these
 * names; a benchmark builds its figures with `figure()` so units and targets are stated once.
 */
export const BENCH_FIGURES = {
  /** Decode → validate → every enriched column, no I/O, one core. */
  'executor.readings_per_s': { unit: 'readings/s/core', target: '>= 1000000' },
  /** Our time ÷ DuckDB's (1 thread) for the same 10,000-record event. */
  'executor.vs_duckdb': { unit: 'ratio', target: '<= 0.5' },
  'executor.peak_heap_mb': { unit: 'MB', target: 'reported' },
  /** Refresh after one new hour ÷ a full 30-day rebuild. */
  'refresh.incremental_vs_full': { unit: 'ratio', target: '<= 0.02' },
  'backfill.rows_per_s': { unit: 'rows/s', target: 'reported' },
  /** The headline query through HTTP, as Arrow. */
  'query.p95_ms': { unit: 'ms', target: '<= 50' },
  /** Our p95 ÷ in-process DuckDB's on the same data. */
  'query.vs_duckdb': { unit: 'ratio', target: '<= 2' },
  /** Produce → queryable through the API. */
  'freshness.p95_ms': { unit: 'ms', target: '<= 1000' },
} as const satisfies Record<string, { unit: string; target: string }>;

export type BenchFigureName = keyof typeof BENCH_FIGURES;

export const BENCH_FIGURE_NAMES = Object.keys(BENCH_FIGURES) as BenchFigureName[];

/** Wall-clock budgets of a whole run on a 2-core machine. */
export const BENCH_BUDGET_MS = { full: 10 * 60_000, quick: 60_000 } as const;

/** A figure with the unit and target BENCH_FIGURES gives its name. */
export function figure(name: BenchFigureName, value: number): Figure {
  const { unit, target } = BENCH_FIGURES[name];
  return { name, value, unit, target };
}

/** Whether a figure meets its target (">= x" or "<= x"); null when the target is not a bound. */
export function meetsTarget(f: Figure): boolean | null {
  const m = /^\s*(>=|<=)\s*([0-9.eE+-]+)/.exec(f.target);
  if (!m) return null;
  return m[1] === '>=' ? f.value >= Number(m[2]) : f.value <= Number(m[2]);
}

/** Expected figures nobody measured, and measured ones no issue names. */
export function checkFigures(figures: readonly Figure[], expected: readonly string[] = BENCH_FIGURE_NAMES): { missing: string[]; unknown: string[] } {
  const names = new Set(figures.map((f) => f.name));
  return {
    missing: expected.filter((n) => !names.has(n)),
    unknown: [...names].filter((n) => !(n in BENCH_FIGURES)),
  };
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(4)));
}

function verdict(ok: boolean | null): string {
  return ok === null ? '' : ok ? 'met' : 'NOT MET';
}

/**
 * The table `npm run bench` prints: each figure beside its target and whether it is met, in
 * BENCH_FIGURES order (then any others); expected figures not measured are listed as such.
 */
export function benchTable(figures: readonly Figure[], missing: readonly string[] = []): string {
  const order = (n: string) => {
    const i = BENCH_FIGURE_NAMES.indexOf(n as BenchFigureName);
    return i < 0 ? BENCH_FIGURE_NAMES.length : i;
  };
  const rows = [
    ...figures.map((f) => ({ name: f.name, cells: [f.name, formatValue(f.value), f.unit, f.target, verdict(meetsTarget(f))] })),
    ...missing.map((n) => {
      const spec = BENCH_FIGURES[n as BenchFigureName];
      return { name: n, cells: [n, '—', spec?.unit ?? '', spec?.target ?? '', 'not measured'] };
    }),
  ].sort((a, b) => order(a.name) - order(b.name));
  const head = ['figure', 'value', 'unit', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i].length)));
  return [head, ...rows.map((r) => r.cells)].map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/**
 * Peak V8 heap while some work runs: sampled on a timer (for asynchronous work) and wherever the
 * work calls `sample()` (synchronous loops give timers no turn). Start it after warm-up.
 */
export class HeapPeak {
  private peak = process.memoryUsage().heapUsed;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 5) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const used = process.memoryUsage().heapUsed;
    if (used > this.peak) this.peak = used;
  }

  /** Stops sampling; the peak heap in MB. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.peak / (1024 * 1024);
  }
}
