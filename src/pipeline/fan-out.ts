import type { SinkConfig } from '../config/schema.ts';
import { deliveryMode } from '../sinks/sink-defaults.ts';
import type { EventRecord } from '../model/event-record.ts';
import { RecordFilter } from '../rules/record-filter.ts';
import { Throttle } from '../rules/throttle.ts';
import { SinkChain } from '../sinks/sink-chain.ts';
import type { RecordAck, SinkQueue } from '../sinks/sink-queue.ts';
import type { Sink } from '../sinks/sink.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';

/** One sink and what stands before it: its route, its throttle, and its own chain (queue, retries, sink). */
export interface SinkLane {
  chain: SinkChain;
  /** The chain's queue (what fan-out pushes to). */
  queue: SinkQueue;
  filter: RecordFilter;
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
  const chain = new SinkChain({ sink, config, delivery: deliveryMode(config?.delivery, index), metrics, logger, afterAck });
  return {
    chain,
    queue: chain.queue,
    filter: new RecordFilter(config?.match ?? [], config?.drop ?? []),
    throttle: config?.throttle ? new Throttle(config.throttle.limit, config.throttle.interval) : undefined,
  };
}

/** What a best-effort sink's queue is given: it never holds the checkpoint. */
const NOTHING: RecordAck = { done: () => {} };

/** A record's hold on its acknowledgements while it is fanned out (its checkpoint entry, see RecordHold). */
export interface FanOutHold extends RecordAck {
  /** Called before the record is queued for a required sink (which may acknowledge before the next one is queued). */
  expect(): void;
}

/**
 * The last stage: each sink's route and throttle decide whether it gets the record; the record
 * is queued for every sink that does. A required sink's queue may make it wait for room
 * (back-pressure); `hold.expect` is called before each such queueing and `hold.done` once per
 * required sink that acknowledged it. A best-effort sink's queue takes it at once (dropping its
 * oldest when full) and counts as done on enqueue: it never holds the checkpoint. `bytes` is the
 * record's estimated size. Returns how many sinks got it — at once when every queue had room
 * (no promise per record), else a promise from the first queue that had to be waited for.
 */
export function fanOut(lanes: readonly SinkLane[], record: EventRecord, metrics: Metrics, hold: FanOutHold, bytes?: number): number | Promise<number> {
  return route(lanes, 0, 0, record, metrics, hold, bytes);
}

function route(lanes: readonly SinkLane[], from: number, targets: number, record: EventRecord, metrics: Metrics, hold: FanOutHold, bytes: number | undefined): number | Promise<number> {
  for (let i = from; i < lanes.length; i++) {
    const lane = lanes[i] as SinkLane;
    if (!lane.filter.accepts(record)) {
      metrics.records.inc({ sink: lane.queue.sink.name, outcome: 'filtered' });
      lane.chain.tally.filtered += 1;
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
      lane.queue.push(bytes === undefined ? { record: out, ack: NOTHING } : { record: out, ack: NOTHING, bytes });
      continue;
    }
    if (!lane.queue.hasRoom()) return afterRoom(lanes, i, targets, out, record, metrics, hold, bytes);
    hold.expect();
    lane.queue.push(bytes === undefined ? { record: out, ack: hold } : { record: out, ack: hold, bytes });
  }
  return targets;
}

/** The slow path: waits for room in lane `at`, queues `out` there, and routes on to the next lanes. */
async function afterRoom(
  lanes: readonly SinkLane[],
  at: number,
  targets: number,
  out: EventRecord,
  record: EventRecord,
  metrics: Metrics,
  hold: FanOutHold,
  bytes: number | undefined,
): Promise<number> {
  const lane = lanes[at] as SinkLane;
  await lane.queue.room();
  hold.expect();
  lane.queue.push(bytes === undefined ? { record: out, ack: hold } : { record: out, ack: hold, bytes });
  return route(lanes, at + 1, targets, record, metrics, hold, bytes);
}
