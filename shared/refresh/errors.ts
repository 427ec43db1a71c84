import { TidelineError } from '../errors.js';

/** A partial-aggregate file in the lake cannot be read; the refresh recomputes nothing from it. */
export class PartialFileError extends TidelineError {
  constructor(
    readonly key: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`partial aggregate file ${key}: ${reason}`, options);
  }
}

/**
 * A history file (CSV or Parquet) cannot be imported. Names the file, the 1-based line (the
 * header is line 1) or, for Parquet, the 1-based row, and the column, so the user can fix it.
 */
export class HistoryFileError extends TidelineError {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly column: string | null,
    readonly reason: string,
    options?: { cause?: unknown; unit?: 'line' | 'row' },
  ) {
    const unit = options?.unit ?? 'line';
    const where = [file, line === null ? null : `${unit} ${line}`, column === null ? null : `column "${column}"`].filter(Boolean).join(', ');
    super(`${where}: ${reason}`, options);
  }
}

/** A backfill cannot start: its options contradict each other or name nothing to import. */
export class BackfillOptionsError extends TidelineError {
  constructor(
    readonly option: string,
    readonly reason: string,
  ) {
    super(`${option}: ${reason}`);
  }
}

/** A compaction manifest in the lake is unreadable; the hour is left as it is. */
export class CompactionManifestError extends TidelineError {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`compaction manifest ${key}: ${reason}`);
  }
}
