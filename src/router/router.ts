import type { Config, SinkConfig } from '../config/schema.ts';
import type { AckTracker } from '../checkpoint/ack-tracker.ts';
import { shutdownAll, startAll } from '../component/component.ts';
import { CheckpointCommitter } from '../checkpoint/checkpoint-committer.ts';
import type { Checkpoint, CheckpointStatus, CheckpointStore } from '../checkpoint/checkpoint-store.ts';
import { type ResumePoint, ResumePointLoader } from '../checkpoint/resume-point.ts';
import type { Enricher } from '../enrich/enricher.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import type { SinkResult } from '../sinks/sink-result.ts';
import type { SinkHealth, SinkQueue } from '../sinks/sink-queue.ts';
import type { Sink } from '../sinks/sink.ts';
import type { SourceFactory } from '../source/source-factory.ts';
import type { Source } from '../source/source.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { untilAborted } from '../util/until-aborted.ts';

export interface RouterOptions {
  config: Config;
  /** What is read: a cluster's watch sources, or a dump (see SourceFactory). */
  sources: SourceFactory;
  /** The cluster, to check a stored checkpoint against it; needed only when the sources resume. */
  client?: KubeClient | undefined;
  /** The sinks, each with its config entry (queue bounds, batching, routes); without one, defaults. */
  sinks: Array<{ sink: Sink; config?: SinkConfig }>;
  checkpointStore: CheckpointStore;
  metrics: Metrics;
  logger: Logger;
  enricher?: Enricher;
  /** `k8s.cluster.uid`, when known. */
  clusterUid?: string;
}

interface WatchedNamespace {
  namespace: string;
  source: Source;
  tracker: AckTracker;
}

/**
 * One leadership term of the router: the sources (made by its {@link SourceFactory}: a watch per
 * scope, or a dump) feeding the {@link Pipeline}, and the {@link CheckpointCommitter} that turns the sinks' acknowledgements
 * into the durable cursor. Started sinks first (reverse pipeline order), stopped sources first.
 */
export class Router {
  readonly #o: RouterOptions;
  readonly #log: Logger;
  readonly #pipeline: Pipeline;
  readonly #committer: CheckpointCommitter;
  #scopes: WatchedNamespace[] = [];
  #abort = new AbortController();
  #running: Promise<void>[] = [];
  #resume: ResumePointLoader | undefined;

