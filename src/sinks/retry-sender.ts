import type { EventRecord } from '../model/event-record.ts';
import { Backoff } from '../source/backoff.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { ExportError } from './export-error.ts';
import type { ExportOutcome, Sink } from './sink.ts';

export interface RetrySenderOptions {
  sink: Sink;
  /** First retry delay (the sink's `initialBackoff`); doubles, with jitter, up to `maxBackoffMs`. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Waits `ms`, or less when `signal` aborts (`sleep` of `source/backoff.ts`; tests pass one that records the delay). */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  metrics: Metrics;
  logger: Logger;
}

/**
 * The one retry layer in front of a sink, like the Collector's exporterhelper retry sender:
 * exports a batch, and while the sink answers with a retryable {@link ExportError}, waits and
 * exports it again — for as long as it takes, since the router promises not to lose events.
 * The wait is the larger of the jittered backoff and the receiver's `Retry-After`, and the log
 * line says exactly that wait. A permanent failure is counted and logged, not retried. The
 * sink below makes a single attempt per call (no SDK retrying transport underneath).
 */
export class RetrySender {
  readonly #sink: Sink;
  readonly #backoff: Backoff;
  readonly #sleep: RetrySenderOptions['sleep'];
  readonly #metrics: Metrics;
  readonly #log: Logger;
  #failures = 0;

  constructor(options: RetrySenderOptions) {
    this.#sink = options.sink;
    this.#backoff = new Backoff(options.initialBackoffMs, options.maxBackoffMs);
    this.#sleep = options.sleep;
    this.#metrics = options.metrics;
    this.#log = options.logger.child({ component: 'sink', sink: options.sink.name });
  }

  /** Export attempts that failed since the last one that succeeded (for the sink's delivery health). */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /**
   * Sends `records` until they are delivered or permanently refused (resolves true: the batch is
   * done with), or `signal` aborts during a wait (resolves false: the batch stays unacknowledged).
   */
  async send(records: readonly EventRecord[], signal: AbortSignal): Promise<boolean> {
    const sink = this.#sink.name;
    for (;;) {
      const started = performance.now();
      const outcome = await exportSafely(this.#sink, records);
      this.#metrics.exportDuration.observe({ sink }, (performance.now() - started) / 1000);
      if (outcome.ok) {
        this.#failures = 0;
        this.#backoff.reset();
        const rejected = outcome.rejected?.records.length ?? 0;
        this.#metrics.records.inc({ sink, outcome: 'exported' }, records.length - rejected);
        if (outcome.rejected !== undefined && rejected > 0) {
          this.#metrics.records.inc({ sink, outcome: 'failed' }, rejected);
          this.#log.error(
            { err: outcome.rejected.error.message, records: rejected, dedupeKeys: outcome.rejected.records.slice(0, 20).map((r) => r.dedupeKey) },
            'sink could not write some records; they are dropped, the rest of the batch went out',
          );
        }
        return true;
      }
      const { error } = outcome;
      this.#failures += 1;
      if (!error.retryable) {
        this.#backoff.reset();
        this.#metrics.records.inc({ sink, outcome: 'failed' }, records.length);
        this.#log.error(
          { err: error.message, code: error.code, records: records.length, dedupeKeys: records.slice(0, 20).map((r) => r.dedupeKey) },
          'sink refused a batch permanently; it is not retried',
        );
        return true;
      }
      this.#metrics.exportRetries.inc({ sink });
      const delay = Math.round(Math.max(error.retryAfterMs ?? 0, this.#backoff.next()));
      this.#log.warn(
        { err: error.message, code: error.code, retryInMs: delay, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) },
        'export failed; retrying',
      );
      await this.#sleep(delay, signal);
      if (signal.aborted) return false;
    }
  }
}

/**
 * Calls `sink.export` so that a synchronous throw or a rejected promise, which the Sink contract
 * forbids but a bug or hostile input can still cause, becomes a permanent failure of that batch:
 * counted and logged by the caller, and the export loop (and so the process) lives on.
 */
export async function exportSafely(sink: Sink, records: readonly EventRecord[]): Promise<ExportOutcome> {
  try {
    return await sink.export(records);
  } catch (error) {
    const cause = error instanceof Error ? error : new Error(String(error));
    return { ok: false, error: new ExportError('E_EXPORT_THREW', cause.message, { cause }) };
  }
}
