import type { SinkConfig } from '../config/schema.ts';
import { SINK_QUEUE_DEFAULTS } from '../config/sink-defaults.ts';
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
  metrics: Metrics;
  logger: Logger;
  /** Awaited after every acknowledged batch (the checkpoint write, see SinkQueue). */
  afterAck: () => Promise<void>;
}

export function createLane({ sink, config, metrics, logger, afterAck }: LaneOptions): SinkLane {
  const settings = config ?? SINK_QUEUE_DEFAULTS;
  // The Collector's exporterhelper layering: queue and batcher, then the one retry layer, then the sink.
  const sender = new RetrySender({ sink, initialBackoffMs: settings.initialBackoff, maxBackoffMs: settings.maxBackoff, sleep, metrics, logger });
  return {
    queue: new SinkQueue({ sink, sender, queueSize: settings.queueSize, maxBatchSize: settings.maxBatchSize, batchTimeoutMs: settings.batchTimeout, metrics, afterAck }),
    route: new Route(config?.match ?? [], config?.drop ?? []),
    throttle: config?.throttle ? new Throttle(config.throttle.limit, config.throttle.interval) : undefined,
  };
}

/**
 * The last stage: each sink's route and throttle decide whether it gets the record; the record
 * is queued for every sink that does, waiting for room (back-pressure). `expect` is called
 * before each queueing (a sink may acknowledge before the next one is queued); `done` once per
 * sink that acknowledged it. Resolves with how many sinks got it.
 */
export async function fanOut(lanes: readonly SinkLane[], record: EventRecord, metrics: Metrics, expect: () => void, done: () => void): Promise<number> {
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
    if (!lane.queue.hasRoom()) await lane.queue.room();
    expect();
    lane.queue.push({ record: out, done });
  }
  return targets;
}