  constructor(options: RouterOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'router' });
    // A checkpoint is only trusted once checked against the cluster it was written for.
    if (options.sources.resumes && options.client === undefined) throw new Error('sources that resume from the checkpoint need the cluster\'s client');
    const { config } = options;
    this.#committer = new CheckpointCommitter({
      store: options.checkpointStore,
      api: config.source.api,
      intervalMs: config.checkpoint.interval,
      metrics: options.metrics,
      logger: options.logger,
      clusterUid: options.clusterUid,
      minBackoffMs: config.source.minBackoff,
      maxBackoffMs: config.source.maxBackoff,
      saveTimeoutMs: config.checkpoint.timeout,
    });
    this.#pipeline = new Pipeline({
      config,
      sinks: options.sinks,
      enricher: options.enricher,
      clusterUid: options.clusterUid,
      metrics: options.metrics,
      logger: options.logger,
      afterAck: () => this.#committer.settled(),
    });
  }

  get sinkQueues(): readonly SinkQueue[] {
    return this.#pipeline.lanes.map((lane) => lane.queue);
  }

  /** Ready once every scope finished its first list (or resumed its watch). */
  get synced(): boolean {
    return this.#scopes.length > 0 && this.#scopes.every((s) => s.source.synced);
  }

  /** How loading (at start) or writing the checkpoint goes, for `/readyz`. */
  get checkpointStatus(): CheckpointStatus {
    return this.#resume?.status ?? this.#committer.status;
  }

  /** The longest time any watch has been silent. */
  get maxIdleMs(): number {
    return Math.max(0, ...this.#scopes.map((s) => s.source.idleMs));
  }

  /** The longest time any watch loop has been stuck past its step's bound (0: every loop moves). */
  get maxStalledMs(): number {
    return Math.max(0, ...this.#scopes.map((s) => s.source.stalledMs));
  }

  /** Each watch loop's step and how long it has been silent or stuck, for the probes' body. */
  watchStatus(): Array<{ scope: string; state: string; idleSeconds: number; stalledSeconds: number }> {
    return this.#scopes.map(({ namespace, source }) => ({
      scope: namespace || '*',
      state: source.state,
      idleSeconds: Math.round(source.idleMs / 1000),
      // Rounded up: any stall shows.
      stalledSeconds: Math.ceil(source.stalledMs / 1000),
    }));
  }

  /** Each sink's delivery health. */
  sinkHealth(): SinkHealth[] {
    return this.sinkQueues.map((queue) => queue.health());
  }

  /** What became of the records routed to each sink so far (final once stopped): how replay and the demo judge a run. */
  sinkResults(): SinkResult[] {
    return this.#pipeline.sinkResults();
  }

  /** Resolves when every source ended by itself (a dump read to its end) or the router was stopped. */
  get done(): Promise<void> {
    return Promise.all(this.#running).then(() => undefined);
  }

  /** The committed cursor of every scope. */
  checkpoint(): Checkpoint {
    return this.#committer.checkpoint();
  }

  /** Writes the checkpoint if it moved since the last write. Never throws. */
  saveCheckpoint(): Promise<void> {
    return this.#committer.flush();
  }

  /** Starts the sinks, then (in the background, not ready meanwhile) reads the resume point and runs the sources. */
  async start(): Promise<void> {
    await this.#pipeline.start();
    this.#running = [this.#run()];
  }

  async #run(): Promise<void> {
    const { sources } = this.#o;
    const namespaces = sources.scopes;
    const resume: ResumePoint | undefined = sources.resumes ? await this.#resumePoint(namespaces) : { checkpoint: undefined };
    if (resume === undefined) return; // stopped before the checkpoint could be read
    const checkpoint = resume.checkpoint;
    this.#committer.resumedFrom(checkpoint, resume.clusterUid);
    this.#scopes = namespaces.map((namespace) => {
      const start = checkpoint?.scopes[namespace];
      const tracker = this.#committer.tracker(namespace, start);
      const source: Source = sources.create({
        scope: namespace,
        start: { resourceVersion: start, resumeList: checkpoint?.listing?.[namespace] },
        keepRaw: this.#pipeline.keepsRaw,
        deliver: (items) => {
          // No promise when the pipeline took everything at once (the common case).
          const waiting = this.#pipeline.consume(tracker, items);
          if (waiting === undefined) {
            this.#committer.observe(namespace, source.resourceVersion);
            return undefined;
          }
          // A stop does not wait for room that a sink in an outage may never make: the delivery is
          // given up (what it handed on stays unacknowledged, so the checkpoint does not pass it).
          return untilAborted(waiting, this.#abort.signal).then(() => {
            if (!this.#abort.signal.aborted) this.#committer.observe(namespace, source.resourceVersion);
          });
        },
      });
      return { namespace, tracker, source };
    });
    this.#log.info(
      { scopes: namespaces.map((n) => n || '*'), resumeFrom: checkpoint?.scopes, sinks: this.#pipeline.lanes.map((l) => l.queue.sink.name) },
      checkpoint ? 'resuming from checkpoint' : 'starting without a checkpoint',
    );
    // Stopped while the sources were being made: stop() shuts down what it finds in #scopes.
    if (this.#abort.signal.aborted) return;
    await startAll(this.#scopes.map((scope) => scope.source));
    await Promise.all(this.#scopes.map((scope) => scope.source.done));
  }

  /** Where the sources resume: the stored checkpoint, checked against the cluster; undefined once stopped. */
  #resumePoint(namespaces: readonly string[]): Promise<ResumePoint | undefined> {
    const { config, client, clusterUid, metrics, logger, checkpointStore: store } = this.#o;
    const { minBackoff, maxBackoff, api } = config.source;
    this.#resume = new ResumePointLoader({ store, client: client as KubeClient, api, namespaces, clusterUid, minBackoffMs: minBackoff, maxBackoffMs: maxBackoff, metrics, logger });
    return this.#resume.load(this.#abort.signal);
  }

  /**
   * Graceful stop: stop reading, drain every sink until `deadlineMs`, write the checkpoint
   * (which covers exactly what was acknowledged), shut the sinks down. `cut` ends the drain
   * early (the lease was lost: a standby may start exporting).
   */
  async stop(deadlineMs = this.#o.config.shutdownTimeout, cut?: AbortSignal): Promise<{ drained: boolean }> {
    const until = Date.now() + deadlineMs;
    this.#abort.abort();
    await shutdownAll(this.#scopes.map((scope) => scope.source));
    await Promise.allSettled(this.#running);
    const drained = await this.#pipeline.drain(until - Date.now(), cut);
    if (!drained) {
      this.#log.warn(
        { pending: this.sinkQueues.map((q) => ({ sink: q.sink.name, depth: q.depth })) },
        'shutdown deadline reached before every sink drained; the checkpoint covers only what was acknowledged',
      );
    }
    await this.#pipeline.shutdown();
    await this.#committer.shutdown();
    this.#log.info({ drained, checkpoint: this.checkpoint().scopes }, 'stopped');
    return { drained };
  }
}
