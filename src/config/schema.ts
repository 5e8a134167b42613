import { z } from 'zod';
import { DURATION_PATTERN, durationOrPattern, formatDuration, parseDuration } from '../util/duration.ts';
import { SINK_QUEUE_DEFAULTS } from './sink-defaults.ts';
import { LISTEN_HINT, parseListen } from './addresses.ts';
import { patternProblem } from '../util/pattern.ts';
import { LOG_LEVELS } from '../telemetry/log-levels.ts';

/** Milliseconds from a Go-style duration string (`15s`, `10m`, `1h30m`), or a problem for `config check`. */
function toMs(text: string, ctx: z.RefinementCtx<string>): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${text}" (use e.g. 500ms, 15s, 10m, 1h30m)` });
    return z.NEVER;
  }
  return ms;
}

/**
 * A number where a duration belongs (`timeout: 10`) would be reported as "expected string,
 * received number": say what to write instead (10 what? YAML cannot tell).
 */
const durationType = (expected: string) => (issue: { code?: string; input?: unknown }) =>
  issue.code === 'invalid_type' && issue.input !== undefined ? `expected ${expected} (a string with a unit: ms, s, m, h), not ${JSON.stringify(issue.input)}` : undefined;

/** A duration key turned into milliseconds, with its pattern in the JSON Schema so editors and `helm install` refuse what start-up would. */
const durationText = () => z.string({ error: durationType('a duration such as 10s') }).meta({ pattern: DURATION_PATTERN });

/** A duration key with a default. */
const duration = (fallback: string) => durationText().default(fallback).transform(toMs);

const stringList = z.array(z.string()).default([]);

/**
 * A glob or a `/regular expression/` (RE2 syntax). Checked here rather than after parsing, so
 * that a bad regular expression is reported together with every other problem of the file.
 */
