import type { EventRecord } from '../model/event-record.ts';
import { Backoff } from '../source/backoff.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { ExportError } from './export-error.ts';
import type { SinkTally } from './sink-result.ts';
import type { EncodedItem, ExportOutcome, Sink, SinkItem } from './sink.ts';

export interface RetrySenderOptions {
  sink: Sink<SinkItem>;
  /** First retry delay (the sink's `initialBackoff`); doubles, with jitter, up to `maxBackoffMs`. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /**
   * Best-effort sinks: a batch still failing this long after its first attempt is dropped and
   * counted (the Collector's `max_elapsed_time`). Unset: retried until delivered (required sinks).
   */
  maxElapsedMs?: number | undefined;
  /** Waits `ms`, or less when `signal` aborts (`sleep` of `source/backoff.ts`; tests pass one that records the delay). */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The clock (epoch ms) for `maxElapsedMs` and the health figures; tests pass one their `sleep` advances. */
  now?: () => number;
  metrics: Metrics;
  logger: Logger;
  /** Where the sink's lane counts what became of its records (see SinkTally). */
  tally?: SinkTally | undefined;
}

/** How the last exports went, for `/readyz` and the per-sink gauges (see SinkQueue.health). */
export interface SenderHealth {
  /** When an export last succeeded (epoch ms). */
  lastSuccessAt: number | undefined;
  /** Failed attempts since the last success. */
  consecutiveFailures: number;
}

/** How many dedupe keys a log line lists at most. */
const LOGGED_KEYS = 20;

/**
 * The one retry layer in front of a sink, like the Collector's exporterhelper retry sender:
 * exports a batch, and while the sink answers with a retryable {@link ExportError}, waits and
 * exports it again — for as long as it takes for a required sink, since the router promises not
 * to lose its events; up to `maxElapsedMs` for a best-effort one. The wait is the larger of the
 * jittered backoff and the receiver's `Retry-After`, and the log line says exactly that wait. A
 * permanent failure is counted and logged, not retried. A batch refused as too large is halved
 * and each half sent on its own (recursively): only a record too large by itself is dropped,
 * named and counted. The sink below makes a single attempt per call (no SDK retrying transport).
 */
export class RetrySender {
  readonly #sink: Sink<SinkItem>;
  readonly #backoff: Backoff;
  readonly #sleep: RetrySenderOptions['sleep'];
  readonly #now: () => number;
  readonly #maxElapsedMs: number | undefined;
  readonly #metrics: Metrics;
  readonly #tally: SinkTally | undefined;
  readonly #log: Logger;
  readonly health: SenderHealth = { lastSuccessAt: undefined, consecutiveFailures: 0 };

  constructor(options: RetrySenderOptions) {
    this.#sink = options.sink;
    this.#backoff = new Backoff(options.initialBackoffMs, options.maxBackoffMs);
    this.#sleep = options.sleep;
    this.#now = options.now ?? Date.now;
    this.#maxElapsedMs = options.maxElapsedMs;
    this.#metrics = options.metrics;
    this.#tally = options.tally;
    this.#log = options.logger.child({ component: 'sink', sink: options.sink.name });
  }

  /**
   * Sends `records` until they are delivered, permanently refused or (best-effort) given up on
   * (resolves true: the batch is done with), or `signal` aborts during a wait (resolves false:
   * the batch stays unacknowledged, including halves of it that were already delivered).
   */
  send(records: readonly SinkItem[], signal: AbortSignal): Promise<boolean> {
    const giveUpAt = this.#maxElapsedMs === undefined ? Number.POSITIVE_INFINITY : this.#now() + this.#maxElapsedMs;
    return this.#send(records, signal, giveUpAt, 0);
  }

