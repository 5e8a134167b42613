import type { Writable } from 'node:stream';
import { type CheckpointStore, NoCheckpointStore } from '../checkpoint/checkpoint-store.ts';
import { createCheckpointStore } from '../checkpoint/create-checkpoint-store.ts';
import { shutdownAll, startAll } from '../component/component.ts';
import type { Config } from '../config/schema.ts';
import { lookupClusterUid } from '../enrich/cluster-uid.ts';
import type { Enricher } from '../enrich/enricher.ts';
import { createOwnerEnricher } from '../enrich/owner-enricher.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { LeaderTerms } from '../leader/leader-terms.ts';
import { AlwaysLeading, type Leadership } from '../leader/leadership.ts';
import { type LeaseElector, createLeaseElector } from '../leader/lease-elector.ts';
import { Router } from '../router/router.ts';
import { deliveryReport, sinkDetails } from '../server/delivery-report.ts';
import { EventLoopMonitor, type EventLoopMonitorOptions } from '../server/event-loop-monitor.ts';
import { type HealthStatus, type HttpServer, createHttpServer } from '../server/http-server.ts';
import { createSinks } from '../sinks/sink-factory.ts';
import type { SinkResult } from '../sinks/sink-result.ts';
import type { Sink } from '../sinks/sink.ts';
import type { SourceFactory } from '../source/source-factory.ts';
import { watchSources } from '../source/watch-sources.ts';
import { formatDuration } from '../util/duration.ts';
import type { Logger } from '../telemetry/logger.ts';
import { Metrics } from '../telemetry/metrics.ts';
import type { OtlpMetricsExport } from '../telemetry/otlp-metrics-export.ts';
import { startupSummary } from './startup-summary.ts';
import { INSTRUMENTATION_SCOPE, VERSION } from './version.ts';

export interface AppOptions {
  config: Config;
  /**
   * The cluster: what is watched (unless `sources` says otherwise), where the Lease (when
   * `leaderElection.enabled`), the owners, the cluster uid and a ConfigMap checkpoint are read.
   * Without one (replay): no leader election, no owner lookups, no checkpoint unless one is given.
   */
  client?: KubeClient | undefined;
  /** What is read; default: the cluster's Events, a watch source per namespace of `source.namespaces`. */
  sources?: SourceFactory;
  logger: Logger;
  metrics?: Metrics;
  /**
   * Replaces the sinks built from `config.sinks` (tests, the demo). A function is called once
   * per leadership term, since a sink that was shut down cannot be restarted.
   */
  sinks?: Sink[] | (() => Sink[]);
  extraSinks?: Sink[];
  checkpointStore?: CheckpointStore;
  enricher?: Enricher;
  env?: NodeJS.ProcessEnv;
  stdout?: Writable;
  /** Start the /metrics, /healthz, /readyz server (default: when config.server.listen is set; false: never). */
  serve?: boolean;
  /** The event-loop hang detector's bounds (tests shorten them). */
  eventLoop?: EventLoopMonitorOptions;
}

/**
 * The one assembly of the service, which `run`, `demo` and `replay` all use: components each made
 * by the factory of its config section, each with the {@link Component} lifecycle: the HTTP
 * server, the enricher, the leadership, and — while this replica leads — a {@link Router} with
 * the sources of its {@link SourceFactory} (a cluster's watches, or a dump) and the sinks. The
 * leadership is the Lease elector when leader election is enabled, else {@link AlwaysLeading}:
 * either way {@link LeaderTerms} begins and ends the terms. Each term gets a fresh router that
 * resumes from the shared checkpoint; the enricher's cache outlives terms.
 *
 * Start: server → enricher → leadership → router (sinks, then sources), once it leads.
 * Stop:  router (sources, drain, sinks) → leadership (the elector releases the lease) → enricher → server.
 */
