import type { DeliveryMode } from './sink-defaults.ts';
import type { EventRecord } from '../model/event-record.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import type { RetrySender, SenderHealth } from './retry-sender.ts';
import type { SinkTally } from './sink-result.ts';
import type { EncodedItem, Sink, SinkItem } from './sink.ts';

/**
 * What a queue tells once it is done with a record (acknowledged, dropped, or failed for good):
 * the record's hold on the checkpoint (its cursor entry, one object per record), not a callback
 * made for it.
 */
export interface RecordAck {
  done(): void;
}

/** A record handed to one sink's queue, with what to tell the checkpoint once it is done. */
export interface QueuedRecord {
  record: EventRecord;
  ack: RecordAck;
  /** Its estimated size in memory (the pipeline's in-flight estimate); unset: estimated here. Ignored when the sink encodes. */
  bytes?: number;
}

/**
 * What the queue holds for one record, as four parallel arrays rather than an object per record:
 * the sink's form of it (its encoded bytes, or the record), its acknowledgement, its size and when
 * it came. At a steady rate a record waits up to the batch timeout and survives scavenges; an
 * entry object (with its boxed time) per record was two more objects promoted per event.
 */
interface Entries {
  items: SinkItem[];
  acks: RecordAck[];
  bytes: number[];
  at: number[];
}

function entries(): Entries {
  return { items: [], acks: [], bytes: [], at: [] };
}

/** One sink's delivery health, for `/readyz` (times in epoch ms). */
export interface SinkHealth {
  sink: string;
  /** A required sink holds the source and the checkpoint; a best-effort one drops instead. */
  required: boolean;
  lastSuccessAt?: number;
  /** When the oldest record queued or in flight was queued. */
  oldestQueuedAt?: number;
  /** Failed export attempts since the last success. */
  consecutiveFailures: number;
}

export interface SinkQueueOptions {
  sink: Sink<SinkItem>;
  /** What sends a batch (and retries it): the next layer, as in the Collector's exporterhelper. */
  sender: Pick<RetrySender, 'send'> & { readonly health?: SenderHealth };
  /** `required` (default): a full queue makes `push` callers wait. `best-effort`: a full queue drops its oldest. */
  delivery?: DeliveryMode;
  /** Records queued or in flight at most. */
  queueSize: number;
  /** Bytes queued or in flight at most (default: unbounded; the router always sets it): encoded bytes when the sink encodes. */
  queueBytes?: number;
  maxBatchSize: number;
  /** Bytes of one batch at most, counted as `queueBytes` is (a single larger record still goes, alone). */
  maxBatchBytes?: number;
  /** `sinks[].batchTimeout` (sinks/config.ts), in milliseconds. */
  batchTimeoutMs: number;
  metrics: Metrics;
  logger?: Logger | undefined;
  /**
   * Awaited after each acknowledged batch before the next export: the router makes it the
   * checkpoint write, so that a crash re-sends at most the batch that was in flight.
   */
  afterAck?: () => Promise<void>;
  /** Where the sink's lane counts what became of its records (see SinkTally). */
  tally?: SinkTally | undefined;
}

/** Least time between two log lines about a best-effort queue dropping records. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** What a slot left behind holds instead of an acknowledgement (keeps the array one element kind). */
const RELEASED: RecordAck = { done: () => {} };

/** What a record costs when the caller did not say (the pipeline's estimate, minus `raw`). */
function estimate(record: EventRecord): number {
  return 1024 + record.body.length * 2;
}

/**
 * The bounded queue in front of one sink, and its batcher. A sink that encodes (OTLP protobuf)
 * gets each record encoded as it enters, and the queue holds and counts those bytes, not the
 * record: the parsed event dies young instead of being promoted while it waits for its batch.
 * It batches records (by count and by bytes) and hands one batch at a time to the sender (the retry sender),
 * acknowledging the batch once the sender is done with it. The bound is in records and bytes,
 * in flight included. When it is reached, a `required` queue makes `room()` wait — that wait
 * reaches the source, which stops reading: nothing is dropped. A `best-effort` queue never
 * makes anyone wait: it drops its oldest queued records (counted, logged with the sink's name).
 */
