import type { SinkConfig } from '../config/schema.ts';
import { SINK_QUEUE_DEFAULTS, deliveryMode } from '../config/sink-defaults.ts';
import type { EventRecord } from '../model/event-record.ts';
import { Route } from '../route/rule-matcher.ts';
import { Throttle } from '../route/throttle.ts';
import { RetrySender } from '../sinks/retry-sender.ts';
import { SinkQueue } from '../sinks/sink-queue.ts';
import { sleep } from '../source/backoff.ts';
import type { Sink } from '../sinks/sink.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';

/** One sink and what stands before it: its route, its throttle and its queue. */
export interface SinkLane {
  queue: SinkQueue;
  route: Route;
  throttle: Throttle | undefined;
}

export interface LaneOptions {
  sink: Sink;
  /** The sink's config entry; injected sinks without one get the schema's defaults. */
  config: SinkConfig | undefined;
  /** Its place among the sinks: unless configured, the first is `required`, the others `best-effort`. */
  index: number;
  metrics: Metrics;
  logger: Logger;
  /** Awaited after every acknowledged batch of a required sink (the checkpoint write, see SinkQueue). */
  afterAck: () => Promise<void>;
}

export function createLane({ sink, config, index, metrics, logger, afterAck }: LaneOptions): SinkLane {
  const settings = config ?? SINK_QUEUE_DEFAULTS;
  const delivery = deliveryMode(config?.delivery, index);
  const required = delivery === 'required';
  // The Collector's exporterhelper layering: queue and batcher, then the one retry layer, then the sink.
  const sender = new RetrySender({
    sink,
    initialBackoffMs: settings.initialBackoff,
    maxBackoffMs: settings.maxBackoff,
    // A required sink retries until delivered: dropping would break its promise.
    maxElapsedMs: required ? undefined : settings.maxElapsedTime,
    sleep,
    metrics,
    logger,
  });
  return {
    queue: new SinkQueue({
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
      // A best-effort sink's acknowledgements do not move the checkpoint: nothing to write.
      ...(required ? { afterAck } : {}),
    }),
    route: new Route(config?.match ?? [], config?.drop ?? []),
    throttle: config?.throttle ? new Throttle(config.throttle.limit, config.throttle.interval) : undefined,
  };
}

const NOTHING = () => {};

/**
 * The last stage: each sink's route and throttle decide whether it gets the record; the record
 * is queued for every sink that does. A required sink's queue may make it wait for room
 * (back-pressure); `expect` is called before each such queueing (a sink may acknowledge before
 * the next one is queued) and `done` once per required sink that acknowledged it. A best-effort
 * sink's queue takes it at once (dropping its oldest when full) and counts as done on enqueue:
 * it never holds the checkpoint. `bytes` is the record's estimated size. Resolves with how many
 * sinks got it.
 */
export async function fanOut(lanes: readonly SinkLane[], record: EventRecord, metrics: Metrics, expect: () => void, done: () => void, bytes?: number): Promise<number> {
  let targets = 0;
  for (const lane of lanes) {
    if (!lane.route.accepts(record)) {
      metrics.records.inc({ sink: lane.queue.sink.name, outcome: 'filtered' });
      continue;
    }
    let out: EventRecord | undefined = record;
    if (lane.throttle !== undefined) {
      out = lane.throttle.admit(record);
      if (out === undefined) {
        metrics.records.inc({ sink: lane.queue.sink.name, outcome: 'throttled' });
        continue;
      }
    }
    targets += 1;
    if (!lane.queue.required) {
      lane.queue.push({ record: out, done: NOTHING, ...(bytes !== undefined ? { bytes } : {}) });
      continue;
    }
    if (!lane.queue.hasRoom()) await lane.queue.room();
    expect();
    lane.queue.push({ record: out, done, ...(bytes !== undefined ? { bytes } : {}) });
  }
  return targets;
}
