import { resourceAttributesEnvDetector } from '@opentelemetry/resources';
import type { AckTracker, TrackedEntry } from '../checkpoint/ack-tracker.ts';
import type { Config, SinkConfig } from '../config/schema.ts';
import type { Enricher } from '../enrich/enricher.ts';
import type { AttributeMap, EventRecord } from '../model/event-record.ts';
import { Route } from '../route/rule-matcher.ts';
import type { Sink } from '../sinks/sink.ts';
import type { SourceItem } from '../source/source-item.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { EnrichStage } from './enrich-stage.ts';
import { type SinkLane, createLane, fanOut } from './fan-out.ts';
import { InFlightBudget, estimateRecordBytes } from './in-flight-budget.ts';
import { OccurrenceStage } from './occurrence-stage.ts';

export interface PipelineOptions {
  config: Config;
  /** The sinks, each with its config entry (queue bounds, batching, routes); without one, defaults. */
  sinks: ReadonlyArray<{ sink: Sink; config?: SinkConfig | undefined }>;
  enricher?: Enricher | undefined;
  /** `k8s.cluster.uid`, when known. */
  clusterUid?: string | undefined;
  metrics: Metrics;
  logger: Logger;
  /** Awaited by each sink after an acknowledged batch, before its next export (the checkpoint write). */
  afterAck: () => Promise<void>;
}

/** Estimated bytes of records between the source and the sinks' acknowledgements (see InFlightBudget). */
const IN_FLIGHT_BYTES = 8 * 1024 * 1024;
/** Cursor entries waiting on acknowledgements before the source waits (they are small). */
const MAX_PENDING_ENTRIES = 20_000;
/** Records whose owner lookups run at once. */
const ENRICH_WINDOW = 64;
/** How long a sink's own shutdown may take once its queue stopped. */
const SINK_SHUTDOWN_GRACE_MS = 5000;

/**
 * The pipeline, stage by stage, in the order every record takes:
 *
 *   occurrence → map → enrich (owners, then service.*) → drop → fan-out (route, throttle, queue) → sinks
 *
 * Each stage is its own module; this one only orders them, runs a bounded window of owner
 * lookups at once, bounds the bytes in flight, and ties each record to its place in the
 * checkpoint's {@link AckTracker}: an entry is added in stream order when the item arrives and
 * completes when every sink it went to acknowledged it, so the cursor never passes a record that
 * is still on its way, whatever order the stages finish in.
 */
export class Pipeline {
  readonly lanes: readonly SinkLane[];
  readonly #o: PipelineOptions;
  readonly #occurrence: OccurrenceStage;
  readonly #enrich: EnrichStage;
  readonly #drop: Route | undefined;
  readonly #budget = new InFlightBudget(IN_FLIGHT_BYTES);

