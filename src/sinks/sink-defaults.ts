/** What a sink's receiver staying down costs: `required` holds the source and the checkpoint, `best-effort` drops (counted). */
export type DeliveryMode = 'required' | 'best-effort';

/** The settings of a sink's queue, batcher and retry sender (durations in milliseconds), as every sink entry has them. */
export interface SinkQueueSettings {
  queueSize: number;
  queueBytes: number;
  maxBatchSize: number;
  maxBatchBytes: number;
  batchTimeout: number;
  initialBackoff: number;
  maxBackoff: number;
  maxElapsedTime: number;
}

const MiB = 1024 * 1024;

/**
 * The schema's defaults for those settings, written once: `schema.ts` applies them to every
 * sink entry, and a sink without an entry (the demo's live view, replay's stdout) gets them as
 * they are. Outside `schema.ts` so that the main isolate reads them without the schema library.
 */
export const SINK_QUEUE_DEFAULTS: SinkQueueSettings = {
  queueSize: 10_000,
  // As the pipeline's in-flight budget (8 MiB): a best-effort sink's queue, which the budget no
  // longer covers once its records are acknowledged at enqueue, costs at most as much again.
  queueBytes: 8 * MiB,
  maxBatchSize: 1000,
  // The Collector refuses a gRPC message over 4 MiB (its default max_recv_msg_size_mib). The cap
  // is on the records' estimated size, which is above the encoded size for ASCII messages but can
  // fall below it for other scripts or many attributes: 1 MiB of headroom, and a request refused
  // as too large is halved and sent again anyway.
  maxBatchBytes: 3 * MiB,
  batchTimeout: 1000,
  initialBackoff: 1000,
  maxBackoff: 30_000,
  // The Collector's exporterhelper `max_elapsed_time`; best-effort sinks only.
  maxElapsedTime: 5 * 60_000,
};

/**
 * A sink's delivery mode: as configured, else `required` for the first sink (the checkpoint waits
 * for it) and `best-effort` for the others, so that a second or third sink in an outage never
 * stalls the first one, nor the checkpoint.
 */
export function deliveryMode(configured: DeliveryMode | undefined, index: number): DeliveryMode {
  return configured ?? (index === 0 ? 'required' : 'best-effort');
}
