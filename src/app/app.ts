import type { Writable } from 'node:stream';
import type { Config } from '../config/schema.ts';
import type { CheckpointStore } from '../checkpoint/checkpoint-store.ts';
import { NoCheckpointStore } from '../checkpoint/checkpoint-store.ts';
import { ConfigMapCheckpointStore } from '../checkpoint/configmap-checkpoint-store.ts';
import { FileCheckpointStore } from '../checkpoint/file-checkpoint-store.ts';
import { lookupClusterUid } from '../enrich/cluster-uid.ts';
import { createOwnerEnricher } from '../enrich/owner-enricher.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { electionIdentity } from '../leader/identity.ts';
import { LeaderTerms } from '../leader/leader-terms.ts';
import { LeaseElector } from '../leader/lease-elector.ts';
import type { Enricher } from '../enrich/enricher.ts';
import { Router } from '../router/router.ts';
import { HttpServer, type HealthStatus } from '../server/http-server.ts';
import { createSink } from '../sinks/sink-factory.ts';
import type { Sink } from '../sinks/sink.ts';
import type { Logger } from '../telemetry/logger.ts';
import { Metrics } from '../telemetry/metrics.ts';
import { SCOPE, VERSION } from './version.ts';
import type { OtlpMetricsExport } from '../telemetry/otlp-metrics-export.ts';

export interface AppOptions {
  config: Config;
  client: KubeClient;
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
  /** Start the /metrics, /healthz, /readyz server (default: when config.server.listen is set). */
  serve?: boolean;
}