  async #send(records: readonly SinkItem[], signal: AbortSignal, giveUpAt: number, depth: number): Promise<boolean> {
    const sink = this.#sink.name;
    for (;;) {
      const started = performance.now();
      const outcome = await exportSafely(this.#sink, records);
      this.#metrics.exportDuration.observe({ sink }, (performance.now() - started) / 1000);
      if (outcome.ok) {
        this.#backoff.reset();
        this.health.lastSuccessAt = this.#now();
        this.health.consecutiveFailures = 0;
        const rejected = outcome.rejected?.count ?? outcome.rejected?.records.length ?? 0;
        this.#metrics.records.inc({ sink, outcome: 'exported' }, records.length - rejected);
        if (this.#tally) this.#tally.delivered += records.length - rejected;
        if (outcome.rejected !== undefined && rejected > 0) {
          this.#metrics.records.inc({ sink, outcome: 'failed' }, rejected);
          if (this.#tally) this.#tally.failed += rejected;
          this.#log.error(
            { err: outcome.rejected.error.message, records: rejected, dedupeKeys: keys(outcome.rejected.records) },
            'sink could not write some records; they are dropped, the rest of the batch went out',
          );
        }
        return true;
      }
      const { error } = outcome;
      if (error.code === 'E_EXPORT_TOO_LARGE') return this.#split(records, error, signal, giveUpAt, depth);
      this.health.consecutiveFailures += 1;
      if (!error.retryable) {
        this.#backoff.reset();
        this.#metrics.records.inc({ sink, outcome: 'failed' }, records.length);
        if (this.#tally) this.#tally.failed += records.length;
        this.#log.error(
          { err: error.message, code: error.code, records: records.length, dedupeKeys: keys(records) },
          'sink refused a batch permanently; it is not retried',
        );
        return true;
      }
      const delay = Math.round(Math.max(error.retryAfterMs ?? 0, this.#backoff.next()));
      if (this.#now() + delay > giveUpAt) {
        // Best-effort: the outage outlasted maxElapsedTime. Dropping the batch frees the queue
        // for newer records (which the queue itself would otherwise drop, oldest first).
        this.#backoff.reset();
        this.#metrics.records.inc({ sink, outcome: 'dropped' }, records.length);
        if (this.#tally) this.#tally.dropped += records.length;
        this.#log.error(
          { err: error.message, code: error.code, records: records.length, maxElapsedMs: this.#maxElapsedMs, dedupeKeys: keys(records) },
          'best-effort sink still failing after maxElapsedTime; the batch is dropped',
        );
        return true;
      }
      this.#metrics.exportRetries.inc({ sink });
      this.#log.warn(
        { err: error.message, code: error.code, retryInMs: delay, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) },
        'export failed; retrying',
      );
      await this.#sleep(delay, signal);
      if (signal.aborted) return false;
    }
  }

  /**
   * The receiver refused the request as too large: each half is sent on its own (and halved
   * again if need be). The batch is done with only once both halves are, so the checkpoint
   * never passes a half still on its way. A single record too large on its own is dropped.
   */
  async #split(records: readonly SinkItem[], error: ExportError, signal: AbortSignal, giveUpAt: number, depth: number): Promise<boolean> {
    const sink = this.#sink.name;
    if (records.length === 1) {
      this.#metrics.records.inc({ sink, outcome: 'too_large' });
      if (this.#tally) this.#tally.failed += 1;
      this.#log.error(
        { err: error.message, ...identify(records[0] as SinkItem) },
        'the receiver refuses this record as too large on its own; it is dropped',
      );
      return true;
    }
    // One line per refused batch, not per half: a batch cap far above the receiver's limit
    // would otherwise log once per level of halving.
    if (depth === 0) this.#log.warn({ err: error.message, records: records.length }, 'request too large for the receiver; sending it in halves (lower maxBatchBytes to avoid this)');
    const middle = Math.ceil(records.length / 2);
    if (!(await this.#send(records.slice(0, middle), signal, giveUpAt, depth + 1))) return false;
    return this.#send(records.slice(middle), signal, giveUpAt, depth + 1);
  }
}

/** Names a record in a log line, in whichever form the sink queued it. */
function identify(item: SinkItem): Record<string, unknown> {
  if ('event' in item) {
    const { event, body } = item as EventRecord;
    return { uid: event.uid, namespace: event.namespace, name: event.name, dedupeKey: item.dedupeKey, bodyLength: body.length };
  }
  const encoded = item as EncodedItem;
  return { uid: encoded.uid, namespace: encoded.namespace, name: encoded.name, dedupeKey: item.dedupeKey, bodyLength: encoded.bodyLength, bytes: encoded.size };
}

function keys(records: readonly SinkItem[]): string[] {
  return records.slice(0, LOGGED_KEYS).map((r) => r.dedupeKey);
}

/**
 * Calls `sink.export` so that a synchronous throw or a rejected promise, which the Sink contract
 * forbids but a bug or hostile input can still cause, becomes a permanent failure of that batch:
 * counted and logged by the caller, and the export loop (and so the process) lives on.
 */
export async function exportSafely(sink: Sink<SinkItem>, records: readonly SinkItem[]): Promise<ExportOutcome<SinkItem>> {
  try {
    return await sink.export(records);
  } catch (error) {
    const cause = error instanceof Error ? error : new Error(String(error));
    return { ok: false, error: new ExportError('E_EXPORT_THREW', cause.message, { cause }) };
  }
}
