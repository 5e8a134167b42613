import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { App } from '../../src/app/app.ts';
import type { Checkpoint, CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import { NoCheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import type { Config } from '../../src/config/schema.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { ExportError } from '../../src/sinks/export-error.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { capturingLogger } from '../support/capturing-logger.ts';
import { podEvent, testConfig } from '../support/harness.ts';
import { metricSum } from '../support/metric-samples.ts';
import { waitFor } from '../support/otlp-receiver.ts';

/**
 * Delivery health is reported, not guessed (issue 19, item 4): a sink that delivers nothing is
 * named, the checkpoint lag grows in a quiet cluster, a hung checkpoint save neither halts the
 * sinks nor stays silent, and a checkpoint that cannot be written makes the pod not ready.
 */
const EVENTS = '/api/v1/events';
const down = { ok: false as const, error: new ExportError('E_EXPORT_NETWORK', 'connect ECONNREFUSED 127.0.0.1:4318') };

async function readyz(app: App): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`http://${app.serverAddress}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** A store whose saves never return once `hang()` was called (a hung NFS mount, an API call that never answers). */
class HangingStore implements CheckpointStore {
  readonly kind = 'hanging';
  saves = 0;
  #hung = false;
  hang(): void {
    this.#hung = true;
  }
  async load(): Promise<Checkpoint | undefined> {
    return undefined;
  }
  save(): Promise<void> {
    this.saves += 1;
    return this.#hung ? new Promise<void>(() => undefined) : Promise.resolve();
  }
}

describe('delivery health', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(config: Config, sink: InMemorySink, options: { checkpointStore?: CheckpointStore; logger?: ReturnType<typeof silentLogger> } = {}): Promise<{ api: FakeApiServer; app: App }> {
    const api = new FakeApiServer();
    await api.start();
    cleanups.push(() => api.stop());
    const app = new App({
      config,
      client: KubeClient.fromServer(api.url),
      logger: options.logger ?? silentLogger(),
      sinks: [sink],
      ...(options.checkpointStore ? { checkpointStore: options.checkpointStore } : {}),
      env: {},
    });
    cleanups.push(() => app.stop(1000).then(() => undefined));
    await app.start();
    await waitFor(() => app.router.synced && api.watcherCount > 0, 'the watch');
    return { api, app };
  }

  it('names on /readyz, and in metrics, a sink that has delivered nothing for deliveryStallThreshold while records wait', async () => {
    const sink = new InMemorySink('collector');
    const config = testConfig({ server: { listen: '127.0.0.1:0', deliveryStallThreshold: '500ms' }, sinks: [{ name: 'collector', type: 'stdout', batchTimeout: '20ms', initialBackoff: '20ms', maxBackoff: '50ms' }] });
    const { api, app } = await start(config, sink, { checkpointStore: new NoCheckpointStore() });
    api.create(EVENTS, podEvent());
    await waitFor(() => sink.records.length === 1, 'a first delivery');
    sink.failNext(down, 1_000_000);
    api.create(EVENTS, podEvent());
    assert.equal((await readyz(app)).body['status'], 'ok', 'not stalled before the threshold');
    await waitFor(async () => (await readyz(app)).body['status'] === 'degraded', '/readyz to name the stalled sink');
    const { status, body } = await readyz(app);
    assert.equal(status, 200, 'a down receiver does not take the pod out of the Service');
    assert.match(body['problems'].join('\n'), /sink collector has delivered nothing for more than 500ms while records wait/);
    const [collector] = body['sinks'];
    assert.equal(collector.sink, 'collector');
    assert.equal(collector.required, true);
    assert.equal(collector.stalled, true);
    assert.ok(Date.parse(collector.lastSuccess) <= Date.now());
    assert.ok(collector.consecutiveFailures >= 2);
    assert.ok(collector.oldestQueuedAgeSeconds >= 0);
    assert.equal(await metricSum(app.metrics, 'eventrouter_sink_stalled', { sink: 'collector' }), 1);
    assert.ok((await metricSum(app.metrics, 'eventrouter_sink_consecutive_failures', { sink: 'collector' })) >= 2);
    assert.ok((await metricSum(app.metrics, 'eventrouter_sink_oldest_queued_age_seconds', { sink: 'collector' })) >= 0.5);
    assert.equal(await metricSum(app.metrics, 'eventrouter_sink_last_success_timestamp_seconds', { sink: 'collector' }), Date.parse(collector.lastSuccess) / 1000);
  });

  it('computes the checkpoint lag at collection, so it grows in a quiet cluster while a sink is down', async () => {
    const sink = new InMemorySink();
    const config = testConfig({ sinks: [{ name: 'memory', type: 'stdout', batchTimeout: '20ms', initialBackoff: '20ms', maxBackoff: '50ms' }] });
    const { api, app } = await start(config, sink, { checkpointStore: new NoCheckpointStore() });
    sink.failNext(down, 1_000_000);
    api.create(EVENTS, podEvent());
    await waitFor(() => sink.exportCalls >= 2, 'the sink failing');
    // Nothing more arrives: only a lag computed when read can grow now.
    await waitFor(async () => (await metricSum(app.metrics, 'eventrouter_checkpoint_lag_seconds')) >= 1.5, 'the lag gauge to grow without deliveries', 20_000);
  });

  it('gives a checkpoint save a deadline: a hung save is logged, counted and on /readyz, and the sinks go on', async () => {
    const sink = new InMemorySink();
    const store = new HangingStore();
    const { logger, entries } = capturingLogger();
    // interval 0: every acknowledged batch waits for its checkpoint write before the next export.
    const config = testConfig({ server: { listen: '127.0.0.1:0' }, checkpoint: { store: 'none', interval: '0s', timeout: '200ms' } });
    const { api, app } = await start(config, sink, { checkpointStore: store, logger });
    api.create(EVENTS, podEvent());
    await waitFor(() => sink.records.length === 1 && store.saves >= 1, 'a delivery and its checkpoint write');
    store.hang();
    for (let i = 0; i < 5; i++) {
      api.create(EVENTS, podEvent());
      await waitFor(() => sink.records.length === 2 + i, `delivery ${2 + i} despite the hung save`, 20_000);
    }
    await waitFor(async () => (await metricSum(app.metrics, 'eventrouter_checkpoint_writes_total', { outcome: 'timeout' })) >= 1, 'the timeout counted');
    const { status, body } = await readyz(app);
    assert.equal(status, 503);
    assert.equal(body['checkpoint'].ok, false);
    assert.match(body['checkpoint'].error, /did not return within 200 ms|has not returned/);
    assert.ok(entries.some((e) => e['level'] === 50 && /did not return within 200 ms/.test(String(e['err']))), 'an error log');
    assert.equal(await metricSum(app.metrics, 'eventrouter_checkpoint_healthy'), 0);
    assert.ok(store.saves <= 3, `${store.saves} saves: no pile-up of saves on a hung store`);
  });

  it('is not ready while the file checkpoint cannot be written, and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventrouter-ckpt-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'checkpoint.json');
    // The store writes `<path>.<pid>.tmp` and renames it. A directory in its place makes the
    // write fail for every user, root included (chmod does not deny root); reading the absent
    // checkpoint still works, as on a read-only or root-owned directory.
    mkdirSync(`${path}.${process.pid}.tmp`);
    const sink = new InMemorySink();
    const config = testConfig({ server: { listen: '127.0.0.1:0' }, checkpoint: { store: 'file', path, interval: '0s' } });
    const { api, app } = await start(config, sink);
    api.create(EVENTS, podEvent());
    await waitFor(() => sink.records.length === 1, 'the event delivered');
    await waitFor(async () => (await readyz(app)).status === 503, '/readyz not ready');
    const { body } = await readyz(app);
    assert.equal(body['status'], 'unavailable');
    assert.equal(body['checkpoint'].ok, false);
    assert.match(body['checkpoint'].error, /EISDIR|EACCES|EPERM/);
    assert.match(body['problems'].join('\n'), /checkpoint cannot be written/);
    assert.equal(await metricSum(app.metrics, 'eventrouter_checkpoint_healthy'), 0);
    assert.ok((await metricSum(app.metrics, 'eventrouter_checkpoint_writes_total', { outcome: 'error' })) >= 1);
  });
});
