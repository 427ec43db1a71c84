/** One measured figure, printed beside its target. */
export interface Figure {
  /** Dotted name, e.g. executor.readings_per_s. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The target as text, e.g. ">= 1000000" or "<= 0.5". */
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

/** Whether a figure meets its target (">= x" or "<= x"). */
export function meetsTarget(f: Figure): boolean | null {
  const m = /^\s*(>=|<=)\s*([0-9.eE+-]+)/.exec(f.target);
  if (!m) return null;
  return m[1] === '>=' ? f.value >= Number(m[2]) : f.value <= Number(m[2]);
}
