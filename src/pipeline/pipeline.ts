import { resourceAttributesEnvDetector } from '@opentelemetry/resources';
import type { AckTracker, RecordHold } from '../checkpoint/ack-tracker.ts';
import type { Config, SinkConfig } from '../config/schema.ts';
import type { Enricher } from '../enrich/enricher.ts';
import type { AttributeMap, EventRecord } from '../model/event-record.ts';
import type { SinkResult } from '../sinks/sink-result.ts';
import type { Sink } from '../sinks/sink.ts';
import type { SourceItem } from '../source/source-item.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { CountStage } from './count-stage.ts';
import { DropStage } from './drop-stage.ts';
import { EnrichStage } from './enrich-stage.ts';
import { type SinkLane, createLane, fanOut } from './fan-out.ts';
import { InFlightBudget, estimateRecordBytes } from './in-flight-budget.ts';
import { OccurrenceStage } from './occurrence-stage.ts';
import { type EventItem, type Stage, runStages } from './stage.ts';

/**
 * What stopped a delivery from going through at once (see Pipeline.consume): a record over the
 * budget, a fan-out waiting for a queue, or a record whose stages wait (the window's first).
 */
type Stopped = StoppedRecord | { waiting: Promise<void> } | { previous: Promise<void> };
type StoppedRecord = { held: RecordHold; record: EventRecord };

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
 *   occurrence → map → [enrich (owners, then service.*) → drop → count] → fan-out (route, throttle, queue) → sinks
 *
 * Each stage is its own module; the bracketed ones share the {@link Stage} shape and are this
 * class's list. This one only orders them, runs a bounded window of records whose stages wait
 * (owner lookups) at once, bounds the bytes in flight, and ties each record to its place in the
 * checkpoint's {@link AckTracker}: an entry is added in stream order when the item arrives and
 * completes when every sink it went to acknowledged it, so the cursor never passes a record that
 * is still on its way, whatever order the stages finish in.
 */
export class Pipeline {
  readonly lanes: readonly SinkLane[];
  /**
   * Whether a sink prints the Event object as received (stdout `classic`): only then must a
   * source keep each object beside its normalized event (see SourceItem.raw).
   */
  readonly keepsRaw: boolean;
  readonly #o: PipelineOptions;
  readonly #occurrence: OccurrenceStage;
  /** The stages between mapping and fan-out, in order. */
  readonly #stages: readonly Stage[];
  readonly #budget = new InFlightBudget(IN_FLIGHT_BYTES);