export class App {
  readonly metrics: Metrics;
  readonly config: Config;
  readonly #o: AppOptions;
  readonly #server: HttpServer | undefined;
  readonly #logger: Logger;
  readonly #checkpointStore: CheckpointStore;
  /** One per App, so that its cache outlives leadership terms. */
  readonly #enricher: Enricher | undefined;
  readonly #sources: SourceFactory;
  #clusterUid: string | undefined;
  readonly #terms: LeaderTerms<Router>;
  /**
   * The router of the latest term, kept once the service stopped: its sinks' results are the
   * run's outcome. A term that ends while the service goes on (a lost lease) is let go, with what
   * its queues still hold.
   */
  #lastRouter: Router | undefined;
  #stopping = false;
  #leadership: Leadership | undefined;
  /** The leadership when it is elected (its loop and the lease's holder go in the probes). */
  #elector: LeaseElector | undefined;
  #selfMetrics: OtlpMetricsExport | undefined;
  readonly #eventLoop: EventLoopMonitor;

  constructor(options: AppOptions) {
    this.#o = options;
    this.config = options.config;
    this.#logger = options.logger;
    this.metrics = options.metrics ?? new Metrics({ clusterName: options.config.clusterName, version: VERSION });
    const { config, client, logger } = options;
    if (options.sources === undefined && client === undefined) throw new Error('the service needs a cluster to watch or a source to read');
    this.#sources = options.sources ?? watchSources({ client: client as KubeClient, settings: config.source, metrics: this.metrics, logger });
    this.#checkpointStore = options.checkpointStore ?? (client ? createCheckpointStore(config.checkpoint, client, options.env ?? process.env) : new NoCheckpointStore());
    this.#enricher = options.enricher ?? (client ? createOwnerEnricher(config.enrich, { client, metrics: this.metrics, logger }) : undefined);
    this.#terms = new LeaderTerms({
      begin: () => (this.#lastRouter = this.#newRouter()),
      onLeading: (leading) => {
        this.metrics.leader.set(leading ? 1 : 0);
        if (!leading && !this.#stopping) this.#lastRouter = undefined;
      },
    });
    this.#server = options.serve === false ? undefined : createHttpServer(config.server, { metrics: this.metrics, health: () => this.health() });
    this.#eventLoop = new EventLoopMonitor(options.eventLoop);
    // Read at every collection: a quiet cluster still sees current delivery and leadership gauges.
    this.metrics.health.sinks = () => {
      const router = this.#leadingRouter();
      return router === undefined ? [] : deliveryReport(router.sinkHealth(), config.server.deliveryStallThreshold);
    };
    this.metrics.health.leaderlessSeconds = () => (this.#elector?.leaderlessMs() ?? 0) / 1000;
  }

  /** The router of this replica's current term, or of the term that is draining; undefined on standby. */
  #leadingRouter(): Router | undefined {
    return this.#terms.current ?? this.#terms.draining;
  }

  /** The bound address of /metrics, /healthz, /readyz once started. */
  get serverAddress(): string | undefined {
    return this.#server?.address;
  }

  /** The router of the current leadership term, else of the one draining, else of the last one once stopped; throws on standby. */
  get router(): Router {
    const router = this.#terms.current ?? this.#terms.draining ?? this.#lastRouter;
    if (router === undefined) throw new Error('this replica does not lead: no router');
    return router;
  }

