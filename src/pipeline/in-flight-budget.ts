/**
 * Bounds the records between the source and the sinks' acknowledgements by their size in
 * bytes, not by their number: a backlog of large events then costs the same memory as one of
 * small events, and the source stops reading when the budget is spent (back-pressure, nothing
 * is dropped). One record larger than the whole budget is still admitted when nothing else is
 * in flight, so no event can block the pipeline.
 */
export class InFlightBudget {
  readonly #limit: number;
  #used = 0;
  #waiters: Array<() => void> = [];

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  get usedBytes(): number {
    return this.#used;
  }

  /** Resolves once `bytes` fit; the caller must {@link InFlightBudget.release} them later. */
  async acquire(bytes: number): Promise<void> {
    while (this.#used > 0 && this.#used + bytes > this.#limit) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    this.#used += bytes;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/**
 * What a record costs in memory, roughly: its strings count twice (UTF-16 worst case) and the
 * objects around them a fixed amount. Cheap on purpose: it runs for every record.
 */
export function estimateRecordBytes(record: { body: string; raw?: unknown }, rawBytes = 0): number {
  return 1024 + record.body.length * 2 + (record.raw === undefined ? 0 : rawBytes * 2 + 2048);
}
