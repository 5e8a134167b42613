import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { App } from '../../src/app/app.ts';
import type { Checkpoint, CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import { FileCheckpointStore } from '../../src/checkpoint/file-checkpoint-store.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import type { EventRecord } from '../../src/model/event-record.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import type { ExportOutcome, Sink } from '../../src/sinks/sink.ts';
import { Router } from '../../src/router/router.ts';
import { watchSources } from '../../src/source/watch-sources.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent, settled, startApp, testConfig } from '../support/harness.ts';
import { metricSum } from '../support/metric-samples.ts';
import { OtlpReceiver, waitFor } from '../support/otlp-receiver.ts';
import { otlpSink } from '../support/sinks.ts';

const EVENTS = '/api/v1/events';

function metric(app: App, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricSum(app.metrics, name, labels);
}

/** A sink whose exports wait until `open()`; records what it acknowledged. */
class GatedSink implements Sink {
  readonly name = 'gated';
  readonly records: EventRecord[] = [];
  #gate: Promise<void>;
  #release!: () => void;
  constructor() {
    this.#gate = new Promise((r) => (this.#release = r));
  }
  open(): void {
    this.#release();
  }
  async start(): Promise<void> {}
  async export(records: readonly EventRecord[]): Promise<ExportOutcome> {
    await this.#gate;
    this.records.push(...records);
    return { ok: true };
  }
  async shutdown(): Promise<void> {}
}

function duplicates(keys: string[]): string[] {
  const seen = new Set<string>();
  return keys.filter((k) => (seen.has(k) ? true : (seen.add(k), false)));
}

describe('delivery guarantees', () => {
  let api: FakeApiServer;
  let apps: App[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'eventrouter-delivery-'));
  let n = 0;

  afterEach(async () => {
    for (const app of apps) await app.stop(1000).catch(() => undefined);
    apps = [];
    await api?.stop();
  });

  async function start(options: Parameters<typeof startApp>[0]): Promise<App> {
    const app = await startApp(options);
    apps.push(app);
    return app;
  }

  it('resumes exactly where the last acknowledged export stopped after a graceful restart', async () => {
    api = new FakeApiServer();
    await api.start();
    const store = new FileCheckpointStore(join(dir, `cp-${++n}.json`));
    for (let i = 0; i < 40; i++) api.create(EVENTS, podEvent());
    const first = new InMemorySink();
    const a = await start({ apiUrl: api.url, sinks: [first], checkpointStore: store });
    await waitFor(() => first.records.length === 40 && a.router.synced, 'the first run');
    for (let i = 0; i < 10; i++) api.create(EVENTS, podEvent());
    await waitFor(() => first.records.length === 50, 'watched events');
    await a.stop();
    apps = [];
    const saved = JSON.parse(readFileSync(store.path, 'utf8'));
    assert.equal(saved.scopes[''], api.resourceVersion, 'the checkpoint is the last delivered resourceVersion');
    // Downtime: events happen, one recurring event repeats.
    for (let i = 0; i < 15; i++) api.create(EVENTS, podEvent());
    const name = first.records[0]!.event.name;
    api.update(EVENTS, 'default', name, (e) => {
      e['count'] = 2;
      e['lastTimestamp'] = '2024-01-01T00:05:00Z';
    });
    const second = new InMemorySink();
    const b = await start({ apiUrl: api.url, sinks: [second], checkpointStore: store });
    await settled(b, api, 'the downtime events');
    assert.equal(second.records.length, 16, 'only what happened while it was down');
    assert.deepEqual(duplicates([...first.records, ...second.records].map((r) => r.dedupeKey)), []);
    assert.equal(second.records.find((r) => r.event.name === name)?.attributes['k8s.event.count'], 2);
  });

  it('re-lists from the checkpoint when its resourceVersion was compacted away while down', async () => {
    api = new FakeApiServer();
    await api.start();
    const store = new FileCheckpointStore(join(dir, `cp-${++n}.json`));
    for (let i = 0; i < 25; i++) api.create(EVENTS, podEvent());
    const first = new InMemorySink();
    const a = await start({ apiUrl: api.url, sinks: [first], checkpointStore: store });
    await waitFor(() => first.records.length === 25 && a.router.synced, 'the first run');
    await a.stop();
    apps = [];
    for (let i = 0; i < 7; i++) api.create(EVENTS, podEvent());
    api.compact();
    const second = new InMemorySink();
    const b = await start({ apiUrl: api.url, sinks: [second], checkpointStore: store });
    await settled(b, api, 'the downtime events');
    assert.equal(second.records.length, 7);
    assert.ok((await metric(b, 'eventrouter_watch_restarts_total', { cause: 'expired' })) >= 1);
  });

  it('stops reading the watch stream while a sink is blocked, then delivers everything', async () => {
    api = new FakeApiServer();
    await api.start();
    const sink = new GatedSink();
    const config = testConfig({ sinks: [{ name: 'gated', type: 'stdout', queueSize: 100, maxBatchSize: 50, batchTimeout: '10ms' }] });
    const app = await startApp({ apiUrl: api.url, sinks: [sink], config });
    apps.push(app);
    await waitFor(() => app.router.synced && api.watcherCount > 0, 'a watch');
    const produced = 4000;
    const padding = 'p'.repeat(2000);
    for (let i = 0; i < produced; i++) api.create(EVENTS, podEvent({ message: `${i} ${padding}` }));
    // The queue fills up to its bound and stays there while the sink is blocked: the source must wait.
    await waitFor(() => app.router.sinkQueues[0]!.depth === 100, 'a full queue');
    const received = await metric(app, 'eventrouter_notifications_total', { type: 'ADDED' });
    const depth = app.router.sinkQueues[0]!.depth;
    assert.ok(depth <= 100, `queue bounded: depth ${depth}`);
    assert.equal(await metric(app, 'eventrouter_queue_depth', { sink: 'gated' }), depth, 'the gauge reports the queue');
    assert.ok(received < produced, `the source stopped reading: ${received} of ${produced} read while blocked`);
    sink.open();
    await waitFor(() => sink.records.length >= produced, 'every event after the sink recovers');
    assert.equal(sink.records.length, produced);
    assert.deepEqual(duplicates(sink.records.map((r) => r.dedupeKey)), []);
  });

  describe('with an OTLP receiver that fails', () => {
    let receiver: OtlpReceiver;
    before(async () => {
      receiver = new OtlpReceiver();
      await receiver.start();
    });
    after(async () => receiver.stop());
    afterEach(() => receiver.reset());

    const otlp = () => otlpSink({ endpoint: receiver.url, timeout: '2s' });
    const config = () => testConfig({ sinks: [{ name: 'otlp', type: 'otlp', endpoint: 'http://127.0.0.1:1', batchTimeout: '20ms', initialBackoff: '50ms', maxBackoff: '200ms', maxBatchSize: 20 }] });

    it('retries through a 503 outage and loses nothing', async (t) => {
      api = new FakeApiServer();
      await api.start();
      receiver.always = { kind: 'status', status: 503, retryAfterSeconds: 0 };
      const app = await start({ apiUrl: api.url, sinks: [otlp()], config: config() });
      for (let i = 0; i < 60; i++) api.create(EVENTS, podEvent());
      // The outage lasts until the router has retried.
      await waitFor(async () => receiver.attempts > 3 && (await metric(app, 'eventrouter_export_retries_total')) >= 1, 'failed attempts and a retry', 60_000);
      assert.equal(receiver.logs.length, 0);
      assert.notEqual(app.router.checkpoint().scopes[''], api.resourceVersion, 'nothing acknowledged during the outage');
      receiver.always = undefined;
      await settled(app, api, 'delivery after the outage');
      assert.equal(receiver.logs.length, 60);
      const dup = duplicates(receiver.logs.map((l) => `${l.attributes['k8s.event.uid']}/${l.attributes['k8s.event.count']}`));
      t.diagnostic(`503 outage: 60 events, ${receiver.logs.length} delivered, ${dup.length} duplicates, ${receiver.attempts} requests`);
      assert.deepEqual(dup, []);
    });

    it('stops within its deadline while the receiver answers 503 and the source waits for room in a full queue', async (t) => {
      api = new FakeApiServer();
      await api.start();
      receiver.always = { kind: 'status', status: 503, retryAfterSeconds: 0 };
      const full = testConfig({ sinks: [{ name: 'otlp', type: 'otlp', endpoint: 'http://127.0.0.1:1', queueSize: 10, maxBatchSize: 5, batchTimeout: '10ms', initialBackoff: '50ms', maxBackoff: '200ms' }] });
      const app = await startApp({ apiUrl: api.url, sinks: [otlp()], config: full });
      await waitFor(() => app.router.synced && api.watcherCount > 0, 'a watch');
      for (let i = 0; i < 100; i++) api.create(EVENTS, podEvent());
      await waitFor(() => app.router.sinkQueues[0]!.depth === 10 && receiver.attempts > 1, 'a full queue and failed attempts');
      // Not in `apps`: a stop that hangs must fail this test, not the afterEach hook.
      const hung = Symbol('hung');
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([app.stop(300), new Promise<symbol>((resolve) => (timer = setTimeout(() => resolve(hung), 10_000)))]);
      clearTimeout(timer);
      t.diagnostic(`503 throughout: 100 events, queue ${app.router.sinkQueues[0]!.depth}/10, ${receiver.attempts} requests, stop ${result === hung ? 'still pending after 10 s' : 'returned'}`);
      assert.notEqual(result, hung, 'stop(300) returned');
      assert.deepEqual(result, { drained: false });
      assert.equal(receiver.logs.length, 0);
      assert.equal(app.router.checkpoint().scopes[''] === api.resourceVersion, false, 'nothing acknowledged that was not delivered');
    });

    it('counts a batch refused with 400 as failed, does not retry it, and keeps delivering the rest', async (t) => {
      api = new FakeApiServer();
      await api.start();
      const app = await start({ apiUrl: api.url, sinks: [otlp()], config: config() });
      await waitFor(() => app.router.synced && api.watcherCount > 0, 'a watch');
      receiver.behaviours.push({ kind: 'status', status: 400 });
      for (let i = 0; i < 20; i++) api.create(EVENTS, podEvent());
      await waitFor(() => receiver.attempts >= 1, 'the refused batch');
      for (let i = 0; i < 20; i++) api.create(EVENTS, podEvent());
      await settled(app, api, 'the refused batch and the next ones');
      const failed = await metric(app, 'eventrouter_records_total', { outcome: 'failed' });
      assert.ok(failed >= 1, 'the refused batch is counted');
      t.diagnostic(`400 refusal: 40 events, ${receiver.logs.length} delivered, ${failed} counted failed, ${receiver.attempts} requests`);
      assert.equal(receiver.logs.length + failed, 40, 'refused + delivered = produced');
      assert.equal(app.router.checkpoint().scopes[''], api.resourceVersion, 'the checkpoint moves past a permanent failure');
    });

    it('survives a receiver that refuses connections, answers slowly, or drops the connection', async (t) => {
      api = new FakeApiServer();
      await api.start();
      receiver.behaviours.push({ kind: 'destroy' }, { kind: 'delay', ms: 400 }, { kind: 'status', status: 502 });
      const dead = otlpSink({ endpoint: 'http://127.0.0.1:9', timeout: '500ms' });
      await dead.start();
      const app = await start({ apiUrl: api.url, sinks: [otlp()], config: config() });
      for (let i = 0; i < 50; i++) api.create(EVENTS, podEvent());
      await settled(app, api, 'every event');
      const keys = receiver.logs.map((l) => `${l.attributes['k8s.event.uid']}/${l.attributes['k8s.event.count']}`);
      assert.equal(new Set(keys).size, 50, 'every event delivered');
      // A dropped connection may have been processed: a duplicate must carry its original's key.
      t.diagnostic(`destroy/slow/502: 50 events, ${new Set(keys).size} distinct delivered, ${keys.length - 50} duplicates, ${receiver.attempts} requests`);
      assert.ok(keys.length - 50 <= 20, 'at most one batch re-sent');
      const outcome = await dead.export([]);
      assert.equal(outcome.ok, false);
      assert.equal(outcome.ok === false && outcome.error.code, 'E_EXPORT_NETWORK');
      assert.equal(outcome.ok === false && outcome.error.retryable, true, 'connection refused is retryable');
      await dead.shutdown();
      // The retry sender retried these (destroyed, slow, 502): every request was attempted again.
      assert.ok(receiver.attempts >= 4, `attempts: ${receiver.attempts}`);
    });
  });
});