export class SinkQueue {
  readonly sink: Sink<SinkItem>;
  readonly required: boolean;
  readonly #queue: Entries = entries();
  #head = 0;
  readonly #size: number;
  readonly #maxBytes: number;
  readonly #maxBatch: number;
  readonly #maxBatchBytes: number;
  readonly #batchTimeoutMs: number;
  readonly #sender: SinkQueueOptions['sender'];
  readonly #afterAck: (() => Promise<void>) | undefined;
  readonly #metrics: Metrics;
  readonly #tally: SinkTally | undefined;
  readonly #log: Logger | undefined;
  #wakeLoop: (() => void) | undefined;
  #roomWaiters: Array<() => void> = [];
  #idleWaiters: Array<() => void> = [];
  #flushing = false;
  #stopped = new AbortController();
  #loop: Promise<void> | undefined;
  /** The batch being sent: out of the queue, still counted in depth and bytes. */
  #inFlight: Entries = entries();
  #queuedBytes = 0;
  #inFlightBytes = 0;
  #dropped = 0;
  #droppedSinceLog = 0;
  #lastDropLog = 0;

  constructor(options: SinkQueueOptions) {
    this.sink = options.sink;
    this.required = (options.delivery ?? 'required') === 'required';
    this.#sender = options.sender;
    this.#size = options.queueSize;
    this.#maxBytes = options.queueBytes ?? Number.POSITIVE_INFINITY;
    this.#maxBatch = options.maxBatchSize;
    this.#maxBatchBytes = options.maxBatchBytes ?? Number.POSITIVE_INFINITY;
    this.#batchTimeoutMs = options.batchTimeoutMs;
    this.#afterAck = options.afterAck;
    this.#metrics = options.metrics;
    this.#tally = options.tally;
    this.#log = options.logger?.child({ component: 'sink', sink: options.sink.name, delivery: this.required ? 'required' : 'best-effort' });
    const { metrics } = options;
    const sink = options.sink.name;
    // Its depth is read at collection; every outcome an alert may watch exists from the start, at 0.
    metrics.addSink(sink, () => this.depth);
    metrics.sinkHealthSources.set(sink, this.#healthSource);
  }

  /** What the sink health gauges read while this queue runs; given up on stop (see {@link stop}). */
  readonly #healthSource = (): SinkHealth => this.health();

  /** Records queued and in flight. */
  get depth(): number {
    return this.#queue.items.length - this.#head + this.#inFlight.items.length;
  }

  /** Estimated bytes of the records queued and in flight. */
  get bytes(): number {
    return this.#queuedBytes + this.#inFlightBytes;
  }

  /** Records a best-effort queue dropped because it was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** A best-effort queue always has room (it makes it by dropping its oldest). */
  hasRoom(): boolean {
    return !this.required || (this.depth < this.#size && this.bytes < this.#maxBytes);
  }

  /** Resolves when the queue has room for one more record. */
  room(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  push(queued: QueuedRecord): void {
    const item = this.#item(queued);
    if (item === undefined) return;
    const bytes = this.sink.encode === undefined ? (queued.bytes ?? estimate(queued.record)) : (item as EncodedItem).size;
    if (!this.required && !this.#makeRoom(bytes)) {
      queued.ack.done();
      return;
    }
    const q = this.#queue;
    q.items.push(item);
    q.acks.push(queued.ack);
    q.bytes.push(bytes);
    q.at.push(Date.now());
    this.#queuedBytes += bytes;
    const ready = q.items.length - this.#head;
    if (ready === 1 || ready === this.#maxBatch || this.#queuedBytes >= this.#maxBatchBytes || this.#flushing) this.#wake();
  }

  /** The sink's form of a record; a record it cannot encode is counted as failed, logged and done with. */
  #item({ record, ack }: QueuedRecord): SinkItem | undefined {
    const encode = this.sink.encode;
    if (encode === undefined) return record;
    try {
      return encode(record);
    } catch (error) {
      this.#metrics.records.inc({ sink: this.sink.name, outcome: 'failed' });
      if (this.#tally) this.#tally.failed += 1;
      this.#log?.error({ err: (error as Error).message, dedupeKey: record.dedupeKey, uid: record.event.uid }, 'sink could not encode a record; it is dropped');
      ack.done();
      return undefined;
    }
  }

  /** Cheap: a few field reads (the oldest record is the one in flight, else the queue's head). */
  health(): SinkHealth {
    const oldest = this.#inFlight.at[0] ?? this.#queue.at[this.#head];
    const sent = this.#sender.health;
    return {
      sink: this.sink.name,
      required: this.required,
      ...(sent?.lastSuccessAt !== undefined ? { lastSuccessAt: sent.lastSuccessAt } : {}),
      ...(oldest !== undefined ? { oldestQueuedAt: oldest } : {}),
      consecutiveFailures: sent?.consecutiveFailures ?? 0,
    };
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
    // A stopped queue (a leadership term that ended) is no sink's health any more: left in place,
    // its leftover records aged for ever on a standby and fired the stalled-sink alert. A queue of
    // the next term under the same name may already have taken the place: that one stays.
    const { sinkHealthSources } = this.#metrics;
    if (sinkHealthSources.get(this.sink.name) === this.#healthSource) sinkHealthSources.delete(this.sink.name);
    this.#wake();
    // An export that hangs past the grace period is abandoned: its records stay unacknowledged.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#loop, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  /**
   * Best-effort: drops the oldest queued records until `bytes` more fit, and says whether the
   * new record may be queued. The batch in flight is not dropped (it may be half sent): when it
   * alone fills the queue, the new record is the one dropped. Into an empty queue any record
   * goes, so none is too large to be tried (as the in-flight budget does).
   */
  #makeRoom(bytes: number): boolean {
    const full = () => this.depth > 0 && (this.depth >= this.#size || this.bytes + bytes > this.#maxBytes);
    let dropped = 0;
    const q = this.#queue;
    while (this.#head < q.items.length && full()) {
      const at = this.#head;
      const ack = q.acks[at] as RecordAck;
      q.items[at] = undefined as unknown as SinkItem; // let it be collected now
      q.acks[at] = RELEASED;
      this.#head += 1;
      this.#queuedBytes -= q.bytes[at] as number;
      dropped += 1;
      ack.done();
    }
    const admitted = !full();
    if (!admitted) dropped += 1;
    if (dropped > 0) this.#countDropped(dropped);
    return admitted;
  }

  #countDropped(dropped: number): void {
    this.#compact();
    this.#dropped += dropped;
    this.#droppedSinceLog += dropped;
    this.#metrics.records.inc({ sink: this.sink.name, outcome: 'dropped' }, dropped);
    if (this.#tally) this.#tally.dropped += dropped;
    const now = Date.now();
    if (now - this.#lastDropLog >= DROP_LOG_INTERVAL_MS) {
      this.#log?.warn(
        { dropped: this.#droppedSinceLog, droppedTotal: this.#dropped, queued: this.depth, queuedBytes: this.bytes, consecutiveFailures: this.#sender.health?.consecutiveFailures },
        'best-effort sink queue full; dropping its oldest records',
      );
      this.#lastDropLog = now;
      this.#droppedSinceLog = 0;
    }
  }

  #compact(): void {
    const q = this.#queue;
    if (this.#head > 4096 && this.#head * 2 > q.items.length) {
      q.items.splice(0, this.#head);
      q.acks.splice(0, this.#head);
      q.bytes.splice(0, this.#head);
      q.at.splice(0, this.#head);
      this.#head = 0;
    }
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

  /** Takes the next batch off the queue: up to maxBatchSize records and maxBatchBytes (at least one record). */
  #takeBatch(): Entries {
    const batch = entries();
    const q = this.#queue;
    let bytes = 0;
    while (this.#head < q.items.length && batch.items.length < this.#maxBatch) {
      const at = this.#head;
      const size = q.bytes[at] as number;
      if (batch.items.length > 0 && bytes + size > this.#maxBatchBytes) break;
      batch.items.push(q.items[at] as SinkItem);
      batch.acks.push(q.acks[at] as RecordAck);
      batch.bytes.push(size);
      batch.at.push(q.at[at] as number);
      bytes += size;
      q.items[at] = undefined as unknown as SinkItem;
      q.acks[at] = RELEASED;
      this.#head += 1;
    }
    this.#queuedBytes -= bytes;
    this.#inFlightBytes = bytes;
    this.#compact();
    return batch;
  }

  async #run(): Promise<void> {
    const signal = this.#stopped.signal;
    while (!signal.aborted) {
      const ready = this.#queue.items.length - this.#head;
      if (ready === 0) {
        for (const resolve of this.#idleWaiters.splice(0)) resolve();
        await this.#waitForWake();
        continue;
      }
      if (ready < this.#maxBatch && this.#queuedBytes < this.#maxBatchBytes && !this.#flushing) {
        const wait = (this.#queue.at[this.#head] ?? 0) + this.#batchTimeoutMs - Date.now();
        if (wait > 0) {
          await this.#waitForWake(wait);
          continue;
        }
      }
      const batch = this.#takeBatch();
      this.#inFlight = batch;
      const done = await this.#sender.send(batch.items, signal);
      // Stopped: the batch stays counted (depth) and unacknowledged.
      if (!done || signal.aborted) break;
      this.#inFlight = entries();
      this.#inFlightBytes = 0;
      for (const ack of batch.acks) ack.done();
      this.#releaseRoom();
      if (this.#afterAck) await this.#afterAck();
    }
  }

  #releaseRoom(): void {
    while (this.#roomWaiters.length > 0 && this.hasRoom()) this.#roomWaiters.shift()?.();
  }
}
