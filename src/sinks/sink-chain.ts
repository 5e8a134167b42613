import { SINK_QUEUE_DEFAULTS, type DeliveryMode, type SinkQueueSettings } from './sink-defaults.ts';
import { sleep } from '../util/sleep.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { RetrySender } from './retry-sender.ts';
import { type SinkResult, SinkTally } from './sink-result.ts';
import type { Sink } from './sink.ts';
import { SinkQueue } from './sink-queue.ts';

export interface SinkChainOptions {
  sink: Sink;
  /** The sink's config entry; injected sinks without one get the schema's defaults. */
  config: SinkQueueSettings | undefined;
  delivery: DeliveryMode;
  metrics: Metrics;
  logger: Logger;
  /** Awaited after every acknowledged batch of a required sink (the checkpoint write, see SinkQueue). */
  afterAck: () => Promise<void>;
  /** Where what becomes of the sink's records is counted (the lane shares it with its route); default: its own. */
  tally?: SinkTally;
}

/**
 * One sink and what is its own before it, as one component: the sink's encoding (as a record
 * enters its queue), the queue and batcher, the one retry layer, the sink's export (the
 * Collector's exporterhelper layering). Started before anything is queued for it, and shut
 * down queue first, then the sink, each sink on its own.
 */
export class SinkChain {
  readonly queue: SinkQueue;
  readonly tally: SinkTally;
  readonly #log: Logger;

  constructor({ sink, config, delivery, metrics, logger, afterAck, tally = new SinkTally() }: SinkChainOptions) {
    this.tally = tally;
    const settings = config ?? SINK_QUEUE_DEFAULTS;
    const required = delivery === 'required';
    const sender = new RetrySender({
      sink,
      initialBackoffMs: settings.initialBackoff,
      maxBackoffMs: settings.maxBackoff,
      // A required sink retries until delivered: dropping would break its promise.
      maxElapsedMs: required ? undefined : settings.maxElapsedTime,
      sleep,
      metrics,
      logger,
      tally,
    });
    this.queue = new SinkQueue({
      sink,
      sender,
      delivery,
      queueSize: settings.queueSize,
      queueBytes: settings.queueBytes,
      maxBatchSize: settings.maxBatchSize,
      maxBatchBytes: settings.maxBatchBytes,
      batchTimeoutMs: settings.batchTimeout,
      metrics,
      logger,
      tally,
      // A best-effort sink's acknowledgements do not move the checkpoint: nothing to write.
      ...(required ? { afterAck } : {}),
    });
    this.#log = logger;
  }

  get sink(): Sink {
    return this.queue.sink;
  }

  /** What became of the records queued for the sink so far (final once stopped). */
  result(): SinkResult {
    return this.tally.result(this.queue.sink.name, this.queue.depth);
  }

  /** Starts the sink, then its queue's loop. */
  async start(): Promise<void> {
    await this.queue.sink.start();
    this.queue.start();
  }

  /** Stops the queue's loop (see SinkQueue.stop). */
  stop(): Promise<void> {
    return this.queue.stop();
  }

  /**
   * Shuts the sink down, giving up after `graceMs`: a sink whose shutdown hangs (an exporter still
   * retrying towards a dead endpoint) is left behind, as nothing it holds is acknowledged and the
   * process must still be able to exit.
   */
  async shutdownSink(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const outcome = await Promise.race([this.queue.sink.shutdown().catch(() => undefined), gaveUp]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.#log.warn({ sink: this.queue.sink.name, graceMs }, 'sink did not shut down in time; left behind');
  }
}