/** A checkpoint store in memory: what was saved, in order; `hang` makes `load` never answer. */
class MemoryCheckpointStore implements CheckpointStore {
  readonly kind = 'memory';
  readonly saved: Checkpoint[] = [];
  hang = false;
  async load(): Promise<Checkpoint | undefined> {
    if (this.hang) return new Promise(() => {});
    return this.saved.at(-1);
  }
  async save(checkpoint: Checkpoint): Promise<void> {
    this.saved.push(structuredClone(checkpoint));
  }
}

/** A sink whose exports never return: nothing it is given is acknowledged. */
class StuckSink implements Sink {
  readonly name = 'stuck';
  calls = 0;
  async start(): Promise<void> {}
  export(): Promise<ExportOutcome> {
    this.calls += 1;
    return new Promise(() => {});
  }
  async shutdown(): Promise<void> {}
}

describe('router (one leadership term, on its own)', () => {
  let api: FakeApiServer;
  let routers: Router[] = [];
  afterEach(async () => {
    for (const r of routers) await r.stop(1000).catch(() => undefined);
    routers = [];
    await api?.stop();
  });

  function router(options: { store: CheckpointStore; sink: Sink; overrides?: Record<string, unknown>; metrics?: Metrics }): Router {
    const config = testConfig(options.overrides ?? {});
    const client = KubeClient.fromServer(api.url);
    const metrics = options.metrics ?? new Metrics();
    const logger = silentLogger();
    const r = new Router({
      config,
      sources: watchSources({ client, settings: config.source, metrics, logger }),
      client,
      sinks: [{ sink: options.sink, ...(config.sinks?.[0] ? { config: config.sinks[0] } : {}) }],
      checkpointStore: options.store,
      metrics,
      logger,
    });
    routers.push(r);
    return r;
  }

  async function stop(r: Router, deadlineMs?: number): Promise<{ drained: boolean }> {
    routers = routers.filter((x) => x !== r);
    return r.stop(deadlineMs);
  }

  it('delivers what the cluster holds and what comes after, commits the cursor, and writes it when stopped', async () => {
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 3; i++) api.create(EVENTS, podEvent());
    const store = new MemoryCheckpointStore();
    const sink = new InMemorySink();
    const r = router({ store, sink });
    assert.equal(r.synced, false);
    await r.start();
    await waitFor(() => r.synced && sink.records.length === 3, 'the listed events');
    for (let i = 0; i < 2; i++) api.create(EVENTS, podEvent());
    await waitFor(() => r.checkpoint().scopes[''] === api.resourceVersion && sink.records.length === 5, 'the watched events acknowledged');
    assert.deepEqual(r.watchStatus().map((w) => [w.scope, w.state]), [['*', 'watching']]);
    assert.deepEqual(r.sinkHealth().map((h) => [h.sink, h.required]), [['memory', true]]);
    assert.deepEqual(await stop(r), { drained: true });
    assert.equal(store.saved.at(-1)?.scopes[''], api.resourceVersion);
    assert.equal(new Set(sink.records.map((x) => x.dedupeKey)).size, 5);
  });

  it('resumes from the stored checkpoint: the next term gets only what came after it', async () => {
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 4; i++) api.create(EVENTS, podEvent());
    const store = new MemoryCheckpointStore();
    const first = router({ store, sink: new InMemorySink() });
    await first.start();
    await waitFor(() => first.checkpoint().scopes[''] === api.resourceVersion, 'the first term acknowledged everything');
    await stop(first);
    const later = [podEvent(), podEvent()];
    for (const e of later) api.create(EVENTS, e);
    const sink = new InMemorySink();
    const second = router({ store, sink });
    await second.start();
    await waitFor(() => second.checkpoint().scopes[''] === api.resourceVersion, 'the second term acknowledged everything');
    assert.deepEqual(
      sink.records.map((x) => x.event.name),
      later.map((e) => (e['metadata'] as { name: string }).name),
    );
  });

  it('watches each configured namespace as a scope of its own, with a cursor each', async () => {
    api = new FakeApiServer();
    await api.start();
    for (const ns of ['a', 'b', 'c']) api.create(EVENTS, podEvent({}, ns));
    const sink = new InMemorySink();
    const r = router({ store: new MemoryCheckpointStore(), sink, overrides: { source: { namespaces: ['a', 'b'] } } });
    await r.start();
    await waitFor(() => r.synced && sink.records.length === 2, 'the events of a and b');
    assert.deepEqual(sink.records.map((x) => x.event.namespace).sort(), ['a', 'b']);
    assert.deepEqual(r.watchStatus().map((w) => w.scope), ['a', 'b']);
    await waitFor(() => Object.keys(r.checkpoint().scopes).sort().join() === 'a,b', 'a cursor per scope');
  });

  it('stops at its deadline when a sink never acknowledges: not drained, and the checkpoint does not pass what was not acknowledged', async () => {
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 3; i++) api.create(EVENTS, podEvent());
    const store = new MemoryCheckpointStore();
    const sink = new StuckSink();
    const r = router({ store, sink });
    await r.start();
    await waitFor(() => sink.calls > 0, 'an export in flight');
    assert.deepEqual(await stop(r, 100), { drained: false });
    assert.equal(r.checkpoint().scopes[''], undefined);
    assert.equal(store.saved.some((c) => c.scopes[''] !== undefined), false);
  });

  it('stops promptly while its first list waits for room in a full sink queue', { timeout: 30_000 }, async () => {
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 10; i++) api.create(EVENTS, podEvent());
    const sink = new StuckSink();
    const r = router({ store: new MemoryCheckpointStore(), sink, overrides: { source: { pageSize: 2 }, sinks: [{ name: 'stuck', type: 'stdout', queueSize: 1, maxBatchSize: 1, batchTimeout: '10ms' }] } });
    await r.start();
    await waitFor(() => sink.calls > 0 && r.watchStatus()[0]?.state === 'waiting-for-room', 'the list held by the full queue');
    assert.deepEqual(await stop(r, 100), { drained: false });
    assert.equal(api.watcherCount, 0, 'no watch was opened after the stop');
  });

  it('stops while the checkpoint store has not answered, having started no source', async () => {
    api = new FakeApiServer();
    await api.start();
    const store = new MemoryCheckpointStore();
    store.hang = true;
    const r = router({ store, sink: new InMemorySink() });
    await r.start();
    assert.deepEqual(r.checkpointStatus, { ok: true, phase: 'loading' });
    assert.deepEqual(await stop(r, 1000), { drained: true });
    assert.equal(r.synced, false);
    assert.deepEqual([...api.requests.keys()].filter((k) => k.includes('/events')), []);
  });
});
