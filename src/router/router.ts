import { resourceAttributesEnvDetector } from '@opentelemetry/resources';
import type { Config, SinkConfig } from '../config/schema.ts';
import { AckTracker } from '../checkpoint/ack-tracker.ts';
import type { Checkpoint, CheckpointStore } from '../checkpoint/checkpoint-store.ts';
import { applyServiceAttributes, type WorkloadMetadata } from '../enrich/service-attributes.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import type { AttributeMap, EventRecord } from '../model/event-record.ts';
import { type MapOptions, mapEvent } from '../model/map-event.ts';
import { MalformedEventError, normalizeEvent } from '../model/normalize.ts';
import { OccurrenceTracker } from '../model/occurrence-tracker.ts';
import { Route } from '../route/rule-matcher.ts';
import { Throttle } from '../route/throttle.ts';
import { LRUCache } from 'lru-cache';
import { SinkQueue } from '../sinks/sink-queue.ts';
import type { Sink } from '../sinks/sink.ts';
import { EventSource, type SourceItem } from '../source/event-source.ts';
import { parseDuration } from '../util/duration.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';

/** Adds what the API knows about an event's object (owners, labels) to its record. */
export interface Enricher {
  /** Adds owner attributes to `record.resource`; returns the labels/annotations that decide `service.*`. */
  enrich(record: EventRecord): Promise<WorkloadMetadata | undefined>;
}

export interface RouterOptions {
  config: Config;
  client: KubeClient;
  /** The sinks, each with its config entry (queue bounds, batching, routes); without one, defaults. */
  sinks: Array<{ sink: Sink; config?: SinkConfig }>;
  checkpointStore: CheckpointStore;
  metrics: Metrics;
  logger: Logger;
  enricher?: Enricher;
  /** `k8s.cluster.uid`, when known. */
  clusterUid?: string;
  env?: NodeJS.ProcessEnv;
}

interface Scope {
  namespace: string;
  source: EventSource;
  tracker: AckTracker;
}

interface SinkLane {
  queue: SinkQueue;
  route: Route;
  throttle: Throttle | undefined;
}

/** Records outstanding across all sinks before the source waits (bounds memory with a slow sink). */
const MAX_IN_FLIGHT = 50_000;
const MAX_REASONS = 200;
const MAX_NAMESPACES = 500;

/**
 * The pipeline: sources → normalize/occurrence → map → enrich → route → per-sink queues,
 * with the checkpoint advanced by acknowledgements. Sinks start before sources and stop after
 * them, so each stage drains into the next.
 */
export class Router {
  readonly #o: RouterOptions;
  readonly #log: Logger;
  readonly #occurrences: OccurrenceTracker;
  readonly #lanes: SinkLane[];
  readonly #drop: Route;
  readonly #mapOptions: MapOptions;
  #scopes: Scope[] = [];
  #abort = new AbortController();
  #running: Promise<void>[] = [];
  #checkpointTimer: NodeJS.Timeout | undefined;
  #saved = '';
  #saving: Promise<void> = Promise.resolve();
  #reasons = new Set<string>();
  /** Last version of each event, kept only for the classic format's `old_event`. */
  readonly #previousRaw: LRUCache<string, object> | undefined;
  #namespaces = new Set<string>();

