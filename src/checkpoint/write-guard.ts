import { Backoff, SOURCE_BACKOFF_DEFAULTS } from '../source/backoff.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import type { CheckpointStatus } from './checkpoint-store.ts';

export interface WriteGuardOptions {
  /** First pause after a failed write; doubles (jittered) up to `maxBackoffMs` while writes keep failing. Default: the source's. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  logger: Logger;
  /** Counts writes (`eventrouter_checkpoint_writes_total`) and sets `eventrouter_checkpoint_healthy`. */
  metrics?: Metrics;
  now?: () => number;
}

/** Distinct error messages remembered per run of failures (bounded: messages may embed changing detail). */
const MAX_REMEMBERED = 32;

/**
 * Paces writes to a failing checkpoint store. The cursor is written on a timer and on every
 * acknowledgement; against a read-only volume or a forbidden ConfigMap that meant an error log
 * per attempt, several a second. After a failure the next write waits a jittered, capped backoff;
 * each distinct error is logged once (later ones at debug) until a write succeeds again. Nothing
 * is lost by skipping: the cursor only moves forward, and the next write carries the latest one.
 */
export class WriteGuard {
  readonly #log: Logger;
  readonly #metrics: Metrics | undefined;
  readonly #backoff: Backoff;
  readonly #now: () => number;
  readonly #seen = new Set<string>();
  #nextAttemptAt = 0;
  #failures = 0;
  #failingSince: number | undefined;
  #lastError: string | undefined;

  constructor(options: WriteGuardOptions) {
    this.#log = options.logger;
    this.#metrics = options.metrics;
    this.#backoff = new Backoff(options.minBackoffMs ?? SOURCE_BACKOFF_DEFAULTS.minBackoff, options.maxBackoffMs ?? SOURCE_BACKOFF_DEFAULTS.maxBackoff);
    this.#now = options.now ?? Date.now;
    this.#metrics?.checkpointHealthy.set(1);
    // Every outcome exists from the start, so that an increase() alert fires on the first one.
    for (const outcome of ['ok', 'error', 'timeout'] as const) this.#metrics?.checkpointWrites.declare({ outcome });
  }

  /** False while the backoff after a failed write runs: skip this write, a later one carries the cursor. */
  get due(): boolean {
    return this.#now() >= this.#nextAttemptAt;
  }

  /** Milliseconds until the backoff after a failed write ends (0 when a write may go now). */
  get retryInMs(): number {
    return Math.max(0, this.#nextAttemptAt - this.#now());
  }

  /** Lets the next write through at once (the last write of a shutdown must not wait out a backoff). */
  expedite(): void {
    this.#nextAttemptAt = 0;
  }

  get status(): CheckpointStatus {
    if (this.#failingSince === undefined) return { ok: true, phase: 'writing' };
    return {
      ok: false,
      phase: 'writing',
      ...(this.#lastError !== undefined ? { error: this.#lastError } : {}),
      failingSince: new Date(this.#failingSince).toISOString(),
      failures: this.#failures,
    };
  }

  succeeded(): void {
    this.#metrics?.checkpointWrites.inc({ outcome: 'ok' });
    this.#metrics?.checkpointHealthy.set(1);
    if (this.#failingSince !== undefined) {
      this.#log.info({ failures: this.#failures, failingForMs: this.#now() - this.#failingSince }, 'the checkpoint can be written again');
    }
    this.#backoff.reset();
    this.#nextAttemptAt = 0;
    this.#failures = 0;
    this.#failingSince = undefined;
    this.#lastError = undefined;
    this.#seen.clear();
  }

  /** A write failed; `timeout`: it did not return within its deadline (counted apart). */
  failed(error: unknown, outcome: 'error' | 'timeout' = 'error'): void {
    const message = error instanceof Error ? error.message : String(error);
    const now = this.#now();
    this.#metrics?.checkpointWrites.inc({ outcome });
    this.#metrics?.checkpointHealthy.set(0);
    this.#failures += 1;
    this.#failingSince ??= now;
    this.#lastError = message;
    const delay = this.#backoff.next();
    this.#nextAttemptAt = now + delay;
    const fields = { err: message, failures: this.#failures, retryInMs: Math.round(delay) };
    if (!this.#seen.has(message) && this.#seen.size < MAX_REMEMBERED) {
      this.#seen.add(message);
      this.#log.error(fields, 'cannot write the checkpoint; backing off (each distinct error is logged once until a write succeeds)');
    } else {
      this.#log.debug(fields, 'cannot write the checkpoint; backing off');
    }
  }
}
