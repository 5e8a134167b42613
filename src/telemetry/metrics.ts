import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { emptyResource } from '@opentelemetry/resources';
import { MeterProvider, type MetricProducer } from '@opentelemetry/sdk-metrics';
import { BoundedLabel, EVENT_TYPES, KNOWN_KINDS } from './bounded-label.ts';
import { Counter } from './counter.ts';
import { Gauge } from './gauge.ts';
import { HealthMetrics } from './health-metrics.ts';
import { Histogram } from './histogram.ts';
import { registerProcessMetrics } from './process-metrics.ts';

/** Content type of {@link Metrics.text}: the Prometheus text format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsOptions {
  /** `cluster` label of `eventrouter_events_total` (config `clusterName`), so routers of several clusters can share one Prometheus. */
  clusterName?: string;
  /** Version of the instrumentation scope (`eventrouter`) the OTLP push reports. */
  version?: string;
}

/**
 * The router's own metrics: OpenTelemetry SDK instruments on one meter provider, read by a
 * Prometheus exporter for `/metrics` ({@link text}) and, when configured, by the OTLP push
 * through {@link producer}: the same instruments and the same values for both. One provider per
 * router, so that tests and the demo can run several routers in one process. Every label whose
 * value comes from the cluster goes through a {@link BoundedLabel}: callers pass raw values.
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

  readonly notifications: Counter<'type'>;
  readonly malformed: Counter<'kind'>;
  readonly watchRestarts: Counter<'cause'>;
  readonly records: Counter<'sink' | 'outcome'>;
  readonly exportRetries: Counter<'sink'>;
  /** Depth of each sink's queue, read when the gauge is collected rather than set per record. */
  readonly queueDepthSources = new Map<string, () => number>();
  readonly queueDepth: Gauge<'sink'>;
  readonly exportDuration: Histogram<'sink'>;
  readonly events: Counter<'cluster' | 'type' | 'reason' | 'kind' | 'namespace'>;
  readonly checkpointResourceVersion: Gauge<'scope'>;
  readonly checkpointLagSeconds: Gauge;
  readonly checkpointLagResourceVersions: Gauge<'scope'>;
  readonly checkpointWrites: Counter<'outcome'>;
  readonly checkpointDiscarded: Counter<'reason'>;
  readonly checkpointHealthy: Gauge;
  readonly enrichLookups: Counter<'outcome'>;
  readonly leader: Gauge;
  readonly lastEventSeconds: Gauge;
  /** Delivery and leadership health, read at collection. */
  readonly health: HealthMetrics;
  /** Computes `eventrouter_checkpoint_lag_seconds` at collection (set by the checkpoint committer), so the lag grows in a quiet cluster too. */
  checkpointLagSource: (() => number) | undefined;

  constructor(options: MetricsOptions = {}) {
    this.#cluster = new BoundedLabel({ cap: 1 }).value(options.clusterName);
    // No server of its own: /metrics is served by the router's HTTP server (src/server), which
    // also answers the probes on the one configured port. No scope labels, no target_info: the
    // series stay as they were. The resource belongs to the OTLP push (otlp-metrics-export.ts).
    this.#reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true });
    const provider = new MeterProvider({
      resource: emptyResource(),
      readers: [this.#reader],
      // The SDK folds series beyond 2,000 per instrument into one `otel_metric_overflow` series.
      // The bounded labels are the limit here, as they were: events_total may exceed 2,000.
      views: [{ instrumentName: '*', aggregationCardinalityLimit: Number.POSITIVE_INFINITY }],
    });
    this.#meter = provider.getMeter('eventrouter', options.version);
    const meter = this.#meter;
    this.notifications = new Counter(meter, {
      name: 'eventrouter_notifications_total',
      help: 'Watch notifications and listed objects received from the API server, by type.',
      labelNames: ['type'],
    });
    this.malformed = new Counter(meter, {
      name: 'eventrouter_malformed_total',
      help: 'Malformed input from the API server that was skipped, by kind.',
      labelNames: ['kind'],
    });
    this.watchRestarts = new Counter(meter, {
      name: 'eventrouter_watch_restarts_total',
      help: 'Watch streams restarted, by cause (closed, expired, error, inactivity, http).',
      labelNames: ['cause'],
    });
    this.records = new Counter(meter, {
      name: 'eventrouter_records_total',
      help: 'Records per sink by outcome: exported, filtered, failed (permanent error, dropped).',
      labelNames: ['sink', 'outcome'],
    });
    this.exportRetries = new Counter(meter, {
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
    this.exportDuration = new Histogram(meter, {
      name: 'eventrouter_export_duration_seconds',
      help: 'Duration of one export call per sink.',
      labelNames: ['sink'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.events = new Counter(meter, {
      name: 'eventrouter_events_total',
      help: 'Event occurrences routed, by cluster (config clusterName), type, reason, involved kind and namespace; values are truncated to 63 characters and capped (type: Normal/Warning; kind: built-in kinds plus 50; reason 200; namespace 500), the rest count as "other".',
      labelNames: ['cluster', 'type', 'reason', 'kind', 'namespace'],
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
    this.checkpointWrites = new Counter(meter, {
      name: 'eventrouter_checkpoint_writes_total',
      help: 'Checkpoint writes by outcome: ok, error, timeout (not returned within checkpoint.timeout).',
      labelNames: ['outcome'],
    });
    this.checkpointDiscarded = new Counter(meter, {
      name: 'eventrouter_checkpoint_discarded_total',
      help: 'Checkpoints (or a scope\'s cursor) thrown away, by reason: other-cluster, ahead-of-cluster, too-large (the API server refused the resourceVersion as in its future), other-api.',
      labelNames: ['reason'],
    });
    this.checkpointHealthy = new Gauge(meter, {
      name: 'eventrouter_checkpoint_healthy',
      help: '1 while the checkpoint store answers (the last load or write succeeded), 0 while it fails.',
    });
    this.enrichLookups = new Counter(meter, {
      name: 'eventrouter_enrich_lookups_total',
      help: 'API lookups made for enrichment, by outcome (ok, not_found, forbidden, error, deadline; skipped while the circuit breaker is open).',
      labelNames: ['outcome'],
    });
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
    // A failing callback is reported in `errors`; the other metrics are still served.
    const { resourceMetrics } = await this.#reader.collect();
    return this.#serializer.serialize(resourceMetrics);
  }

  /** What the OTLP push reads: the same collection as /metrics (cumulative). */
  get producer(): MetricProducer {
    return { collect: (options) => this.#reader.collect(options) };
  }
}
