import { z } from 'zod';
import { duration, durationOr, positiveDuration, stringList } from '../config-kit/schema-kit.ts';
import { formatDuration } from '../util/duration.ts';
import { SOURCE_BACKOFF_DEFAULTS } from './backoff.ts';

/** The Event APIs the router can watch; the first is the default. */
export const EVENT_APIS = ['core/v1', 'events.k8s.io/v1'] as const;
export type EventApi = (typeof EVENT_APIS)[number];

/** `source.emit`: which watch notifications become records. */
const emitSchema = z
  .object({
    added: z.boolean().default(true).describe('ADDED (and listed) events become records.'),
    modified: z.enum(['occurrence', 'all', 'none']).default('occurrence').describe('MODIFIED: "occurrence" (count or last time moved), "all", or "none".'),
    deleted: z.boolean().default(false).describe('DELETED (TTL expiry) becomes a record with verb DELETED.'),
  })
  .strict();

/** `source`: what to watch and how (event-source.ts reads it; its backoff also paces the checkpoint's retries). */
export const sourceConfigSchema = z
  .object({
    api: z.enum(EVENT_APIS).default(EVENT_APIS[0]).describe('Event API to watch: core/v1 or events.k8s.io/v1.'),
    namespaces: stringList().describe('Namespaces to watch (one list+watch each); empty for all namespaces.'),
    fieldSelector: z.string().default('').describe('Field selector passed to LIST and WATCH, e.g. type=Warning.'),
    labelSelector: z.string().default('').describe('Label selector passed to LIST and WATCH.'),
    backfill: durationOr('all', 'all').describe(
      'First start without a checkpoint: "all" events the API server still holds, or only those younger than a duration (10m).',
    ),
    pageSize: z.number().int().min(1).max(10_000).default(500).describe('LIST page size (limit); continue tokens fetch the rest.'),
    watchTimeout: duration('5m').describe(
      'Server-side watch timeout T; each watch asks for a random timeout in [T, 2T) and resumes from its last resourceVersion.',
    ),
    inactivityTimeout: positiveDuration('3m', 'every watch would be cut as soon as it opens').describe(
      'A watch stream that delivers nothing for this long is reconnected (watchdog); paused by back-pressure, it is not counted.',
    ),
    watchCoalesce: duration('50ms')
      .refine((ms) => ms <= 1000, { error: 'must be at most 1s (every event would wait that long before it is read)' })
      .describe(
        'When a watch stream trickles (a read of under 16 KiB and nothing more waiting), stop reading it this long, so that the events arriving meanwhile are handled in one pass: one wake-up for many events at a steady rate instead of one per event, for at most this much added latency. A backlog is read on without pause. 0 handles each chunk as it arrives.',
      ),
    minBackoff: positiveDuration(formatDuration(SOURCE_BACKOFF_DEFAULTS.minBackoff), 'a delay of 0 doubles to 0: failed lists and watches would be retried without pause').describe('First retry delay after a failed list or watch (jittered, doubling).'),
    maxBackoff: duration(formatDuration(SOURCE_BACKOFF_DEFAULTS.maxBackoff)).describe('Longest retry delay after failed lists or watches.'),
    dedupeCacheSize: z
      .number()
      .int()
      .min(100)
      .default(20_000)
      .describe(
        'Events remembered (uid → count, last time) to tell a repeat from a re-delivery; least recently seen are forgotten (about 180 bytes each). A forgotten event that changes again is sent again (at least once), never lost.',
      ),
    // The defaults of its keys, written out (the reference shows them), not written twice.
    emit: emitSchema.default(emitSchema.parse({})).describe('Which watch notifications become records.'),
  })
  .strict()
  .prefault({})
  .describe('What to watch and how.');

export type SourceConfig = z.output<typeof sourceConfigSchema>;