  /**
   * What became of the records routed to each sink in the current leadership term, or in the
   * last one once stopped (then final); empty on standby. Replay's exit code and the demo's
   * summary read it.
   */
  sinkResults(): SinkResult[] {
    return (this.#terms.current ?? this.#terms.draining ?? this.#lastRouter)?.sinkResults() ?? [];
  }

  get isLeader(): boolean {
    return this.#leadership?.isLeader ?? true;
  }

  #newRouter(): Router {
    const configs = this.config.sinks ?? [];
    const injected = typeof this.#o.sinks === 'function' ? this.#o.sinks() : this.#o.sinks;
    const env = this.#o.env ?? process.env;
    const sinks = injected ?? createSinks(configs, { scope: INSTRUMENTATION_SCOPE, env, ...(this.#o.stdout ? { stdout: this.#o.stdout } : {}) });
    const lanes = [
      // Injected sinks take the queue, batching and route settings of the config entry at their index.
      ...sinks.map((sink, i) => ({ sink, ...(configs[i] ? { config: configs[i] } : {}) })),
      ...(this.#o.extraSinks ?? []).map((sink) => ({ sink })),
    ];
    return new Router({
      config: this.config,
      sources: this.#sources,
      client: this.#o.client,
      sinks: lanes,
      checkpointStore: this.#checkpointStore,
      metrics: this.metrics,
      logger: this.#logger,
      ...(this.#enricher ? { enricher: this.#enricher } : {}),
      ...(this.#clusterUid ? { clusterUid: this.#clusterUid } : {}),
    });
  }

  /**
   * What the probes report. Liveness is "this process can make progress": the event loop runs
   * and, when leading, every watch loop moves (reads, reconnects, backs off, or waits for room in
   * the pipeline), and the leader-election loop moves (renews, campaigns, sleeps). It never
   * depends on the cluster being quiet or on a sink being up: a restart fixes neither. Readiness: leading and synced with a checkpoint that can be written, or a
   * standby that sees a leader. A stalled sink makes `/readyz` say `degraded` and name it, and
   * stays 200: the receiver is down for every replica alike, and no pod change fixes it.
   */
  health(): HealthStatus {
    const now = Date.now();
    const problems: string[] = [];
    const loopStalledMs = this.#eventLoop.stalledMs;
    const eventLoop = { lagMs: Math.round(this.#eventLoop.lastLagMs), stalledSeconds: Math.round(loopStalledMs / 1000) };
    const eventLoopAlive = this.#eventLoop.responsive;
    if (!eventLoopAlive) problems.push(`the event loop has not run on time for ${eventLoop.stalledSeconds}s`);
    // A wedged acquire/renew loop leaves a leader exporting after its lease expired elsewhere, or a standby that never takes over.
    const elector = this.#elector;
    const leaderElection = elector && { state: elector.loopState, stalledSeconds: Math.round(elector.stalledMs / 1000) };
    const electorAlive = elector === undefined || elector.stalledMs === 0;
    if (!electorAlive) problems.push(`the leaderElection loop is stuck (${leaderElection!.state}) for ${leaderElection!.stalledSeconds}s past its bound`);
    const loopAlive = eventLoopAlive && electorAlive;
    const loops = { eventLoop, ...(leaderElection ? { leaderElection } : {}) };
    const draining = this.#terms.draining;
    if (draining !== undefined) {
      // A term that ended still exports what it holds, and its checkpoint write is still to come.
      return { alive: loopAlive, ready: true, problems, details: { role: 'draining', checkpoint: draining.checkpointStatus, sinks: this.#sinkDetails(draining, problems, now), ...loops } };
    }
    const router = this.#terms.current;
    if (!this.isLeader || router === undefined) {
      const leaderlessMs = elector?.leaderlessMs(now) ?? 0;
      const leaderless = elector !== undefined && leaderlessMs > this.config.leaderElection.leaseDuration;
      if (leaderless) problems.push(`no replica has held the lease for ${Math.round(leaderlessMs / 1000)}s${elector.lastError ? `: ${elector.lastError}` : ''}`);
      const leader = { holder: elector?.holder ?? null, leaderlessSeconds: Math.round(leaderlessMs / 1000), lastError: elector?.lastError ?? null };
      // A standby that sees no leader cannot do its part (take over): not ready, so that
      // `kubectl get pods` shows it. Restarting would not help, so liveness stays.
      return { alive: loopAlive, ready: !leaderless, problems, details: { role: 'standby', holder: leader.holder, leader, ...loops } };
    }
    const stalledMs = router.maxStalledMs;
    const watches = router.watchStatus();
    for (const w of watches.filter((w) => w.stalledSeconds > 0)) problems.push(`the watch loop of scope ${w.scope} is stuck (${w.state}) for ${w.stalledSeconds}s past its bound`);
    const synced = router.synced;
    const checkpoint = router.checkpointStatus;
    if (!checkpoint.ok) problems.push(`the checkpoint cannot be ${checkpoint.phase === 'loading' ? 'read' : 'written'}: ${checkpoint.error ?? 'unknown error'}`);
    const sinks = this.#sinkDetails(router, problems, now);
    return {
      alive: loopAlive && stalledMs === 0,
      // A checkpoint that cannot be written is this pod's own problem (its volume, its
      // permissions): while it lasts a crash re-sends everything since the last write.
      ready: synced && checkpoint.ok,
      problems,
      details: { role: 'leader', synced, watchIdleSeconds: Math.round(router.maxIdleMs / 1000), watches, sinks, checkpoint, ...loops },
    };
  }

  #sinkDetails(router: Router, problems: string[], now: number): Array<Record<string, unknown>> {
    const threshold = this.config.server.deliveryStallThreshold;
    const reports = deliveryReport(router.sinkHealth(), threshold, now);
    for (const r of reports.filter((r) => r.stalled)) {
      problems.push(
        `sink ${r.sink} has delivered nothing for more than ${formatDuration(threshold)} while records wait (oldest ${Math.round(r.oldestQueuedAgeSeconds)}s, ${r.consecutiveFailures} failed attempts in a row)`,
      );
    }
    return reports.map(sinkDetails);
  }

  /** Starts every component; when one cannot start, what did start is stopped again and the error propagates. */
  async start(): Promise<void> {
    try {
      await this.#start();
    } catch (error) {
      await this.stop(1000).catch(() => undefined);
      throw error;
    }
  }

  async #start(): Promise<void> {
    const { selfMetrics } = this.config;
    if (selfMetrics.otlpEndpoint !== '') {
      // Loaded only when configured: the OTLP exporter and its protobuf serializer stay out of memory otherwise.
      const { OtlpMetricsExport } = await import('../telemetry/otlp-metrics-export.ts');
      this.#selfMetrics = new OtlpMetricsExport({
        metrics: this.metrics,
        endpoint: selfMetrics.otlpEndpoint,
        intervalMs: selfMetrics.interval,
        version: VERSION,
        ...(this.#o.env ? { env: this.#o.env } : {}),
      });
    }
    await startAll([this.#eventLoop, this.#server, this.#enricher].filter((c) => c !== undefined));
    if (this.#server) this.#logger.info({ address: this.serverAddress, metrics: this.#server.metricsAddress ?? 'off' }, 'serving /healthz, /readyz and /metrics');
    const { client } = this.#o;
    // Without a cluster (replay) the records carry no k8s.cluster.uid, and no replica competes.
    if (client) this.#clusterUid = await lookupClusterUid(client, this.#logger);
    const terms = this.#terms;
    this.#elector =
      client &&
      createLeaseElector(this.config.leaderElection, {
        client,
        logger: this.#logger,
        env: this.#o.env ?? process.env,
        onStartedLeading: () => terms.started(),
        onStoppedLeading: (stopped) => terms.stopped(stopped),
      });
    this.#leadership = this.#elector ?? new AlwaysLeading(() => terms.started());
    const injected = Array.isArray(this.#o.sinks) ? this.#o.sinks : undefined;
    const sinkNames = [...(injected ?? this.config.sinks ?? []).map((sink) => sink.name), ...(this.#o.extraSinks ?? []).map((sink) => sink.name)];
    this.#logger.info(startupSummary(this.config, this.#o.env ?? process.env, VERSION, this.#elector?.identity, sinkNames), 'eventrouter starting');
    this.metrics.leader.set(0);
    await this.#leadership.start();
  }

  /** Stops reading, drains the sinks within the deadline, writes the checkpoint, releases the Lease. */
  async stop(deadlineMs?: number): Promise<{ drained: boolean }> {
    this.#stopping = true;
    // Drain and checkpoint while the elector goes on renewing; its shutdown releases the lease after.
    const drained = await this.#terms.shutdown(deadlineMs ?? this.config.shutdownTimeout);
    await shutdownAll([this.#leadership, this.#enricher, this.#server, this.#eventLoop].filter((c) => c !== undefined));
    await this.#selfMetrics?.shutdown().catch((error: Error) => this.#logger.warn({ err: error.message }, 'could not flush the router\'s own metrics'));
    return { drained };
  }
}