const pattern = z.string().superRefine((text, ctx) => {
  const problem = patternProblem(text);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** One route rule: every condition set must hold (globs, or /regular expressions/). */
const ruleSchema = z
  .object({
    namespace: pattern.optional(),
    kind: pattern.optional(),
    name: pattern.optional(),
    reason: pattern.optional(),
    type: pattern.optional(),
    reportingController: pattern.optional(),
    message: pattern.optional(),
    labels: z.record(z.string(), pattern).optional(),
    annotations: z.record(z.string(), pattern).optional(),
    minCount: z.number().int().nonnegative().optional(),
  })
  .strict();

/** A header value: literal, or read at start-up from an environment variable or a file (keep secrets out of the ConfigMap). */
const headerValueSchema = z.union([
  z.string(),
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);

/** At most `limit` records per (involved object, reason) per `interval`; the next one that passes carries the suppressed count. */
const throttleSchema = z
  .object({
    limit: z.number().int().min(1),
    interval: duration('1m'),
  })
  .strict();

const sinkCommon = {
  name: z.string().min(1).regex(/^[a-zA-Z0-9_.-]+$/, 'use letters, digits, "_", "-" and "."'),
  match: z.array(ruleSchema).default([]),
  drop: z.array(ruleSchema).default([]),
  /** required: the checkpoint waits for it, nothing is dropped; best-effort: own queue drops oldest. Unset: required for the first sink, best-effort for the others (sink-defaults.ts). */
  delivery: z.enum(['required', 'best-effort']).optional(),
  /** Records queued for this sink before the source stops reading. */
  queueSize: z.number().int().min(1).default(SINK_QUEUE_DEFAULTS.queueSize),
  /** Estimated bytes queued for this sink (in flight included): a required sink then holds the source, a best-effort one drops its oldest. */
  queueBytes: z.number().int().min(1024).default(SINK_QUEUE_DEFAULTS.queueBytes),
  maxBatchSize: z.number().int().min(1).default(SINK_QUEUE_DEFAULTS.maxBatchSize),
  maxBatchBytes: z.number().int().min(1024).default(SINK_QUEUE_DEFAULTS.maxBatchBytes),
  batchTimeout: duration(formatDuration(SINK_QUEUE_DEFAULTS.batchTimeout)),
  /** First retry delay of a failed export; doubles up to maxBackoff, with jitter; a longer Retry-After of the receiver wins. */
  initialBackoff: duration(formatDuration(SINK_QUEUE_DEFAULTS.initialBackoff)),
  maxBackoff: duration(formatDuration(SINK_QUEUE_DEFAULTS.maxBackoff)),
  /** best-effort: a batch still failing this long after its first attempt is dropped (counted). */
  maxElapsedTime: duration(formatDuration(SINK_QUEUE_DEFAULTS.maxElapsedTime)),
  throttle: throttleSchema.optional(),
};

export const otlpSinkSchema = z
  .object({
    ...sinkCommon,
    type: z.literal('otlp'),
    /** Base URL (`http://collector:4318`) or, for http, the full `/v1/logs` URL. Default: OTEL_EXPORTER_OTLP_* env. */
    endpoint: z.string().min(1).optional(), // checked with the protocol: parseConfig, otlpEndpointProblem
    protocol: z.enum(['http/protobuf', 'http/json', 'grpc']).optional(),
    headers: z.record(z.string(), headerValueSchema).default({}),
    compression: z.enum(['gzip', 'none']).optional(),
    /** TLS towards the receiver; the OTEL_EXPORTER_OTLP_*CERTIFICATE/KEY variables also apply to the first OTLP sink. */
    tls: z
      .object({
        caFile: z.string().optional(),
        certFile: z.string().optional(),
        keyFile: z.string().optional(),
        /** Accept any server certificate (testing only). */
        insecureSkipVerify: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /** gRPC without TLS (for an `http://` endpoint this is implied). */
    insecure: z.boolean().optional(),
    /** Deadline of one export request; unset: OTEL_EXPORTER_OTLP_(LOGS_)TIMEOUT for the first OTLP sink, else the OTLP default, 10s. */
    // Above zero: a request given no time fails every attempt, so its batch is retried forever (the SDK refused 0 too).
    timeout: durationText()
      .transform(toMs)
      .refine((ms) => ms > 0, { error: 'must be above 0 (a request with no time to answer fails every attempt)' })
      .optional(),
  })
  .strict();

const stdoutSinkSchema = z
  .object({
    ...sinkCommon,
    type: z.literal('stdout'),
    /** `json`: one object per record; `classic`: the heptio/mintel eventrouter line {"verb","event","old_event"}. */
    format: z.enum(['json', 'classic']).default('json'),
  })
  .strict();

export const sinkSchema = z.discriminatedUnion('type', [otlpSinkSchema, stdoutSinkSchema]);

export const configSchema = z
  .object({
    clusterName: z.string().default(''),
    source: z
      .object({
        api: z.enum(['core/v1', 'events.k8s.io/v1']).default('core/v1'),
        namespaces: stringList,
        fieldSelector: z.string().default(''),
        labelSelector: z.string().default(''),
        /** `all`, or a duration: on a first start, only events younger than it. */
        backfill: z
          .string({ error: durationType('"all" or a duration such as 10m') })
          .meta({ pattern: durationOrPattern('all') })
          .default('all')
          .transform((text, ctx): 'all' | number => {
            if (text === 'all') return 'all';
            const ms = parseDuration(text);
            if (ms === undefined) {
              ctx.addIssue({ code: 'custom', message: 'use "all" or a duration such as 10m' });
              return z.NEVER;
            }
            return ms;
          }),
        pageSize: z.number().int().min(1).max(10_000).default(500),
        /** Server-side watch timeout; the router reconnects from the last resourceVersion. */
        watchTimeout: duration('5m'),
        /** A stream that delivers nothing for this long is reconnected. */
        inactivityTimeout: duration('3m'),
        minBackoff: duration('1s'),
        maxBackoff: duration('30s'),
        /** Events remembered to tell a repeat from a re-delivery. */
        dedupeCacheSize: z.number().int().min(100).default(20_000),
        emit: z
          .object({
            added: z.boolean().default(true),
            modified: z.enum(['occurrence', 'all', 'none']).default('occurrence'),
            deleted: z.boolean().default(false),
          })
          .strict()
          .default({ added: true, modified: 'occurrence', deleted: false }),
      })
      .strict()
      .prefault({}),
    checkpoint: z
      .object({
        store: z.enum(['file', 'configmap', 'none']).default('file'),
        path: z.string().default('/var/lib/eventrouter/checkpoint.json'),
        configMapName: z.string().default('eventrouter-checkpoint'),
        namespace: z.string().default(''),
        /** Least time between two checkpoint writes; unset: 0 (after every acknowledged batch) for file, 1s for configmap (below). */
        interval: durationText().transform(toMs).optional(),
        /** Deadline of one save; a save that has not returned by then counts as failed (hung filesystem or API call). */
        timeout: duration('15s'),
      })
      .strict()
      .prefault({})
      // The default depends on the store: every move for a file (cheap), at most once a second
      // for a ConfigMap (each write is an API request).
      .transform((checkpoint) => ({ ...checkpoint, interval: checkpoint.interval ?? (checkpoint.store === 'configmap' ? 1000 : 0) })),
    leaderElection: z
      .object({
        enabled: z.boolean().default(false),
        leaseName: z.string().default('eventrouter'),
        leaseNamespace: z.string().default(''),
        identity: z.string().default(''),
        leaseDuration: duration('15s'),
        renewDeadline: duration('10s'),
        retryPeriod: duration('2s'),
      })
      .strict()
      .prefault({}),
    enrich: z
      .object({
        owners: z.boolean().default(true),
        serviceName: z.boolean().default(true),
        labels: stringList,
        annotations: stringList,
        cacheSize: z.number().int().min(1).default(10_000),
        cacheTtl: duration('5m'),
        qps: z.number().positive().default(20),
        deadline: duration('2s'),
      })
      .strict()
      .prefault({}),
    drop: z.array(ruleSchema).default([]),
    sinks: z
      .array(sinkSchema)
      // In the schema, and run even when a sink has other problems, so that a duplicate name is
      // reported together with them (every problem in one pass).
      .superRefine(
        (sinks, ctx) => {
          const seen = new Set<unknown>();
          (Array.isArray(sinks) ? (sinks as unknown[]) : []).forEach((sink, i) => {
            const name = typeof sink === 'object' && sink !== null ? (sink as { name?: unknown }).name : undefined;
            if (typeof name !== 'string') return;
            if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate sink name "${name}"` });
            seen.add(name);
          });
        },
        { when: () => true },
      )
      .optional(),
    server: z
      .object({
        listen: z
          .string()
          .default('0.0.0.0:8080')
          .refine((v) => v === '' || parseListen(v) !== undefined, { error: (issue) => `"${String(issue.input)}": ${LISTEN_HINT}` }),
        /** A sink with records waiting that has delivered nothing for this long is named stalled on /readyz and in eventrouter_sink_stalled. */
        deliveryStallThreshold: duration('5m'),
        /** Unset: /metrics on `listen`; host:port: there only; "": not served. */
        metricsListen: z
          .string()
          .refine((v) => v === '' || parseListen(v) !== undefined, { error: (issue) => `"${String(issue.input)}": ${LISTEN_HINT}` })
          .optional(),
      })
      .strict()
      .prefault({}),
    selfMetrics: z
      .object({
        /** OTLP/HTTP base URL to push the router's own metrics to; empty: /metrics only. */
        otlpEndpoint: z.string().default(''),
        interval: duration('60s'),
      })
      .strict()
      .prefault({}),
    log: z
      .object({ level: z.enum(LOG_LEVELS).default('info') })
      .strict()
      .prefault({}),
    /** Deadline to drain the sinks on SIGTERM; keep it below the pod's terminationGracePeriodSeconds. */
    shutdownTimeout: duration('25s'),
    /** Longest event message kept in the body; longer ones are cut and marked. */
    maxBodyLength: z.number().int().min(64).default(32_768),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type SinkConfig = z.output<typeof sinkSchema>;
export type OtlpSinkConfig = z.output<typeof otlpSinkSchema>;
export type StdoutSinkConfig = z.output<typeof stdoutSinkSchema>;
export type RuleConfig = z.output<typeof ruleSchema>;
