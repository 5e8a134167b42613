/**
 * `source.minBackoff` / `source.maxBackoff` when unset (ms), written once: the schema's defaults
 * (source/config.ts), and what the checkpoint's retries use when given no setting (the router
 * gives them the source's).
 */
export const SOURCE_BACKOFF_DEFAULTS = { minBackoff: 1000, maxBackoff: 30_000 };

/** Exponential backoff with full jitter: each delay is uniform in [min, current]; current doubles up to max. */
export class Backoff {
  readonly #min: number;
  readonly #max: number;
  #current: number;

  constructor(minMs: number, maxMs: number) {
    this.#min = minMs;
    this.#max = Math.max(minMs, maxMs);
    this.#current = minMs;
  }

  next(): number {
    const ceiling = this.#current;
    this.#current = Math.min(this.#max, this.#current * 2);
    return this.#min + Math.random() * (ceiling - this.#min);
  }

  reset(): void {
    this.#current = this.#min;
  }
}
