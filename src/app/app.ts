import type { Writable } from 'node:stream';
import type { Config } from '../config/schema.ts';
import type { CheckpointStore } from '../checkpoint/checkpoint-store.ts';
import { NoCheckpointStore } from '../checkpoint/checkpoint-store.ts';
import { FileCheckpointStore } from '../checkpoint/file-checkpoint-store.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { Router, type Enricher } from '../router/router.ts';
import { HttpServer, type HealthStatus } from '../server/http-server.ts';
import { createSink } from '../sinks/sink-factory.ts';
import type { Sink } from '../sinks/sink.ts';
import type { Logger } from '../telemetry/logger.ts';
import { Metrics } from '../telemetry/metrics.ts';
import { SCOPE } from './version.ts';

export interface AppOptions {
  config: Config;
  client: KubeClient;
  logger: Logger;
  metrics?: Metrics;
  /** Replaces the sinks built from `config.sinks` (tests, the demo's live view). */
  sinks?: Sink[];
  extraSinks?: Sink[];
  checkpointStore?: CheckpointStore;
  enricher?: Enricher;
  env?: NodeJS.ProcessEnv;
  stdout?: Writable;
  /** Start the /metrics, /healthz, /readyz server (default: when config.server.listen is set). */
  serve?: boolean;
}

/** A running eventrouter: router, sinks and HTTP server, stopped together. */
export class App {
  readonly router: Router;
  readonly metrics: Metrics;
  readonly config: Config;
  readonly #server: HttpServer | undefined;
  readonly #logger: Logger;
  serverAddress: string | undefined;

  constructor(options: AppOptions) {
    this.config = options.config;
    this.#logger = options.logger;
    this.metrics = options.metrics ?? new Metrics();
    const configs = options.config.sinks ?? [];
    const sinks =
      options.sinks ??
      configs.map((sink) => createSink(sink, { scope: SCOPE, env: options.env ?? process.env, ...(options.stdout ? { stdout: options.stdout } : {}) }));
    const lanes = [
      ...sinks.map((sink, i) => ({ sink, ...(options.sinks === undefined && configs[i] ? { config: configs[i] } : {}) })),
      ...(options.extraSinks ?? []).map((sink) => ({ sink })),
    ];
    this.router = new Router({
      config: options.config,
      client: options.client,
      sinks: lanes,
      checkpointStore: options.checkpointStore ?? checkpointStoreFor(options.config),
      metrics: this.metrics,
      logger: options.logger,
      ...(options.enricher ? { enricher: options.enricher } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    const serve = options.serve ?? options.config.server.listen !== '';
    this.#server = serve ? new HttpServer(options.config.server.listen, this.metrics, () => this.health()) : undefined;
  }

  health(): HealthStatus {
    const idleMs = this.router.maxIdleMs;
    // The watchdog reconnects after inactivityTimeout; twice that without data means it is stuck.
    const alive = idleMs < this.config.source.inactivityTimeout * 2 + 60_000;
    const ready = this.router.synced;
    return { alive, ready, details: { synced: ready, watchIdleSeconds: Math.round(idleMs / 1000), role: 'leader' } };
  }

  async start(): Promise<void> {
    if (this.#server) {
      this.serverAddress = await this.#server.start();
      this.#logger.info({ address: this.serverAddress }, 'serving /metrics, /healthz, /readyz');
    }
    this.metrics.leader.set(1);
    await this.router.start();
  }

  async stop(deadlineMs?: number): Promise<{ drained: boolean }> {
    const result = await this.router.stop(deadlineMs);
    await this.#server?.stop();
    return result;
  }
}

export function checkpointStoreFor(config: Config): CheckpointStore {
  switch (config.checkpoint.store) {
    case 'file':
      return new FileCheckpointStore(config.checkpoint.path);
    case 'none':
      return new NoCheckpointStore();
    case 'configmap':
      throw new Error('checkpoint.store: configmap is not available in this build');
  }
}
