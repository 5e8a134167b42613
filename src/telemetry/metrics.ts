import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { emptyResource } from '@opentelemetry/resources';
import { MeterProvider, type MetricData, type MetricProducer } from '@opentelemetry/sdk-metrics';
import { BoundedLabel, EVENT_TYPES, KNOWN_KINDS } from './bounded-label.ts';
import { Counter, type CounterOptions } from './counter.ts';
import { Gauge } from './gauge.ts';
import { HealthMetrics } from './health-metrics.ts';
import { Histogram } from './histogram.ts';
import { registerProcessMetrics } from './process-metrics.ts';

/** What the per-sink health gauges read (SinkQueue.health; epoch ms). */
export interface SinkHealthFigures {
  lastSuccessAt?: number;
  oldestQueuedAt?: number;
  consecutiveFailures: number;
}

/** Content type of {@link Metrics.text}: the Prometheus text format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Series of `eventrouter_events_total` kept, its overflow series included (the other counters
 * keep the SDK's 2,000). Measured in a 128 MiB pod with the image's flags, label values of 63
 * multi-byte characters and 8 concurrent scrapes during a 100,000-event burst: 7,500 series
 * pass, 10,000 abort (a collection makes 1–1.5 KB of garbage per series); 5,000 leaves room.
 */
export const EVENTS_SERIES_LIMIT = 5_000;

/**
 * Largest `/metrics` body by default: above what the bounded series fill (5,000 event series take
 * about 0.6 MB with ordinary names, 1.7 MB with label values of 63 multi-byte characters).
 */
export const SCRAPE_MAX_BYTES = 8 * 1024 * 1024;

/** Outcomes of `eventrouter_records_total`; each sink has all of them, at 0 until counted. */
export const RECORD_OUTCOMES = ['exported', 'filtered', 'throttled', 'failed', 'dropped', 'too_large'] as const;

/** Reasons of `eventrouter_checkpoint_discarded_total`, at 0 until counted. */
const DISCARD_REASONS = ['other-cluster', 'ahead-of-cluster', 'too-large', 'other-api', 'invalid'] as const;
/** Causes of eventrouter_watch_restarts_total, at 0 from start-up: the watch alert reads `closed` with increase(). */
const WATCH_RESTART_CAUSES = ['closed', 'expired', 'inactivity', 'http', 'error'] as const;

/** Data points serialized at a time: a family of thousands of series is never one string. */
const POINTS_PER_CHUNK = 500;

/** The body of a `/metrics` response, as the chunks to write in order. */
export interface ScrapeBody {
  readonly chunks: readonly Buffer[];
  readonly bytes: number;
}

export interface MetricsOptions {
  /** `cluster` label of `eventrouter_events_total` (config `clusterName`), so routers of several clusters can share one Prometheus. */
  clusterName?: string;
  /** Version of the instrumentation scope (`eventrouter`) the OTLP push reports. */
  version?: string;
  /** Largest `/metrics` body; metric families that would go beyond it are left out (default {@link SCRAPE_MAX_BYTES}). */
  scrapeMaxBytes?: number;
}

/**
 * The router's own metrics: OpenTelemetry SDK instruments on one meter provider, read by a
 * Prometheus exporter for `/metrics` ({@link text}) and, when configured, by the OTLP push
 * through {@link producer}: the same instruments and the same values for both. One provider per
 * router, so that tests and the demo can run several routers in one process. Every label whose
 * value comes from the cluster goes through a {@link BoundedLabel}: callers pass raw values.
 *
 * Every instrument's series are bounded in number (the SDK's cardinality limit, with its
 * `otel_metric_overflow` series; {@link Counter}), and `/metrics` in bytes ({@link scrape}), so a
 * cluster that sends any number of label combinations costs bounded memory.
 *
 * Instrument names are the Prometheus names (`_total` included, no unit suffix added): the
 * exporter keeps a name that already ends in `_total`, and the names on `/metrics` stay those
 * dashboards and alerts know.
 */
