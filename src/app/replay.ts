import { NoCheckpointStore } from '../checkpoint/checkpoint-store.ts';
import type { Config } from '../config/schema.ts';
import { allDelivered, type SinkResult } from '../sinks/sink-result.ts';
import type { Sink } from '../sinks/sink.ts';
import { dumpSources } from '../source/dump-sources.ts';
import type { Logger } from '../telemetry/logger.ts';
import { Metrics } from '../telemetry/metrics.ts';
import { App } from './app.ts';
import { VERSION } from './version.ts';

export interface ReplayOptions {
  config: Config;
  /** The objects of the dump (src/cli/read-dump.ts). */
  objects: readonly unknown[];
  /** The sinks, each taking the queue, batching and route settings of the `config.sinks` entry at its index. */
  sinks: Sink[];
  logger: Logger;
  metrics?: Metrics;
}

/** How a replay went: what was read, and what became of it at each sink. */
export interface ReplayOutcome {
  /** Events read from the dump and handed to the pipeline. */
  accepted: number;
  /** Objects of the dump that are not Events (skipped, logged). */
  malformed: number;
  /** Every required sink emptied before `shutdownTimeout`. */
  drained: boolean;
  sinks: SinkResult[];
}

/**
 * Sends a dump through the service as `run` assembles it ({@link App}: the same router,
 * pipeline, routes and sinks), with a dump source instead of the cluster's watches: no cluster,
 * so no leader election, no owner lookups (service.* still comes from what each event says), no
 * checkpoint; no HTTP server and no push of the router's own metrics. Resolves once every event
 * was read and the sinks drained (or `shutdownTimeout` passed); throws when the service cannot start.
 */
export async function replayDump(options: ReplayOptions): Promise<ReplayOutcome> {
  const { config, logger } = options;
  const metrics = options.metrics ?? new Metrics({ clusterName: config.clusterName, version: VERSION });
  const sources = dumpSources({ objects: options.objects, pageSize: config.source.pageSize, metrics, logger });
  const app = new App({
    // What replay leaves out, in its config too, so that the start-up line says it.
    config: {
      ...config,
      checkpoint: { ...config.checkpoint, store: 'none' },
      leaderElection: { ...config.leaderElection, enabled: false },
      selfMetrics: { ...config.selfMetrics, otlpEndpoint: '' },
    },
    sources,
    logger,
    metrics,
    sinks: options.sinks,
    checkpointStore: new NoCheckpointStore(),
    serve: false,
  });
  await app.start();
  await app.router.done;
  const { drained } = await app.stop();
  return { accepted: sources.source?.accepted ?? 0, malformed: sources.source?.malformed ?? 0, drained, sinks: app.sinkResults() };
}

/** A replay succeeded when every event read reached every sink it was routed to and no object was malformed: judged by the sinks' results. */
export function replaySucceeded(outcome: ReplayOutcome): boolean {
  return outcome.malformed === 0 && allDelivered(outcome.sinks);
}
