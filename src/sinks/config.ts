import { z } from 'zod';
import { duration, positiveDuration } from '../config-kit/schema-kit.ts';
import { ruleList, throttleSchema } from '../rules/config.ts';
import { formatDuration } from '../util/duration.ts';
import { SINK_QUEUE_DEFAULTS } from './sink-defaults.ts';

/** The keys every sink entry has, whatever its kind: its name, its routes, its delivery, its queue and retries. */
export const sinkCommonShape = {
  name: z
    .string()
    .min(1)
    .regex(/^[a-zA-Z0-9_.-]+$/, 'use letters, digits, "_", "-" and "."')
    .describe('Unique name, used in metrics and logs.'),
  match: ruleList('Rules (as in drop): the sink gets a record only if one matches; empty matches all.'),
  drop: ruleList('Rules (as in drop): records matching one are not sent to this sink.'),
  // Unset: required for the first sink, best-effort for the others (deliveryMode, sink-defaults.ts).
  delivery: z
    .enum(['required', 'best-effort'])
    .optional()
    .describe(
      'required: while the sink is down the source waits and the checkpoint stays (nothing lost); best-effort: its queue drops oldest when full and failing batches are dropped after maxElapsedTime (counted as outcome dropped, logged), never holding the checkpoint or another sink. Default: required for the first sink, best-effort for the others.',
    ),
  queueSize: z
    .number()
    .int()
    .min(1)
    .default(SINK_QUEUE_DEFAULTS.queueSize)
    .describe('Records queued or in flight for this sink; when reached, a required sink makes the source wait, a best-effort one drops its oldest.'),
  queueBytes: z
    .number()
    .int()
    .min(1024)
    .default(SINK_QUEUE_DEFAULTS.queueBytes)
    .describe(
      'Bytes of records queued or in flight for this sink (default 8 MiB): their encoded size for OTLP http/protobuf and grpc, their estimated size in memory otherwise; when reached, as queueSize.',
    ),
  maxBatchSize: z.number().int().min(1).default(SINK_QUEUE_DEFAULTS.maxBatchSize).describe('Records per export request at most.'),
  maxBatchBytes: z
    .number()
    .int()
    .min(1024)
    .default(SINK_QUEUE_DEFAULTS.maxBatchBytes)
    .describe(
      'Bytes per export request at most, counted as queueBytes (default 3 MiB, below the Collector\'s 4 MiB gRPC limit); a request refused as too large (HTTP 413, gRPC RESOURCE_EXHAUSTED "larger than max") is halved and retried, and only a record too large on its own is dropped (outcome too_large, logged with its uid).',
    ),
  batchTimeout: duration(formatDuration(SINK_QUEUE_DEFAULTS.batchTimeout)).describe('How long a partial batch waits for more records.'),
  initialBackoff: positiveDuration(formatDuration(SINK_QUEUE_DEFAULTS.initialBackoff), 'a delay of 0 doubles to 0: a failing export would be retried without pause').describe(
    'First retry delay of a failed export (jittered, doubling); a longer Retry-After of the receiver (at most 1m) wins.',
  ),
  maxBackoff: duration(formatDuration(SINK_QUEUE_DEFAULTS.maxBackoff)).describe(
    'Longest retry delay; a required sink retries until the export succeeds unless the data is refused (HTTP 400/415/422, gRPC INVALID_ARGUMENT).',
  ),
  maxElapsedTime: duration(formatDuration(SINK_QUEUE_DEFAULTS.maxElapsedTime)).describe(
    "best-effort sinks: a batch still failing this long after its first attempt is dropped and counted (as the Collector's max_elapsed_time).",
  ),
  throttle: throttleSchema.optional(),
};

/** A sink entry of kind `Kind` as the schema outputs it (defaults applied, durations in ms): the common keys, `type`, the kind's own keys. */
export type SinkEntry<Kind extends string, Shape extends z.ZodRawShape> = z.output<z.ZodObject<typeof sinkCommonShape & { type: z.ZodLiteral<Kind> } & Shape>>;

/** What a check of one sink entry knows besides the entry. */
export interface SinkCheckContext {
  /** Its key path (`sinks[1]`), which every problem starts with. */
  key: string;
  env: NodeJS.ProcessEnv;
  /** The first entry of its kind: the one that reads the kind's environment variables (OTLP's OTEL_EXPORTER_OTLP_*). */
  firstOfKind: boolean;
}

/**
 * What a sink kind's `config.ts` exports as `config`: its own keys, each with its default and
 * its description (the reference and the JSON Schemas are generated from them), and the checks
 * the schema cannot make. src/config/schema.ts adds the common keys and `type`.
 */
export interface SinkKindConfig<Shape extends z.ZodRawShape = z.ZodRawShape> {
  shape: Shape;
  /**
   * Problems the schema cannot see (a file that does not exist, an endpoint for its protocol),
   * each starting with `context.key`. `entry` is undefined when the schema refused the entry
   * for another reason: `raw` is then checked as far as it can be, so that every problem is
   * reported at once.
   */
  problems?(entry: SinkEntry<string, Shape> | undefined, raw: Record<string, unknown>, context: SinkCheckContext): string[];
  /** Problems of the environment variables the kind reads, for its first entry (`raw`, as written). */
  envProblems?(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[];
}
