import type { Metrics } from '../telemetry/metrics.ts';
import type { EventRecord } from '../model/event-record.ts';
import type { RetrySender } from './retry-sender.ts';
import type { Sink } from './sink.ts';

/** A record waiting for one sink, with the callback that tells the checkpoint it is done. */
export interface QueuedRecord {
  record: EventRecord;
  done: () => void;
  /** When it was queued (set by the queue). */
  at?: number;
}

export interface SinkQueueOptions {
  sink: Sink;
  /** What sends a batch (and retries it): the next layer, as in the Collector's exporterhelper. */
  sender: Pick<RetrySender, 'send'> & Partial<Pick<RetrySender, 'consecutiveFailures'>>;
  /** Holds the checkpoint (default); reported in {@link SinkQueue.health}. */
  required?: boolean;
  /** Records queued or in flight before `push` callers must wait. */
  queueSize: number;
  maxBatchSize: number;
  /** How long a partial batch waits for more records. */
  batchTimeoutMs: number;
  metrics: Metrics;
  /**
   * Awaited after each acknowledged batch before the next export: the router makes it the
   * checkpoint write, so that a crash re-sends at most the batch that was in flight.
   */
  afterAck?: () => Promise<void>;
}

/** How one sink delivers, for `/readyz` and the delivery metrics (times are epoch milliseconds). */
export interface SinkHealth {
  sink: string;
  required: boolean;
  /** When a batch was last done with (delivered, or refused permanently and dropped). */
  lastSuccessAt?: number;
  /** When the oldest record still waiting was queued; absent when nothing waits. */
  oldestQueuedAt?: number;
  /** Failed export attempts since the last one that succeeded. */
  consecutiveFailures: number;
}

/**
 * The bounded queue in front of one sink, and its batcher: batches records and hands one batch
 * at a time to the sender (the retry sender), acknowledging the batch once the sender is done
 * with it. A full queue makes `room()` wait — that wait reaches the source, which stops
 * reading: nothing is dropped.
 */
export class SinkQueue {
  readonly sink: Sink;
  readonly #queue: QueuedRecord[] = [];
  #head = 0;
  readonly #size: number;
  readonly #maxBatch: number;
  readonly #batchTimeoutMs: number;
  readonly #sender: SinkQueueOptions['sender'];
  readonly #afterAck: (() => Promise<void>) | undefined;
  #wakeLoop: (() => void) | undefined;
  #roomWaiters: Array<() => void> = [];
  #idleWaiters: Array<() => void> = [];
  #flushing = false;
  #stopped = new AbortController();
  #loop: Promise<void> | undefined;
  #inFlight = 0;
  readonly #required: boolean;
  #lastSuccessAt: number | undefined;

  constructor(options: SinkQueueOptions) {
    this.sink = options.sink;
    this.#sender = options.sender;
    this.#size = options.queueSize;
    this.#maxBatch = options.maxBatchSize;
    this.#batchTimeoutMs = options.batchTimeoutMs;
    this.#afterAck = options.afterAck;
    this.#required = options.required ?? true;
    options.metrics.queueDepthSources.set(options.sink.name, () => this.depth);
  }

  /** Records queued and in flight. */
  get depth(): number {
    return this.#queue.length - this.#head;
  }

  /** Delivery health: what `/readyz` reports and the stall detection reads. */
  health(): SinkHealth {
    const oldestQueuedAt = this.depth > 0 ? this.#queue[this.#head]?.at : undefined;
    return {
      sink: this.sink.name,
      required: this.#required,
      ...(this.#lastSuccessAt !== undefined ? { lastSuccessAt: this.#lastSuccessAt } : {}),
      ...(oldestQueuedAt !== undefined ? { oldestQueuedAt } : {}),
      consecutiveFailures: this.#sender.consecutiveFailures ?? 0,
    };
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
      const done = await this.#sender.send(batch.map((item) => item.record), signal);
      this.#inFlight = 0;
      if (!done || signal.aborted) break;
      this.#lastSuccessAt = Date.now();
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
}
