/**
 * Stops calling something that keeps failing: after `threshold` failures in a row the circuit
 * opens for `cooldownMs`, during which {@link CircuitBreaker.allows} is false; then one call is
 * let through (half-open), and its outcome closes or re-opens the circuit.
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  #failures = 0;
  #openUntil = 0;
  #probing = false;

  constructor(options: { threshold: number; cooldownMs: number; now?: () => number }) {
    this.#threshold = options.threshold;
    this.#cooldownMs = options.cooldownMs;
    this.#now = options.now ?? Date.now;
  }

  get open(): boolean {
    return this.#failures >= this.#threshold && this.#now() < this.#openUntil;
  }

  /** Whether a call may be made now (closed, or the one half-open probe). */
  allows(): boolean {
    if (this.#failures < this.#threshold) return true;
    if (this.#now() < this.#openUntil || this.#probing) return false;
    this.#probing = true;
    return true;
  }

  success(): void {
    this.#failures = 0;
    this.#probing = false;
  }

  /** Records a failure; returns true when this one opened the circuit. */
  failure(): boolean {
    this.#probing = false;
    this.#failures += 1;
    if (this.#failures < this.#threshold) return false;
    const opening = this.#now() >= this.#openUntil;
    this.#openUntil = this.#now() + this.#cooldownMs;
    return opening;
  }
}