/**
 * A running eventrouter: the HTTP server, and — while this replica leads (always, without
 * leader election) — a router with its sinks. Each leadership term gets a fresh router that
 * resumes from the shared checkpoint.
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
  #clusterUid: string | undefined;
  #router: Router | undefined;
  #elector: LeaseElector | undefined;
  #electorRun: Promise<void> | undefined;
  #terms: LeaderTerms<Router> | undefined;
  #abort = new AbortController();
  serverAddress: string | undefined;
  #selfMetrics: OtlpMetricsExport | undefined;

  constructor(options: AppOptions) {
    this.#o = options;
    this.config = options.config;
    this.#logger = options.logger;
    this.metrics = options.metrics ?? new Metrics({ clusterName: options.config.clusterName });
    this.#checkpointStore = options.checkpointStore ?? checkpointStoreFor(options.config, options.client, options.env ?? process.env);
    this.#enricher =
      options.enricher ??
      (options.config.enrich.owners ? createOwnerEnricher({ config: options.config, client: options.client, metrics: this.metrics, logger: options.logger }) : undefined);
    const serve = options.serve ?? options.config.server.listen !== '';
    this.#server = serve ? new HttpServer(options.config.server.listen, this.metrics, () => this.health()) : undefined;
  }

  /** The router of the current leadership term (undefined on standby). */
  get router(): Router {
    const term = this.#terms?.current;
    if (term) return term;
    if (this.#router === undefined) this.#router = this.#newRouter();
    return this.#router;
  }

  get isLeader(): boolean {
    return this.#elector === undefined ? true : this.#elector.isLeader;
  }

  #newRouter(): Router {
    const configs = this.config.sinks ?? [];
    const injected = typeof this.#o.sinks === 'function' ? this.#o.sinks() : this.#o.sinks;
    const env = this.#o.env ?? process.env;
    const firstOtlp = configs.findIndex((sink) => sink.type === 'otlp');
    const sinks =
      injected ??
      configs.map((sink, index) =>
        createSink(sink, { scope: SCOPE, env, index, useOtlpEnv: index === firstOtlp, ...(this.#o.stdout ? { stdout: this.#o.stdout } : {}) }),
      );
    const lanes = [
      // Injected sinks take the queue, batching and route settings of the config entry at their index.
      ...sinks.map((sink, i) => ({ sink, ...(configs[i] ? { config: configs[i] } : {}) })),
      ...(this.#o.extraSinks ?? []).map((sink) => ({ sink })),
    ];
    return new Router({
      config: this.config,
      client: this.#o.client,
      sinks: lanes,
      checkpointStore: this.#checkpointStore,
      metrics: this.metrics,
      logger: this.#logger,
      ...(this.#enricher ? { enricher: this.#enricher } : {}),
      ...(this.#clusterUid ? { clusterUid: this.#clusterUid } : {}),
    });
  }

  health(): HealthStatus {
    const leading = this.isLeader;
    const router = this.#terms ? this.#terms.current : this.#router;
    if (!leading || router === undefined) {
      return { alive: true, ready: true, details: { role: 'standby', holder: this.#elector?.holder ?? null } };
    }
    const idleMs = router.maxIdleMs;
    // The watchdog reconnects after inactivityTimeout; far longer without data means it is stuck.
    const alive = idleMs < this.config.source.inactivityTimeout * 2 + 60_000;
    const ready = router.synced;
    const checkpoint = router.checkpointStatus;
    return { alive, ready, details: { role: 'leader', synced: ready, watchIdleSeconds: Math.round(idleMs / 1000), checkpoint } };
  }

  async start(): Promise<void> {
    const { selfMetrics } = this.config;
    if (selfMetrics.otlpEndpoint !== '') {
      // Loaded only when configured: the metrics SDK and its exporter stay out of memory otherwise.
      const { OtlpMetricsExport } = await import('../telemetry/otlp-metrics-export.ts');
      this.#selfMetrics = new OtlpMetricsExport({
        metrics: this.metrics,
        endpoint: selfMetrics.otlpEndpoint,
        intervalMs: selfMetrics.interval,
        version: VERSION,
        ...(this.#o.env ? { env: this.#o.env } : {}),
      });
    }
    if (this.#server) {
      this.serverAddress = await this.#server.start();
      this.#logger.info({ address: this.serverAddress }, 'serving /metrics, /healthz, /readyz');
    }
    this.#clusterUid = await lookupClusterUid(this.#o.client, this.#logger);
    const le = this.config.leaderElection;
    if (!le.enabled) {
      this.metrics.leader.set(1);
      await this.router.start();
      return;
    }
    const env = this.#o.env ?? process.env;
    this.metrics.leader.set(0);
    const terms = new LeaderTerms({ begin: () => this.#newRouter(), onLeading: (leading) => this.metrics.leader.set(leading ? 1 : 0) });
    this.#terms = terms;
    this.#elector = new LeaseElector({
      client: this.#o.client,
      namespace: le.leaseNamespace || podNamespace(env),
      name: le.leaseName,
      identity: electionIdentity(le.identity, env),
      leaseDurationMs: le.leaseDuration,
      renewDeadlineMs: le.renewDeadline,
      retryPeriodMs: le.retryPeriod,
      logger: this.#logger,
      onStartedLeading: () => terms.started(),
      onStoppedLeading: (stopped) => terms.stopped(stopped),
    });
    this.#electorRun = this.#elector.run(this.#abort.signal);
  }

  /** Stops reading, drains the sinks within the deadline, writes the checkpoint, releases the Lease. */
  async stop(deadlineMs?: number): Promise<{ drained: boolean }> {
    let drained = true;
    if (this.#terms) {
      // Drain and checkpoint while the elector goes on renewing, then release the lease.
      drained = await this.#terms.shutdown(deadlineMs ?? this.config.shutdownTimeout);
      this.#abort.abort();
      await this.#electorRun;
    } else if (this.#router) {
      drained = (await this.#router.stop(deadlineMs)).drained;
    }
    await this.#server?.stop();
    await this.#selfMetrics?.shutdown().catch((error: Error) => this.#logger.warn({ err: error.message }, 'could not flush the router\'s own metrics'));
    return { drained };
  }
}

function podNamespace(env: NodeJS.ProcessEnv): string {
  return env['POD_NAMESPACE'] || 'default';
}

export function checkpointStoreFor(config: Config, client: KubeClient, env: NodeJS.ProcessEnv = process.env): CheckpointStore {
  switch (config.checkpoint.store) {
    case 'file':
      return new FileCheckpointStore(config.checkpoint.path);
    case 'none':
      return new NoCheckpointStore();
    case 'configmap':
      return new ConfigMapCheckpointStore(client, config.checkpoint.namespace || podNamespace(env), config.checkpoint.configMapName);
  }
}
