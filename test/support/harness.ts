import { App } from '../../src/app/app.ts';
import { NoCheckpointStore, type CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import type { Sink } from '../../src/sinks/sink.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';

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