export class Metrics {
  readonly #reader: PrometheusExporter;
  readonly #meter: Meter;
  // The exporter's serializer is private; this one is made with the same options.
  readonly #serializer = new PrometheusSerializer(undefined, false, undefined, true, true);
  readonly #cluster: string;
  readonly #type = new BoundedLabel({ known: EVENT_TYPES });
  readonly #kind = new BoundedLabel({ known: KNOWN_KINDS, cap: 50 });
  readonly #reason = new BoundedLabel({ cap: 200 });
  readonly #namespace = new BoundedLabel({ cap: 500 });
  readonly #malformedKind = new BoundedLabel({ cap: 50 });
  #processMetrics = false;
  readonly #scrapeMaxBytes: number;
  /** The scrape being made, which callers arriving meanwhile share. */
  #scrape: Promise<ScrapeBody> | undefined;

  /** Counts that went to an instrument's overflow series, by instrument; each counter's series exists at 0. */
  readonly seriesOverflow: Counter<'instrument'>;
  /** Scrapes that left metric families out to stay within the byte limit. */
  readonly scrapeTruncated: Counter<never>;

  readonly notifications: Counter<'type'>;
  readonly malformed: Counter<'kind'>;
  readonly watchRestarts: Counter<'cause'>;
  readonly records: Counter<'sink' | 'outcome'>;
  readonly exportRetries: Counter<'sink'>;
  /** Records removed by the global `drop` rules, before any sink (a sink's own rules count as `filtered`). */
  readonly droppedByRule: Counter<never>;
  /** Depth of each sink's queue, read when the gauge is collected rather than set per record. */
  readonly queueDepthSources = new Map<string, () => number>();
  readonly queueDepth: Gauge<'sink'>;
  /** Each sink's delivery health (SinkQueue.health), read when its gauges are collected. */
  readonly sinkHealthSources = new Map<string, () => SinkHealthFigures>();
  readonly sinkLastSuccess: Gauge<'sink'>;
  readonly sinkOldestQueuedAge: Gauge<'sink'>;
  readonly sinkConsecutiveFailures: Gauge<'sink'>;
  readonly exportDuration: Histogram<'sink'>;
  readonly events: Counter<'cluster' | 'type' | 'reason' | 'kind' | 'namespace'>;
  readonly checkpointResourceVersion: Gauge<'scope'>;
  readonly checkpointLagSeconds: Gauge;
  readonly checkpointLagResourceVersions: Gauge<'scope'>;
  readonly checkpointWrites: Counter<'outcome'>;
  readonly checkpointDiscarded: Counter<'reason'>;
  readonly checkpointHealthy: Gauge;
  readonly enrichLookups: Counter<'outcome'>;
  readonly identityMismatches: Counter<never>;
  readonly leader: Gauge;
  readonly lastEventSeconds: Gauge;
  /** Delivery and leadership health, read at collection. */
  readonly health: HealthMetrics;
  /** Computes `eventrouter_checkpoint_lag_seconds` at collection (set by the checkpoint committer), so the lag grows in a quiet cluster too. */
  checkpointLagSource: (() => number) | undefined;

