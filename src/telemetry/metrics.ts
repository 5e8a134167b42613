import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundedLabel, EVENT_TYPES, KNOWN_KINDS } from './bounded-label.ts';

type Labels = Record<string, string>;

/**
 * Per-record counts kept in plain numbers and added to a prom-client counter when it is
 * collected (a scrape, or `get()`): prom-client hashes the label set on every `inc`, which
 * the hot path should not pay for each event.
 */
export class PendingCounts {
  readonly #pending = new Map<string, { labels: Labels; n: number }>();

  add(key: string, labels: () => Labels, n = 1): void {
    const entry = this.#pending.get(key);
    if (entry !== undefined) entry.n += n;
    else this.#pending.set(key, { labels: labels(), n });
  }

  flushInto(counter: Counter<string>): void {
    for (const entry of this.#pending.values()) {
      if (entry.n === 0) continue;
      counter.inc(entry.labels, entry.n);
      entry.n = 0;
    }
  }
}

export interface MetricsOptions {
  /** `cluster` label of `eventrouter_events_total` (config `clusterName`), so routers of several clusters can share one Prometheus. */
  clusterName?: string;
}

/**
 * The router's own metrics (Prometheus text on `/metrics`). One registry per router so
 * that tests and the demo can run several routers in one process. Every label whose value
 * comes from the cluster goes through a {@link BoundedLabel}: callers pass raw values.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #cluster: string;
  readonly #type = new BoundedLabel({ known: EVENT_TYPES });
  readonly #kind = new BoundedLabel({ known: KNOWN_KINDS, cap: 50 });
  readonly #reason = new BoundedLabel({ cap: 200 });
  readonly #namespace = new BoundedLabel({ cap: 500 });
  readonly #malformedKind = new BoundedLabel({ cap: 50 });

  constructor(options: MetricsOptions = {}) {
    this.#cluster = new BoundedLabel({ cap: 1 }).value(options.clusterName);
  }

  /** Hot-path counts for `notifications` (key: the type). */
  readonly pendingNotifications = new PendingCounts();
  /** Hot-path counts for `events` (key: type, reason, kind, namespace joined). */
  readonly pendingEvents = new PendingCounts();
  readonly notifications: Counter<'type'> = new Counter({
    name: 'eventrouter_notifications_total',
    help: 'Watch notifications and listed objects received from the API server, by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
    collect: (): void => this.pendingNotifications.flushInto(this.notifications),
  });
  readonly malformed = new Counter({
    name: 'eventrouter_malformed_total',
    help: 'Malformed input from the API server that was skipped, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly watchRestarts = new Counter({
    name: 'eventrouter_watch_restarts_total',
    help: 'Watch streams restarted, by cause (closed, expired, error, inactivity, http).',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly records = new Counter({
    name: 'eventrouter_records_total',
    help: 'Records per sink by outcome: exported, filtered, failed (permanent error, dropped).',
    labelNames: ['sink', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly exportRetries = new Counter({
    name: 'eventrouter_export_retries_total',
    help: 'Export attempts that failed with a retryable error and were retried.',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });
  /** Depth of each sink's queue, read when the gauge is collected rather than set per record. */
  readonly queueDepthSources = new Map<string, () => number>();
  readonly queueDepth: Gauge<'sink'> = new Gauge({
    name: 'eventrouter_queue_depth',
    help: 'Records queued or in flight per sink.',
    labelNames: ['sink'] as const,
    registers: [this.registry],
    collect: (): void => {
      for (const [sink, depth] of this.queueDepthSources) this.queueDepth.set({ sink }, depth());
    },
  });
  readonly exportDuration = new Histogram({
    name: 'eventrouter_export_duration_seconds',
    help: 'Duration of one export call per sink.',
    labelNames: ['sink'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly events: Counter<'cluster' | 'type' | 'reason' | 'kind' | 'namespace'> = new Counter({
    name: 'eventrouter_events_total',
    help: 'Event occurrences routed, by cluster (config clusterName), type, reason, involved kind and namespace; values are truncated to 63 characters and capped (type: Normal/Warning; kind: built-in kinds plus 50; reason 200; namespace 500), the rest count as "other".',
    labelNames: ['cluster', 'type', 'reason', 'kind', 'namespace'] as const,
    registers: [this.registry],
    collect: (): void => this.pendingEvents.flushInto(this.events),
  });
  readonly checkpointResourceVersion = new Gauge({
    name: 'eventrouter_checkpoint_resource_version',
    help: 'resourceVersion of the last checkpoint written (numeric resourceVersions only).',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly checkpointLagSeconds = new Gauge({
    name: 'eventrouter_checkpoint_lag_seconds',
    help: 'Age of the oldest record received but not yet acknowledged by every sink.',
    registers: [this.registry],
  });
  readonly checkpointLagResourceVersions = new Gauge({
    name: 'eventrouter_checkpoint_lag_resource_versions',
    help: 'Last resourceVersion received minus the checkpoint, per scope (numeric resourceVersions only).',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly checkpointWrites = new Counter({
    name: 'eventrouter_checkpoint_writes_total',
    help: 'Checkpoint writes by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly checkpointDiscarded = new Counter({
    name: 'eventrouter_checkpoint_discarded_total',
    help: 'Checkpoints (or a scope\'s cursor) thrown away, by reason: other-cluster, ahead-of-cluster, too-large (the API server refused the resourceVersion as in its future), other-api.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly checkpointHealthy = new Gauge({
    name: 'eventrouter_checkpoint_healthy',
    help: '1 while the checkpoint store answers (the last load or write succeeded), 0 while it fails.',
    registers: [this.registry],
  });
  readonly enrichLookups = new Counter({
    name: 'eventrouter_enrich_lookups_total',
    help: 'API lookups made for enrichment, by outcome (ok, not_found, forbidden, error, deadline; skipped while the circuit breaker is open).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'eventrouter_leader',
    help: '1 while this replica holds the Lease (or leader election is off), 0 on standby.',
    registers: [this.registry],
  });
  readonly lastEventSeconds = new Gauge({
    name: 'eventrouter_watch_last_activity_timestamp_seconds',
    help: 'Unix time of the last byte received on a watch stream or list page.',
    registers: [this.registry],
  });

  /** Counts one routed event occurrence by its raw fields (cheap; bounded; published at collection). */
  event(type: string | undefined, reason: string | undefined, kind: string | undefined, namespace: string | undefined): void {
    const t = this.#type.value(type);
    const r = this.#reason.value(reason);
    const k = this.#kind.value(kind);
    const n = this.#namespace.value(namespace);
    this.pendingEvents.add(`${t}\u0000${r}\u0000${k}\u0000${n}`, () => ({ cluster: this.#cluster, type: t, reason: r, kind: k, namespace: n }));
  }

  /** Counts malformed input of `kind` (which may carry a value from the stream, e.g. an ERROR frame's code). */
  malformedInput(kind: string): void {
    this.malformed.inc({ kind: this.#malformedKind.value(kind) });
  }

  /** Counts a notification of `type` (cheap; published at collection). */
  notification(type: string): void {
    this.pendingNotifications.add(type, () => ({ type }));
  }

  /** Adds the process metrics (CPU, RSS, event loop lag). Off for tests. */
  withDefaultMetrics(): this {
    collectDefaultMetrics({ register: this.registry, prefix: 'eventrouter_' });
    return this;
  }
}