  constructor(options: PipelineOptions) {
    this.#o = options;
    const { config, metrics, logger } = options;
    const keepRaw = options.sinks.some(({ config: sc }) => sc?.type === 'stdout' && sc.format === 'classic');
    const baseResource = resourceAttributesEnvDetector.detect().attributes ?? {};
    this.#occurrence = new OccurrenceStage({
      emit: config.source.emit,
      dedupeCacheSize: config.source.dedupeCacheSize,
      keepRaw,
      map: {
        ...(config.clusterName ? { clusterName: config.clusterName } : {}),
        ...(options.clusterUid ? { clusterUid: options.clusterUid } : {}),
        baseResource: Object.fromEntries(Object.entries(baseResource).filter(([, v]) => v !== undefined)) as AttributeMap,
        maxBodyLength: config.maxBodyLength,
      },
    });
    this.#enrich = new EnrichStage({ enricher: options.enricher, serviceName: config.enrich.serviceName, deadlineMs: config.enrich.deadline, metrics, logger });
    this.#drop = config.drop.length > 0 ? new Route([], config.drop) : undefined;
    this.lanes = options.sinks.map(({ sink, config: sc }, index) => createLane({ sink, config: sc, index, metrics, logger, afterAck: options.afterAck }));
  }

  /** Starts the sinks in reverse pipeline order (the last stage first), so each stage has somewhere to go. */
  async start(): Promise<void> {
    for (const lane of [...this.lanes].reverse()) {
      await lane.queue.sink.start();
      lane.queue.start();
    }
  }

  /**
   * Takes a delivery of the source (one list page or one chunk of a watch stream) through the
   * stages; resolves when the pipeline has room for more (back-pressure).
   */
  async consume(tracker: AckTracker, items: readonly SourceItem[]): Promise<void> {
    const window: Array<Promise<void>> = [];
    let previous: Promise<void> = Promise.resolve();
    for (const item of items) {
      if (item.kind === 'cursor') {
        tracker.add(item.resourceVersion, 0);
        continue;
      }
      if (item.kind === 'list-progress') {
        tracker.add(undefined, 0, Date.now(), { resourceVersion: item.resourceVersion, after: item.after });
        continue;
      }
      const record = this.#occurrence.toRecord(item);
      if (record === undefined) {
        tracker.add(item.resourceVersion, 0);
        continue;
      }
      // Held (pending 1) until the record reached every sink it goes to.
      const entry = tracker.add(item.resourceVersion, 1);
      const bytes = estimateRecordBytes(record);
      await this.#budget.acquire(bytes);
      if (!this.#enrich.async) {
        await this.#finish(tracker, entry, await this.#enrich.run(record), bytes);
        continue;
      }
      // Owner lookups of a window of records run at once; records leave the window in stream order.
      const enriched = this.#enrich.run(record);
      previous = previous.then(() => enriched).then((r) => this.#finish(tracker, entry, r, bytes));
      window.push(previous);
      if (window.length >= ENRICH_WINDOW) await window.shift();
    }
    await previous;
    if (tracker.size >= MAX_PENDING_ENTRIES) await tracker.waitBelow(MAX_PENDING_ENTRIES);
  }

  /** drop → metrics → fan-out; releases the record's hold on its cursor entry. */
  async #finish(tracker: AckTracker, entry: TrackedEntry, record: EventRecord, bytes: number): Promise<void> {
    if (this.#drop !== undefined && !this.#drop.accepts(record)) {
      this.#o.metrics.droppedByRule.inc({});
      this.#budget.release(bytes);
      tracker.ack(entry);
      return;
    }
    this.#count(record);
    let outstanding = 1;
    const release = () => {
      outstanding -= 1;
      if (outstanding === 0) this.#budget.release(bytes);
    };
    await fanOut(
      this.lanes,
      record,
      this.#o.metrics,
      () => {
        outstanding += 1;
        entry.pending += 1;
      },
      () => {
        release();
        tracker.ack(entry);
      },
      bytes,
    );
    release();
    tracker.ack(entry);
  }

  #count(record: EventRecord): void {
    const { event } = record;
    // Raw values: the metrics bound every label (BoundedLabel).
    this.#o.metrics.event(event.type, event.reason, event.regarding.kind, record.resource['k8s.namespace.name'] as string | undefined);
  }

  /**
   * Exports what is queued without waiting for full batches; resolves with whether every
   * required sink emptied before the deadline, or before `cut` aborted (the lease was lost).
   * Best-effort sinks are given the same deadline, but what they still hold is theirs to lose.
   */
  async drain(deadlineMs: number, cut?: AbortSignal): Promise<boolean> {
    const until = Date.now() + deadlineMs;
    const results = await Promise.all(this.lanes.map(async (lane) => (await lane.queue.drain(until - Date.now(), cut)) || !lane.queue.required));
    return results.every(Boolean);
  }

  /** Stops the sinks' loops and shuts the sinks down (in pipeline order). */
  async shutdown(graceMs = SINK_SHUTDOWN_GRACE_MS): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.queue.stop()));
    // A sink whose shutdown hangs (an exporter still retrying towards a dead endpoint) is left
    // behind: nothing it holds is acknowledged, and the process must still be able to exit.
    await Promise.all(
      this.lanes.map(async (lane) => {
        let timer: NodeJS.Timeout | undefined;
        const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
        const outcome = await Promise.race([lane.queue.sink.shutdown().catch(() => undefined), gaveUp]);
        clearTimeout(timer);
        if (outcome === 'timeout') this.#o.logger.warn({ sink: lane.queue.sink.name, graceMs }, 'sink did not shut down in time; left behind');
      }),
    );
  }
}
