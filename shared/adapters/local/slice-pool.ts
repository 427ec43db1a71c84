import type { SliceInvoker } from '../../ports/index.js';
import type { QuerySlice, SliceResult } from '../../query/index.js';

/**
 * Runs slices in this process, at most `size` at once: the local stand-in for fanning out to
 * executor functions. `run` is the executor's query mode (runQuerySlice over the lake).
 * Slices queue in arrival order; a queued slice whose query was given up never starts.
 */
export class LocalSlicePool implements SliceInvoker {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    private readonly run: (slice: QuerySlice) => Promise<SliceResult>,
    readonly size: number,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`pool size must be a positive integer, got ${size}`);
  }

  async invoke(slice: QuerySlice, options: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<SliceResult> {
    // A finishing slice hands its place straight to the next in the queue, so at most `size` run.
    if (this.running < this.size) this.running++;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    try {
      if (options.signal?.aborted) throw new Error(`slice ${slice.sliceId} not started: its query was given up`);
      return await this.run(slice);
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}
