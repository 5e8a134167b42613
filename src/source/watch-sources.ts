import type { KubeClient } from '../kube/kube-client.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { EventSource, type EventSourceSettings } from './event-source.ts';
import type { SourceFactory } from './source-factory.ts';

export interface WatchSourcesOptions {
  client: KubeClient;
  settings: EventSourceSettings & { namespaces: readonly string[] };
  metrics: Metrics;
  logger: Logger;
}

/** What `run` and `demo` read: a cluster's Events, one watch source per namespace of `source.namespaces` (none: all), resumed from the checkpoint. */
export function watchSources({ client, settings, metrics, logger }: WatchSourcesOptions): SourceFactory {
  return {
    scopes: settings.namespaces.length > 0 ? settings.namespaces : [''],
    resumes: true,
    create: ({ scope, start, deliver, keepRaw }) =>
      new EventSource({
        client,
        settings,
        namespace: scope,
        ...(start.resourceVersion !== undefined ? { startResourceVersion: start.resourceVersion } : {}),
        ...(start.resumeList !== undefined ? { resumeList: start.resumeList } : {}),
        deliver,
        keepRaw,
        metrics,
        logger,
      }),
  };
}