  constructor(options: PipelineOptions) {
    this.#o = options;
    const { config, metrics, logger } = options;
    const keepRaw = options.sinks.some(({ config: sc }) => sc?.type === 'stdout' && sc.format === 'classic');
    this.keepsRaw = keepRaw;
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
    this.#stages = [
      new EnrichStage({ enricher: options.enricher, serviceName: config.enrich.serviceName, deadlineMs: config.enrich.deadline, metrics, logger }),
      ...(config.drop.length > 0 ? [new DropStage(config.drop, metrics)] : []),
      new CountStage(metrics),
    ];
    this.lanes = options.sinks.map(({ sink, config: sc }, index) => createLane({ sink, config: sc, index, metrics, logger, afterAck: options.afterAck }));
  }

  /**
   * Starts the sinks in reverse pipeline order (the last stage first), so each stage has somewhere
   * to go. When one cannot start, those already started are stopped again and the error
   * propagates (as `startAll` does): a half-started pipeline holds no started sink.
   */
  async start(): Promise<void> {
    const started: SinkLane[] = [];
    try {
      for (const lane of [...this.lanes].reverse()) {
        await lane.chain.start();
        started.push(lane);
      }
    } catch (error) {
      await this.#shutdownLanes(started, SINK_SHUTDOWN_GRACE_MS);
      throw error;
    }
  }

  /**
   * Takes a delivery of the source (one list page or one chunk of a watch stream) through the
   * stages. Returns undefined when every item went through and there is room for more, else a
   * promise that resolves when there is (back-pressure). A record that fits the in-flight
   * budget and the sinks' queues, and whose enrichment is known without waiting (no owner
   * lookups, a cached chain), passes every stage synchronously: no promise per record. From the
   * first record that must wait, the rest of the delivery goes on in {@link Pipeline.#rest}.
   */
  consume(tracker: AckTracker, items: readonly SourceItem[]): Promise<void> | undefined {
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as SourceItem;
      const record = this.#record(tracker, item);
      if (record === undefined) continue;
      const held = this.#hold(tracker, item as EventItem, record);
      if (!this.#budget.tryAcquire(held.bytes)) return this.#rest(tracker, items, i, { held, record });
      const out = runStages(this.#stages, record);
      if (out instanceof Promise) return this.#rest(tracker, items, i + 1, { previous: out.then((r) => this.#deliver(held, r)) });
      const waiting = this.#deliver(held, out);
      if (waiting !== undefined) return this.#rest(tracker, items, i + 1, { waiting });
    }
    return this.#room(tracker);
  }

  /**
   * The rest of a delivery, from item `from`, once something has to wait: `stopped` is the
   * record that stopped {@link Pipeline.consume} (over the budget), the fan-out of one waiting
   * for a queue, or one whose stages wait (an owner lookup). Stages of a window of records run
   * at once; records reach the fan-out in stream order.
   */
  async #rest(tracker: AckTracker, items: readonly SourceItem[], from: number, stopped: Stopped): Promise<void> {
    const window: Array<Promise<void>> = [];
    let previous: Promise<void> | undefined;
    let first: StoppedRecord | undefined;
    if ('waiting' in stopped) await stopped.waiting;
    else if ('previous' in stopped) window.push((previous = stopped.previous));
    else first = stopped;
    for (let i = from; i < items.length; i++) {
      let held: RecordHold;
      let record: EventRecord;
      if (first !== undefined) {
        ({ held, record } = first);
        first = undefined;
        await this.#budget.acquire(held.bytes);
      } else {
        const item = items[i] as SourceItem;
        const next = this.#record(tracker, item);
        if (next === undefined) continue;
        record = next;
        held = this.#hold(tracker, item as EventItem, record);
        if (!this.#budget.tryAcquire(held.bytes)) await this.#budget.acquire(held.bytes);
      }
      const out = runStages(this.#stages, record);
      if (previous === undefined && !(out instanceof Promise)) {
        // Nothing of this delivery waits on a stage: the record may still go through at once.
        const waiting = this.#deliver(held, out);
        if (waiting !== undefined) await waiting;
        continue;
      }
      const prior = previous;
      previous = prior === undefined ? (out as Promise<EventRecord | undefined>).then((r) => this.#deliver(held, r)) : prior.then(() => out).then((r) => this.#deliver(held, r));
      window.push(previous);
      if (window.length >= ENRICH_WINDOW) await window.shift();
    }
    if (previous !== undefined) await previous;
    await this.#room(tracker);
  }

  /** A cursor or list-progress item goes to the tracker; an event becomes its record, or undefined (then tracked, done). */
  #record(tracker: AckTracker, item: SourceItem): EventRecord | undefined {
    if (item.kind === 'cursor') {
      tracker.add(item.resourceVersion, 0);
      return undefined;
    }
    if (item.kind === 'list-progress') {
      tracker.add(undefined, 0, Date.now(), { resourceVersion: item.resourceVersion, after: item.after });
      return undefined;
    }
    const record = this.#occurrence.toRecord(item);
    if (record === undefined) tracker.add(item.resourceVersion, 0);
    return record;
  }

  /**
   * The record's entry in the cursor, held by the pipeline (pending 1) until the record reached
   * every sink it goes to; its estimated bytes go back to the budget with its last acknowledgement.
   */
  #hold(tracker: AckTracker, item: EventItem, record: EventRecord): RecordHold {
    return tracker.hold(item.resourceVersion, estimateRecordBytes(record), this.#release);
  }

  /** Gives a record's bytes back to the in-flight budget (one function for every record). */
  readonly #release = (bytes: number): void => this.#budget.release(bytes);

  /** Enough cursor entries wait on acknowledgements: the source waits too. */
  #room(tracker: AckTracker): Promise<void> | undefined {
    return tracker.size >= MAX_PENDING_ENTRIES ? tracker.waitBelow(MAX_PENDING_ENTRIES) : undefined;
  }

  /**
   * fan-out of a record the stages handed on (undefined: one ended it); releases the record's own
   * hold on its cursor entry. Undefined when it was queued everywhere at once, else a promise
   * that resolves once it was.
   */
  #deliver(held: RecordHold, record: EventRecord | undefined): Promise<void> | undefined {
    if (record === undefined) {
      held.done();
      return undefined;
    }
    const routed = fanOut(this.lanes, record, this.#o.metrics, held, held.bytes);
    if (typeof routed === 'number') {
      held.done();
      return undefined;
    }
    return routed.then(() => held.done());
  }

  /** What became of the records routed to each sink, in the order of the sinks (final once shut down). */
  sinkResults(): SinkResult[] {
    return this.lanes.map((lane) => lane.chain.result());
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
  shutdown(graceMs = SINK_SHUTDOWN_GRACE_MS): Promise<void> {
    return this.#shutdownLanes(this.lanes, graceMs);
  }

  async #shutdownLanes(lanes: readonly SinkLane[], graceMs: number): Promise<void> {
    await Promise.all(lanes.map((lane) => lane.chain.stop()));
    await Promise.all(lanes.map((lane) => lane.chain.shutdownSink(graceMs)));
  }
}
