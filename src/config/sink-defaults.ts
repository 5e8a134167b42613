/** The settings of a sink's queue, batcher and retry sender (durations in milliseconds), as every sink entry has them. */
export interface SinkQueueSettings {
  queueSize: number;
  maxBatchSize: number;
  batchTimeout: number;
  initialBackoff: number;
  maxBackoff: number;
}

/**
 * The schema's defaults for those settings, written once: `schema.ts` applies them to every
 * sink entry, and a sink without an entry (the demo's live view, replay's stdout) gets them as
 * they are. Outside `schema.ts` so that the main isolate reads them without the schema library.
 */
export const SINK_QUEUE_DEFAULTS: SinkQueueSettings = {
  queueSize: 10_000,
  maxBatchSize: 1000,
  batchTimeout: 1000,
  initialBackoff: 1000,
  maxBackoff: 30_000,
};
