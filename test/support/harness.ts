import { ConfigError } from '../../src/config-kit/config-error.ts';
import { App } from '../../src/app/app.ts';
import { NoCheckpointStore, type CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import type { Sink } from '../../src/sinks/sink.ts';
import type { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { waitFor } from './otlp-receiver.ts';

/** A config for tests: fast backoff and batching, no server, no checkpoint file; `overrides` merged in. */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  const base: Record<string, any> = {
    source: { minBackoff: '20ms', maxBackoff: '200ms', pageSize: 50 },
    checkpoint: { store: 'none', interval: '50ms' },
    server: { listen: '' },
    enrich: { owners: false },
    sinks: [{ name: 'test', type: 'stdout', batchTimeout: '20ms' }],
  };
  for (const [key, value] of Object.entries(overrides)) {
    base[key] = typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...base[key], ...value } : value;
  }
  return parseConfig(base, {});
}

export interface RouterHarnessOptions {
  apiUrl: string;
  config?: Config;
  sinks?: Sink[];
  checkpointStore?: CheckpointStore;
}

/** Starts an App against `apiUrl` with quiet logs. */
export async function startApp(options: RouterHarnessOptions): Promise<App> {
  const app = new App({
    config: options.config ?? testConfig(),
    client: KubeClient.fromServer(options.apiUrl),
    logger: silentLogger(),
    ...(options.sinks ? { sinks: options.sinks } : {}),
    checkpointStore: options.checkpointStore ?? new NoCheckpointStore(),
    env: {},
  });
  await app.start();
  return app;
}

/**
 * Resolves once `app` has acknowledged everything `api` holds now: the committed cursor of
 * `scope` (default: all namespaces; a namespace whose event was the last one created) is the
 * server's resourceVersion and no sink has anything queued or in
 * flight. What the sinks received by then is all they will receive for those events, so exact
 * counts can be asserted without sleeping ("nothing more arrives" as a condition, not a delay).
 */
export async function settled(app: App, api: FakeApiServer, what = 'every event acknowledged', scope = ''): Promise<void> {
  const target = api.resourceVersion;
  await waitFor(
    () => app.router.checkpoint().scopes[scope] === target && app.router.sinkQueues.every((queue) => queue.depth === 0),
    `${what} (checkpoint at resourceVersion ${target})`,
    60_000,
  );
}

let seq = 0;

/** A core/v1 Event about a pod, with a unique name. */
export function podEvent(overrides: Record<string, unknown> = {}, namespace = 'default'): Record<string, unknown> {
  seq += 1;
  const pod = `web-${seq % 7}`;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod}.${seq.toString(16).padStart(12, '0')}`, namespace },
    involvedObject: { kind: 'Pod', name: pod, namespace, uid: `pod-uid-${seq % 7}`, apiVersion: 'v1', fieldPath: 'spec.containers{app}' },
    reason: 'Pulled',
    message: `message ${seq}`,
    type: 'Normal',
    count: 1,
    firstTimestamp: '2024-01-01T00:00:00Z',
    lastTimestamp: '2024-01-01T00:00:00Z',
    source: { component: 'kubelet', host: 'node-1' },
    ...overrides,
  };
}

/** The problems `parseConfig` reports for `raw`, or none. */
export function configProblems(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(raw, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
  return [];
}