  constructor(options: RouterOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'router' });
    const { config } = options;
    this.#occurrences = new OccurrenceTracker(config.source.dedupeCacheSize);
    this.#lanes = options.sinks.map(({ sink, config: sc }) => {
      return {
        queue: new SinkQueue({
          sink,
          queueSize: sc?.queueSize ?? 10_000,
          maxBatchSize: sc?.maxBatchSize ?? 1000,
          batchTimeoutMs: sc?.batchTimeout ?? 1000,
          ...(sc?.type === 'otlp' ? { minBackoffMs: sc.initialBackoff, maxBackoffMs: sc.maxBackoff } : {}),
          metrics: options.metrics,
          logger: options.logger,
          afterAck: () => (this.#checkpointIntervalMs === 0 ? this.saveCheckpoint() : Promise.resolve()),
        }),
        route: new Route(sc?.match ?? [], sc?.drop ?? []),
        throttle: sc?.throttle ? new Throttle(sc.throttle.limit, sc.throttle.interval) : undefined,
      };
    });
    this.#drop = new Route([], config.drop);
    const classic = options.sinks.some(({ config: sc }) => sc?.type === 'stdout' && sc.format === 'classic');
    this.#previousRaw = classic ? new LRUCache({ max: 10_000 }) : undefined;
    const baseResource = resourceAttributesEnvDetector.detect().attributes as AttributeMap | undefined;
    this.#mapOptions = {
      ...(config.clusterName ? { clusterName: config.clusterName } : {}),
      ...(options.clusterUid ? { clusterUid: options.clusterUid } : {}),
      baseResource: Object.fromEntries(
        Object.entries(baseResource ?? {}).filter(([, v]) => v !== undefined),
      ) as AttributeMap,
      maxBodyLength: config.maxBodyLength,
    };
  }

  get sinkQueues(): readonly SinkQueue[] {
    return this.#lanes.map((lane) => lane.queue);
  }

  /** Ready once every scope finished its first list (or resumed its watch). */
  get synced(): boolean {
    return this.#scopes.length > 0 && this.#scopes.every((s) => s.source.synced);
  }

  /** The longest time any watch has been silent. */
  get maxIdleMs(): number {
    return Math.max(0, ...this.#scopes.map((s) => s.source.idleMs));
  }

  /** The committed cursor of every scope. */
  checkpoint(): Checkpoint {
    const scopes: Record<string, string> = {};
    const listing: Record<string, { resourceVersion: string; after: string }> = {};
    for (const scope of this.#scopes) {
      if (scope.tracker.committed !== undefined) scopes[scope.namespace] = scope.tracker.committed;
      if (scope.tracker.listProgress !== undefined) listing[scope.namespace] = scope.tracker.listProgress;
    }
    const checkpoint: Checkpoint = { version: 1, api: this.#o.config.source.api, scopes, updatedAt: new Date().toISOString() };
    if (Object.keys(listing).length > 0) checkpoint.listing = listing;
    return checkpoint;
  }

  /** Starts the sinks only, for {@link Router.ingest} without watching a cluster (replay). */
  async startSinks(): Promise<void> {
    for (const lane of [...this.#lanes].reverse()) {
      await lane.queue.sink.start();
      lane.queue.start();
    }
  }

  /**
   * Sends objects of an event dump through the same pipeline (occurrence rule, mapping,
   * enrichment, routes, sinks) as if they had been listed. Malformed objects are counted and skipped.
   */
  async ingest(objects: readonly unknown[]): Promise<{ accepted: number; malformed: number }> {
    const scope: Scope = { namespace: '(replay)', tracker: new AckTracker(), source: undefined as never };
    let malformed = 0;
    const items: SourceItem[] = [];
    for (const raw of objects) {
      try {
        items.push({ kind: 'event', notification: 'LISTED', event: normalizeEvent(raw), raw, resourceVersion: undefined });
      } catch (error) {
        malformed += 1;
        this.#o.metrics.malformed.inc({ kind: error instanceof MalformedEventError ? error.kind : 'unknown' });
        this.#log.warn({ err: (error as Error).message }, 'skipping malformed object in the dump');
      }
    }
    await this.#deliver(scope, items);
    return { accepted: items.length, malformed };
  }

  async start(): Promise<void> {
    const { config } = this.#o;
    let resume: Checkpoint | undefined;
    try {
      resume = await this.#o.checkpointStore.load();
    } catch (error) {
      this.#log.error({ err: (error as Error).message }, 'cannot read the checkpoint; starting as a first start');
    }
    if (resume !== undefined && resume.api !== config.source.api) {
      this.#log.warn({ checkpointApi: resume.api }, 'checkpoint was written for another API; ignoring it');
      resume = undefined;
    }
    this.#saved = JSON.stringify([resume?.scopes ?? {}, resume?.listing]);
    await this.startSinks();
    const backfill = config.source.backfill === 'all' ? undefined : parseDuration(config.source.backfill);
    const namespaces = config.source.namespaces.length > 0 ? config.source.namespaces : [''];
    this.#scopes = namespaces.map((namespace) => {
      const start = resume?.scopes[namespace];
      // With no interval, every move of the cursor is written (coalesced): a crash re-sends at most one batch.
      const tracker = new AckTracker(start, this.#checkpointIntervalMs === 0 ? () => void this.#saveSoon() : undefined);
      const scope: Scope = {
        namespace,
        tracker,
        source: new EventSource({
          client: this.#o.client,
          api: config.source.api,
          namespace,
          fieldSelector: config.source.fieldSelector,
          labelSelector: config.source.labelSelector,
          pageSize: config.source.pageSize,
          watchTimeoutMs: config.source.watchTimeout,
          inactivityTimeoutMs: config.source.inactivityTimeout,
          minBackoffMs: config.source.minBackoff,
          maxBackoffMs: config.source.maxBackoff,
          ...(start !== undefined ? { startResourceVersion: start } : {}),
          ...(resume?.listing?.[namespace] !== undefined ? { resumeList: resume.listing[namespace] } : {}),
          ...(backfill !== undefined ? { backfillMaxAgeMs: backfill } : {}),
          deliver: (items) => this.#deliver(scope, items),
          metrics: this.#o.metrics,
          logger: this.#o.logger,
        }),
      };
      return scope;
    });
    this.#log.info(
      { scopes: namespaces.map((n) => n || '*'), resumeFrom: resume?.scopes, sinks: this.#lanes.map((l) => l.queue.sink.name) },
      resume ? 'resuming from checkpoint' : 'starting without a checkpoint',
    );
    this.#running = this.#scopes.map((scope) => scope.source.run(this.#abort.signal));
    this.#checkpointTimer = setInterval(() => void this.saveCheckpoint(), Math.max(100, this.#checkpointIntervalMs));
    this.#checkpointTimer.unref();
  }

  get #checkpointIntervalMs(): number {
    const { checkpoint } = this.#o.config;
    return checkpoint.interval ?? (checkpoint.store === 'configmap' ? 1000 : 0);
  }

  #savePending = false;
  #saveQueued = false;

  /** Coalesces writes: at most one in flight and one waiting. */
  #saveSoon(): void {
    if (this.#savePending) return;
    this.#savePending = true;
    queueMicrotask(() => {
      this.#savePending = false;
      void this.saveCheckpoint();
    });
  }

  /** Writes the checkpoint if it moved since the last write. Never throws. */
  saveCheckpoint(): Promise<void> {
    // At most one write in flight and one queued; the queued one writes the latest cursor.
    if (this.#saveQueued) return this.#saving;
    this.#saveQueued = true;
    this.#saving = this.#saving.then(async () => {
      this.#saveQueued = false;
      const checkpoint = this.checkpoint();
      const key = JSON.stringify([checkpoint.scopes, checkpoint.listing]);
      if (key === this.#saved) return;
      try {
        await this.#o.checkpointStore.save(checkpoint);
        this.#saved = key;
        this.#o.metrics.checkpointWrites.inc({ outcome: 'ok' });
        for (const [scope, rv] of Object.entries(checkpoint.scopes)) {
          if (/^\d+$/.test(rv)) this.#o.metrics.checkpointResourceVersion.set({ scope: scope || '*' }, Number(rv));
        }
      } catch (error) {
        this.#o.metrics.checkpointWrites.inc({ outcome: 'error' });
        this.#log.error({ err: (error as Error).message }, 'cannot write the checkpoint');
      }
    });
    return this.#saving;
  }

  /**
   * Graceful stop: stop reading, drain every sink until `deadlineMs`, write the checkpoint
   * (which covers exactly what was acknowledged), shut the sinks down.
   */
  async stop(deadlineMs = this.#o.config.shutdownTimeout): Promise<{ drained: boolean }> {
    const until = Date.now() + deadlineMs;
    this.#abort.abort();
    clearInterval(this.#checkpointTimer);
    await Promise.allSettled(this.#running);
    const results = await Promise.all(this.#lanes.map((lane) => lane.queue.drain(until - Date.now())));
    const drained = results.every(Boolean);
    if (!drained) {
      this.#log.warn(
        { pending: this.#lanes.map((l) => ({ sink: l.queue.sink.name, depth: l.queue.depth })) },
        'shutdown deadline reached before every sink drained; the checkpoint covers only what was acknowledged',
      );
    }
    await Promise.all(this.#lanes.map((lane) => lane.queue.stop()));
    await this.saveCheckpoint();
    await Promise.allSettled(this.#lanes.map((lane) => lane.queue.sink.shutdown()));
    this.#log.info({ drained, checkpoint: this.checkpoint().scopes }, 'stopped');
    return { drained };
  }

  #toRecord(item: Extract<SourceItem, { kind: 'event' }>): EventRecord | undefined {
    const emit = this.#o.config.source.emit;
    const { event } = item;
    switch (item.notification) {
      case 'DELETED':
        this.#occurrences.forget(event);
        return emit.deleted ? { ...mapEvent(event, 'ADDED', this.#mapOptions), verb: 'DELETED' } : undefined;
      case 'ADDED':
      case 'LISTED': {
        const occurrence = this.#occurrences.observe(event, true);
        if (occurrence === 'none') return undefined;
        if (occurrence === 'new' && !emit.added) return undefined;
        return mapEvent(event, occurrence === 'new' ? 'ADDED' : 'UPDATED', this.#mapOptions);
      }
      case 'MODIFIED': {
        const occurrence = this.#occurrences.observe(event, false);
        if (emit.modified === 'none') return undefined;
        if (emit.modified === 'occurrence' && occurrence === 'none') return undefined;
        return mapEvent(event, 'UPDATED', this.#mapOptions);
      }
    }
  }

  #count(record: EventRecord): void {
    const { event } = record;
    let reason = event.reason ?? '';
    if (!this.#reasons.has(reason)) {
      if (this.#reasons.size < MAX_REASONS) this.#reasons.add(reason);
      else reason = 'other';
    }
    let namespace = (record.resource['k8s.namespace.name'] as string | undefined) ?? '';
    if (!this.#namespaces.has(namespace)) {
      if (this.#namespaces.size < MAX_NAMESPACES) this.#namespaces.add(namespace);
      else namespace = 'other';
    }
    const type = event.type ?? '';
    const kind = event.regarding.kind ?? '';
    this.#o.metrics.pendingEvents.add(`${type}\u0000${reason}\u0000${kind}\u0000${namespace}`, () => ({ type, reason, kind, namespace }));
  }

  async #deliver(scope: Scope, items: SourceItem[]): Promise<void> {
    for (const item of items) {
      if (item.kind === 'cursor') {
        scope.tracker.add(item.resourceVersion, 0);
        continue;
      }
      if (item.kind === 'list-progress') {
        scope.tracker.add(undefined, 0, Date.now(), { resourceVersion: item.resourceVersion, after: item.after });
        continue;
      }
      const record = this.#toRecord(item);
      if (record === undefined) {
        scope.tracker.add(item.resourceVersion, 0);
        continue;
      }
      let metadata: WorkloadMetadata | undefined;
      try {
        metadata = this.#o.enricher === undefined ? undefined : await this.#o.enricher.enrich(record);
      } catch (error) {
        // Enrichment is best effort: the record goes out with what the event itself says.
        this.#o.metrics.enrichLookups.inc({ outcome: 'error' });
        this.#log.debug({ err: (error as Error).message }, 'enrichment failed');
      }
      if (this.#o.config.enrich.serviceName) applyServiceAttributes(record.resource, metadata);
      if (this.#o.config.drop.length > 0 && !this.#drop.accepts(record)) {
        scope.tracker.add(item.resourceVersion, 0);
        continue;
      }
      this.#count(record);
      if (this.#previousRaw !== undefined) {
        record.raw = item.raw;
        const key = item.event.uid || `${item.event.namespace}/${item.event.name}`;
        const old = this.#previousRaw.get(key);
        if (old !== undefined) record.oldRaw = old;
        if (typeof item.raw === 'object' && item.raw !== null) this.#previousRaw.set(key, item.raw);
      }
      const targets: Array<{ lane: SinkLane; record: EventRecord }> = [];
      for (const lane of this.#lanes) {
        if (!lane.route.accepts(record)) {
          this.#o.metrics.records.inc({ sink: lane.queue.sink.name, outcome: 'filtered' });
          continue;
        }
        if (lane.throttle === undefined) {
          targets.push({ lane, record });
          continue;
        }
        const passed = lane.throttle.admit(record);
        if (passed === undefined) this.#o.metrics.records.inc({ sink: lane.queue.sink.name, outcome: 'throttled' });
        else targets.push({ lane, record: passed });
      }
      const entry = scope.tracker.add(item.resourceVersion, targets.length);
      const done = () => scope.tracker.ack(entry);
      for (const target of targets) {
        if (!target.lane.queue.hasRoom()) await target.lane.queue.room();
        target.lane.queue.push({ record: target.record, done });
      }
    }
    const oldest = Math.min(Date.now(), ...this.#scopes.map((s) => s.tracker.oldestPendingAt ?? Date.now()));
    this.#o.metrics.checkpointLagSeconds.set((Date.now() - oldest) / 1000);
    const received = scope.source?.resourceVersion;
    const committed = scope.tracker.committed;
    if (received !== undefined && committed !== undefined && /^\d+$/.test(received) && /^\d+$/.test(committed)) {
      this.#o.metrics.checkpointLagResourceVersions.set({ scope: scope.namespace || '*' }, Number(received) - Number(committed));
    }
    if (scope.tracker.size >= MAX_IN_FLIGHT) await scope.tracker.waitBelow(MAX_IN_FLIGHT);
  }
}
