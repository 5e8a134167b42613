/**
 * A client-side rate limit: `qps` tokens a second, bursts of up to `burst`. A caller that finds
 * the bucket empty reserves the next token and waits for it, so waiting callers are served in
 * order and the long-run rate never exceeds `qps`.
 */
export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;

  /**
   * @param qps tokens added per second (> 0)
   * @param burst bucket size; default `max(1, ceil(qps))`
   * @param now clock in ms, for tests
   */
  constructor(qps: number, burst = Math.max(1, Math.ceil(qps)), now: () => number = performance.now.bind(performance)) {
    this.#qps = qps;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#updatedAt = now();
  }

  /** Takes a token: 0 when one was free, else the ms to wait before using the reserved one. */
  take(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#updatedAt) * this.#qps) / 1000);
    this.#updatedAt = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#qps;
  }

  /** Resolves when a token is available (at once when the bucket is not empty). */
  async acquire(): Promise<void> {
    const wait = this.take();
    if (wait > 0) await new Promise<void>((resolve) => setTimeout(resolve, wait).unref());
  }
}
