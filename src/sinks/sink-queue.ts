import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import type { EventRecord } from '../model/event-record.ts';
import { Backoff, sleep } from '../source/backoff.ts';
import type { ExportOutcome, Sink } from './sink.ts';

/** A record waiting for one sink, with the callback that tells the checkpoint it is done. */
export interface QueuedRecord {
  record: EventRecord;
  done: () => void;
  /** When it was queued (set by the queue). */
  at?: number;
}

export interface SinkQueueOptions {
  sink: Sink;
  /** Records queued or in flight before `push` callers must wait. Default 10000. */
  queueSize?: number;
  maxBatchSize?: number;
  /** How long a partial batch waits for more records. Default 1 s. */
  batchTimeoutMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  metrics: Metrics;
  logger: Logger;
  /**
   * Awaited after each acknowledged batch before the next export: the router makes it the
   * checkpoint write, so that a crash re-sends at most the batch that was in flight.
   */
  afterAck?: () => Promise<void>;
}

/**
 * The bounded queue in front of one sink, and its export loop: batches records, exports one
 * batch at a time, retries a failed batch with jittered backoff until it succeeds, and counts
 * a permanently refused batch instead of retrying it forever. A full queue makes `room()`
 * wait — that wait reaches the source, which stops reading: nothing is dropped.
 */
export class SinkQueue {
  readonly sink: Sink;
  readonly #queue: QueuedRecord[] = [];
  #head = 0;
  readonly #size: number;
  readonly #maxBatch: number;
  readonly #batchTimeoutMs: number;
  readonly #backoff: Backoff;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #afterAck: (() => Promise<void>) | undefined;
  #wakeLoop: (() => void) | undefined;
  #roomWaiters: Array<() => void> = [];
  #idleWaiters: Array<() => void> = [];
  #flushing = false;
  #stopped = new AbortController();
  #loop: Promise<void> | undefined;
  #inFlight = 0;

  constructor(options: SinkQueueOptions) {
    this.sink = options.sink;
    this.#size = options.queueSize ?? 10_000;
    this.#maxBatch = options.maxBatchSize ?? 1000;
    this.#batchTimeoutMs = options.batchTimeoutMs ?? 1000;
    this.#backoff = new Backoff(options.minBackoffMs ?? 1000, options.maxBackoffMs ?? 30_000);
    this.#metrics = options.metrics;
    this.#log = options.logger.child({ component: 'sink', sink: options.sink.name });
    this.#afterAck = options.afterAck;
    this.#metrics.queueDepthSources.set(options.sink.name, () => this.depth);
  }

  /** Records queued and in flight. */
  get depth(): number {
    return this.#queue.length - this.#head;
  }

  hasRoom(): boolean {
    return this.depth < this.#size;
  }

  /** Resolves when the queue has room for one more record. */
  room(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  push(item: QueuedRecord): void {
    item.at = Date.now();
    this.#queue.push(item);
    const depth = this.depth;
    if (depth === 1 || depth - this.#inFlight === this.#maxBatch || this.#flushing) this.#wake();
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Exports what is queued without waiting for full batches; resolves true when empty, false at
   * the deadline or once `cut` aborts.
   */
  async drain(deadlineMs: number, cut?: AbortSignal): Promise<boolean> {
    this.#flushing = true;
    this.#wake();
    if (this.depth === 0) return true;
    if (cut?.aborted) return false;
    const idle = new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    const timedOut = Symbol('timeout');
    let timer: NodeJS.Timeout | undefined;
    let onCut: (() => void) | undefined;
    const result = await Promise.race([
      idle,
      new Promise<symbol>((resolve) => {
        timer = setTimeout(() => resolve(timedOut), Math.max(0, deadlineMs));
        onCut = () => resolve(timedOut);
        cut?.addEventListener('abort', onCut, { once: true });
      }),
    ]);
    clearTimeout(timer);
    if (onCut) cut?.removeEventListener('abort', onCut);
    return result !== timedOut;
  }

  /** Stops the loop (an export in flight finishes or is abandoned); queued records stay unacknowledged. */
  async stop(graceMs = 1000): Promise<void> {
    this.#stopped.abort();
    this.#wake();
    // An export that hangs past the grace period is abandoned: its records stay unacknowledged.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#loop, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  #wake(): void {
    const wake = this.#wakeLoop;
    this.#wakeLoop = undefined;
    wake?.();
  }

  /** Waits for `#wake()` or, when given, `ms` milliseconds. */
  #waitForWake(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.#wake(), ms);
      this.#wakeLoop = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    const signal = this.#stopped.signal;
    while (!signal.aborted) {
      const ready = this.depth;
      if (ready === 0) {
        for (const resolve of this.#idleWaiters.splice(0)) resolve();
        await this.#waitForWake();
        continue;
      }
      if (ready < this.#maxBatch && !this.#flushing) {
        const wait = (this.#queue[this.#head]?.at ?? 0) + this.#batchTimeoutMs - Date.now();
        if (wait > 0) {
          await this.#waitForWake(wait);
          continue;
        }
      }
      const end = Math.min(this.#queue.length, this.#head + this.#maxBatch);
      const batch = this.#queue.slice(this.#head, end);
      this.#inFlight = batch.length;
      await this.#exportWithRetry(batch, signal);
      this.#inFlight = 0;
      if (signal.aborted) break;
      this.#head = end;
      if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      for (const item of batch) item.done();
      this.#releaseRoom();
      if (this.#afterAck) await this.#afterAck();
    }
  }

  #releaseRoom(): void {
    while (this.#roomWaiters.length > 0 && this.hasRoom()) this.#roomWaiters.shift()?.();
  }

  async #exportWithRetry(batch: QueuedRecord[], signal: AbortSignal): Promise<void> {
    const records = batch.map((item) => item.record);
    for (;;) {
      const started = performance.now();
      const outcome = await exportSafely(this.sink, records);
      this.#metrics.exportDuration.observe({ sink: this.sink.name }, (performance.now() - started) / 1000);
      if (outcome.ok) {
        this.#backoff.reset();
        const rejected = outcome.rejected?.records.length ?? 0;
        this.#metrics.records.inc({ sink: this.sink.name, outcome: 'exported' }, records.length - rejected);
        if (outcome.rejected !== undefined && rejected > 0) {
          this.#metrics.records.inc({ sink: this.sink.name, outcome: 'failed' }, rejected);
          this.#log.error(
            { err: outcome.rejected.error.message, records: rejected, dedupeKeys: outcome.rejected.records.slice(0, 20).map((r) => r.dedupeKey) },
            'sink could not write some records; they are dropped, the rest of the batch went out',
          );
        }
        return;
      }
      if (!outcome.retryable) {
        this.#metrics.records.inc({ sink: this.sink.name, outcome: 'failed' }, records.length);
        this.#log.error(
          {
            err: outcome.error.message,
            records: records.length,
            dedupeKeys: records.slice(0, 20).map((r) => r.dedupeKey),
          },
          'sink refused a batch permanently; it is not retried',
        );
        return;
      }
      this.#metrics.exportRetries.inc({ sink: this.sink.name });
      const delay = Math.max(outcome.retryAfterMs ?? 0, this.#backoff.next());
      this.#log.warn({ err: outcome.error.message, retryInMs: Math.round(delay) }, 'export failed; retrying');
      await sleep(delay, signal);
      if (signal.aborted) return;
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
    return { ok: false, retryable: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}