  constructor(options: MetricsOptions = {}) {
    this.#cluster = new BoundedLabel({ cap: 1 }).value(options.clusterName);
    this.#scrapeMaxBytes = options.scrapeMaxBytes ?? SCRAPE_MAX_BYTES;
    // No server of its own: /metrics is served by the router's HTTP server (src/server), which
    // also answers the probes on the one configured port. No scope labels, no target_info: the
    // series stay as they were. The resource belongs to the OTLP push (otlp-metrics-export.ts).
    this.#reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true });
    const provider = new MeterProvider({
      resource: emptyResource(),
      readers: [this.#reader],
      // The SDK folds series beyond its limit (2,000 per instrument by default) into one
      // `otel_metric_overflow` series. The counters apply the same limit where they keep their
      // values (counter.ts); events_total, whose labels come from the cluster, keeps more.
      views: [{ instrumentName: 'eventrouter_events_total', aggregationCardinalityLimit: EVENTS_SERIES_LIMIT }],
    });
    this.#meter = provider.getMeter('eventrouter', options.version);
    const meter = this.#meter;
    this.seriesOverflow = new Counter(meter, {
      name: 'eventrouter_metric_series_overflow_total',
      help: 'Counts added to an instrument\'s overflow series (label otel_metric_overflow) because the instrument had reached its limit of series, by instrument.',
      labelNames: ['instrument'],
    });
    this.scrapeTruncated = this.#counter({
      name: 'eventrouter_metrics_truncated_total',
      help: 'Responses of /metrics that left metric families out to stay within the byte limit (the response names them in a comment).',
      labelNames: [],
    });
    this.scrapeTruncated.declare({});
    this.notifications = this.#counter({
      name: 'eventrouter_notifications_total',
      help: 'Watch notifications and listed objects received from the API server, by type.',
      labelNames: ['type'],
    });
    this.malformed = this.#counter({
      name: 'eventrouter_malformed_total',
      help: 'Malformed input from the API server that was skipped, by kind.',
      labelNames: ['kind'],
    });
    this.watchRestarts = this.#counter({
      name: 'eventrouter_watch_restarts_total',
      help: 'Watch streams restarted, by cause (closed, expired, error, inactivity, http).',
      labelNames: ['cause'],
    });
    for (const cause of WATCH_RESTART_CAUSES) this.watchRestarts.declare({ cause });
    this.records = this.#counter({
      name: 'eventrouter_records_total',
      help: 'Records per sink by outcome: exported, filtered, throttled, failed (refused by the receiver, dropped), dropped (best-effort sink: queue full or retries past maxElapsedTime), too_large (a single record over the receiver\'s request size limit, dropped).',
      labelNames: ['sink', 'outcome'],
    });
    this.droppedByRule = this.#counter({
      name: 'eventrouter_records_dropped_by_rule_total',
      help: 'Records removed by the global drop rules, before any sink (records a sink\'s own match/drop rules keep from it: eventrouter_records_total{outcome="filtered"}).',
      labelNames: [],
    });
    // At 0 from start-up: a rate or increase() over it works before the first drop.
    this.droppedByRule.inc({}, 0);
    this.exportRetries = this.#counter({
      name: 'eventrouter_export_retries_total',
      help: 'Export attempts that failed with a retryable error and were retried.',
      labelNames: ['sink'],
    });
    this.queueDepth = new Gauge(meter, {
      name: 'eventrouter_queue_depth',
      help: 'Records queued or in flight per sink.',
      labelNames: ['sink'],
      collect: (gauge) => {
        for (const [sink, depth] of this.queueDepthSources) gauge.set({ sink }, depth());
      },
    });
    this.sinkLastSuccess = new Gauge(meter, {
      name: 'eventrouter_sink_last_success_timestamp_seconds',
      help: 'Unix time of the last successful export per sink (0: none yet).',
      labelNames: ['sink'],
      collect: (gauge) => {
        for (const [sink, health] of this.sinkHealthSources) gauge.set({ sink }, (health().lastSuccessAt ?? 0) / 1000);
      },
    });
    this.sinkOldestQueuedAge = new Gauge(meter, {
      name: 'eventrouter_sink_oldest_queued_age_seconds',
      help: 'Age of the oldest record queued or in flight per sink (0: empty).',
      labelNames: ['sink'],
      collect: (gauge) => {
        const now = Date.now();
        for (const [sink, health] of this.sinkHealthSources) {
          const at = health().oldestQueuedAt;
          gauge.set({ sink }, at === undefined ? 0 : Math.max(0, now - at) / 1000);
        }
      },
    });
    this.sinkConsecutiveFailures = new Gauge(meter, {
      name: 'eventrouter_sink_consecutive_failures',
      help: 'Failed export attempts per sink since its last successful export.',
      labelNames: ['sink'],
      collect: (gauge) => {
        for (const [sink, health] of this.sinkHealthSources) gauge.set({ sink }, health().consecutiveFailures);
      },
    });
    this.exportDuration = new Histogram(meter, {
      name: 'eventrouter_export_duration_seconds',
      help: 'Duration of one export call per sink.',
      labelNames: ['sink'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.events = this.#counter({
      name: 'eventrouter_events_total',
      help: 'Event occurrences routed, by cluster (config clusterName), type, reason, involved kind and namespace; values are truncated to 63 characters and capped (type: Normal/Warning; kind: built-in kinds plus 50; reason 200; namespace 500), the rest count as "other".',
      labelNames: ['cluster', 'type', 'reason', 'kind', 'namespace'],
      cardinalityLimit: EVENTS_SERIES_LIMIT,
    });
    this.checkpointResourceVersion = new Gauge(meter, {
      name: 'eventrouter_checkpoint_resource_version',
      help: 'resourceVersion of the last checkpoint written (numeric resourceVersions only).',
      labelNames: ['scope'],
    });
    this.checkpointLagSeconds = new Gauge(meter, {
      name: 'eventrouter_checkpoint_lag_seconds',
      help: 'Age of the oldest record received but not yet acknowledged by every sink.',
      collect: (gauge) => {
        if (this.checkpointLagSource !== undefined) gauge.set(this.checkpointLagSource());
      },
    });
    this.checkpointLagResourceVersions = new Gauge(meter, {
      name: 'eventrouter_checkpoint_lag_resource_versions',
      help: 'Last resourceVersion received minus the checkpoint, per scope (numeric resourceVersions only).',
      labelNames: ['scope'],
    });
    this.checkpointWrites = this.#counter({
      name: 'eventrouter_checkpoint_writes_total',
      help: 'Checkpoint writes by outcome: ok, error, timeout (not returned within checkpoint.timeout).',
      labelNames: ['outcome'],
    });
    this.checkpointDiscarded = this.#counter({
      name: 'eventrouter_checkpoint_discarded_total',
      help: 'Checkpoints (or a scope\'s cursor) thrown away, by reason: other-cluster, ahead-of-cluster, too-large (the API server refused the resourceVersion as in its future), other-api, invalid (refused as no resourceVersion at all).',
      labelNames: ['reason'],
    });
    for (const reason of DISCARD_REASONS) this.checkpointDiscarded.declare({ reason });
    this.checkpointHealthy = new Gauge(meter, {
      name: 'eventrouter_checkpoint_healthy',
      help: '1 while the checkpoint store answers (the last load or write succeeded), 0 while it fails.',
    });
    this.enrichLookups = this.#counter({
      name: 'eventrouter_enrich_lookups_total',
      help: 'API lookups made for enrichment, by outcome (ok, not_found, forbidden, error, deadline; skipped while the circuit breaker is open).',
      labelNames: ['outcome'],
    });
    this.identityMismatches = this.#counter<never>({
      name: 'eventrouter_events_identity_mismatch_total',
      help: 'Events that name an object outside their own namespace (or a cluster-scoped object from outside default/kube-system): exported under their own namespace, not attributed to that object.',
      labelNames: [],
    });
    // Present at 0 from the start, so an alert on its increase needs no absent() guard.
    this.identityMismatches.inc({}, 0);
    this.leader = new Gauge(meter, {
      name: 'eventrouter_leader',
      help: '1 while this replica holds the Lease (or leader election is off), 0 on standby.',
    });
    this.lastEventSeconds = new Gauge(meter, {
      name: 'eventrouter_watch_last_activity_timestamp_seconds',
      help: 'Unix time of the last byte received on a watch stream or list page.',
    });
    this.health = new HealthMetrics(meter);
  }

  /** A counter whose overflow is counted in {@link seriesOverflow}, where its instrument's series exists from the start. */
  #counter<L extends string>(options: CounterOptions<L>): Counter<L> {
    const instrument = { instrument: options.name };
    this.seriesOverflow.declare(instrument);
    return new Counter(this.#meter, { ...options, onOverflow: (n) => this.seriesOverflow.inc(instrument, n) });
  }

  /**
   * A sink's queue depth, read at collection, and its series of records and retries at 0, so
   * that an alert on their increase (`increase(eventrouter_records_total{outcome="failed"}[15m]) > 0`)
   * fires on the first failure: a series that appears at 1 has no earlier sample to increase from.
   */
  addSink(name: string, depth: () => number): void {
    this.queueDepthSources.set(name, depth);
    for (const outcome of RECORD_OUTCOMES) this.records.declare({ sink: name, outcome });
    this.exportRetries.declare({ sink: name });
  }

  /** Counts one routed event occurrence by its raw fields (cheap; bounded; published at collection). */
  event(type: string | undefined, reason: string | undefined, kind: string | undefined, namespace: string | undefined): void {
    const t = this.#type.value(type);
    const r = this.#reason.value(reason);
    const k = this.#kind.value(kind);
    const n = this.#namespace.value(namespace);
    this.events.add(`${t}\u0000${r}\u0000${k}\u0000${n}`, () => ({ cluster: this.#cluster, type: t, reason: r, kind: k, namespace: n }));
  }

  /** Counts malformed input of `kind` (which may carry a value from the stream, e.g. an ERROR frame's code). */
  malformedInput(kind: string): void {
    this.malformed.inc({ kind: this.#malformedKind.value(kind) });
  }

  /** Counts a notification of `type` (cheap; published at collection). */
  notification(type: string): void {
    this.notifications.add(type, () => ({ type }));
  }

  /** Adds the process metrics (CPU, RSS, heap, open files, event loop lag). Off for tests; once per router. */
  withProcessMetrics(): this {
    if (!this.#processMetrics) registerProcessMetrics(this.#meter);
    this.#processMetrics = true;
    return this;
  }

  /** Every metric in the Prometheus text format ({@link PROMETHEUS_CONTENT_TYPE}), as `/metrics` serves it. */
  async text(): Promise<string> {
    return Buffer.concat((await this.scrape()).chunks).toString('utf8');
  }

  /**
   * The body of a `/metrics` response. Callers that arrive while one is being made share it
   * (one collection, one body, however many scrapers), so concurrent scrapes do not multiply
   * memory. It is serialized a few hundred series at a time into buffers (outside the JavaScript
   * heap, whose limit is half the pod's), and a metric family that would take the body beyond
   * `scrapeMaxBytes` is left out whole (never cut inside, which would misstate its sums): the
   * body names it in a comment and {@link scrapeTruncated} counts it.
   */
  scrape(): Promise<ScrapeBody> {
    this.#scrape ??= this.#render().finally(() => {
      this.#scrape = undefined;
    });
    return this.#scrape;
  }

  async #render(): Promise<ScrapeBody> {
    // A failing callback is reported in `errors`; the other metrics are still served.
    const { resourceMetrics } = await this.#reader.collect();
    const { resource } = resourceMetrics;
    const chunks: Buffer[] = [];
    const omitted: string[] = [];
    let bytes = 0;
    for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
      for (const metric of metrics) {
        const family: Buffer[] = [];
        let size = 0;
        for (let i = 0; i === 0 || i < metric.dataPoints.length; i += POINTS_PER_CHUNK) {
          const part = { ...metric, dataPoints: metric.dataPoints.slice(i, i + POINTS_PER_CHUNK) } as MetricData;
          let text = this.#serializer.serialize({ resource, scopeMetrics: [{ scope, metrics: [part] }] });
          // Each part comes with the family's # HELP / # TYPE lines; the body has them once.
          if (i > 0) text = text.replace(/^(?:#[^\n]*\n)+/, '');
          const chunk = Buffer.from(text);
          size += chunk.length;
          if (bytes + size > this.#scrapeMaxBytes) break;
          family.push(chunk);
        }
        if (bytes + size > this.#scrapeMaxBytes) {
          omitted.push(metric.descriptor.name);
          continue;
        }
        chunks.push(...family);
        bytes += size;
      }
    }
    if (omitted.length > 0) {
      this.scrapeTruncated.inc({});
      const note = Buffer.from(`# eventrouter: left out ${omitted.join(', ')}: /metrics would exceed ${this.#scrapeMaxBytes} bytes\n`);
      chunks.push(note);
      bytes += note.length;
    }
    return { chunks, bytes };
  }

  /** What the OTLP push reads: the same collection as /metrics (cumulative). */
  get producer(): MetricProducer {
    return { collect: (options) => this.#reader.collect(options) };
  }
}
