import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { App } from '../../src/app/app.ts';
import type { Checkpoint, CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import { ConfigMapCheckpointStore } from '../../src/checkpoint/configmap-checkpoint-store.ts';
import { FileCheckpointStore } from '../../src/checkpoint/file-checkpoint-store.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { podEvent, startApp, testConfig } from '../support/harness.ts';
import { metricSum } from '../support/metric-samples.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const EVENTS = '/api/v1/events';

function metric(app: App, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricSum(app.metrics, name, labels);
}

function duplicates(keys: string[]): string[] {
  const seen = new Set<string>();
  return keys.filter((k) => (seen.has(k) ? true : (seen.add(k), false)));
}

function checkpointAt(rv: string, extra: Partial<Checkpoint> = {}): Checkpoint {
  return { version: 1, api: 'core/v1', scopes: { '': rv }, updatedAt: new Date().toISOString(), ...extra };
}

describe('resume safety', () => {
  let api: FakeApiServer;
  let apps: App[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'eventrouter-resume-'));
  let n = 0;

  afterEach(async () => {
    // Bounded, so that a router that cannot stop fails its test instead of hanging the file.
    const bound = () => new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
    for (const app of apps) await Promise.race([app.stop(1000).catch(() => undefined), bound()]);
    apps = [];
    await api?.stop();
  });

  async function start(options: Parameters<typeof startApp>[0]): Promise<App> {
    const app = await startApp(options);
    apps.push(app);
    return app;
  }

  async function stop(app: App): Promise<void> {
    await app.stop();
    apps = apps.filter((a) => a !== app);
  }

  it('discards a checkpoint ahead of the cluster (etcd restored from a backup) and exports what comes after', async () => {
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 3; i++) api.create(EVENTS, podEvent());
    const path = join(dir, `cp-${++n}.json`);
    writeFileSync(path, JSON.stringify(checkpointAt('999999999')));
    const sink = new InMemorySink();
    const app = await start({ apiUrl: api.url, sinks: [sink], checkpointStore: new FileCheckpointStore(path) });
    await waitFor(() => app.router.synced, 'the router to sync');
    for (let i = 0; i < 3; i++) api.create(EVENTS, podEvent());
    await waitFor(() => sink.records.length >= 6, 'the 3 stored events (backfill: all) and the 3 created after the resume');
    await stop(app);
    assert.equal(sink.records.length, 6);
    assert.deepEqual(duplicates(sink.records.map((r) => r.dedupeKey)), []);
    assert.equal(await metric(app, 'eventrouter_checkpoint_discarded_total', { reason: 'ahead-of-cluster' }), 1);
    const written = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
    assert.equal(written.scopes[''], api.resourceVersion, 'the cursor written back is in the cluster\'s present');
  });

  it('starts over when etcd is restored from a backup while it runs (its watch position is now in the future)', async () => {
    // Watches end after 1 s, so a silent stream closes and the router asks where the cluster is.
    api = new FakeApiServer({ maxWatchSeconds: 1 });
    await api.start();
    for (let i = 0; i < 3; i++) api.create(EVENTS, podEvent());
    const backup = api.snapshot();
    for (let i = 0; i < 5; i++) api.create(EVENTS, podEvent());
    const sink = new InMemorySink();
    const app = await start({ apiUrl: api.url, sinks: [sink], checkpointStore: new FileCheckpointStore(join(dir, `cp-${++n}.json`)) });
    await waitFor(() => app.router.synced && sink.records.length === 8, 'the first 8 events');
    api.restore(backup);
    // Written after the restore: their resourceVersions are below the router's watch position.
    const after = [api.create(EVENTS, podEvent()), api.create(EVENTS, podEvent())].map((e) => String(e.metadata['name']));
    await waitFor(() => after.every((name) => sink.records.some((r) => r.event.name === name)), 'the events written after the restore');
    assert.equal(await metric(app, 'eventrouter_checkpoint_discarded_total', { reason: 'ahead-of-cluster' }), 1);
    assert.deepEqual(duplicates(sink.records.map((r) => r.dedupeKey)), [], 'the 3 restored events are not sent again');
  });

  it('discards a checkpoint of another cluster, re-lists under the backfill policy, and records this cluster in the new one', async () => {
    api = new FakeApiServer();
    await api.start();
    api.create('/api/v1/namespaces', { metadata: { name: 'kube-system', uid: 'uid-this-cluster' } });
    // Stored events: old ones fall outside `backfill: 10m`; a recent one is inside it.
    for (let i = 0; i < 4; i++) api.create(EVENTS, podEvent());
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const recent = api.create(EVENTS, podEvent({ firstTimestamp: now, lastTimestamp: now }));
    const path = join(dir, `cp-${++n}.json`);
    // A resourceVersion this cluster has reached: only the cluster uid tells the checkpoint is not its own.
    writeFileSync(path, JSON.stringify(checkpointAt(api.resourceVersion, { clusterUid: 'uid-other-cluster' })));
    const sink = new InMemorySink();
    const app = await start({
      apiUrl: api.url,
      config: testConfig({ source: { minBackoff: '20ms', maxBackoff: '200ms', pageSize: 50, backfill: '10m' } }),
      sinks: [sink],
      checkpointStore: new FileCheckpointStore(path),
    });
    await waitFor(() => app.router.synced, 'the router to sync');
    const later = api.create(EVENTS, podEvent());
    await waitFor(() => sink.records.length >= 2, 'the recent stored event and the one created after the resume');
    await stop(app);
    assert.deepEqual(sink.records.map((r) => r.event.name), [recent.metadata['name'], later.metadata['name']]);
    assert.equal(await metric(app, 'eventrouter_checkpoint_discarded_total', { reason: 'other-cluster' }), 1);
    const written = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
    assert.equal(written.clusterUid, 'uid-this-cluster');
    assert.equal(written.scopes[''], api.resourceVersion);
  });

  it('does not trust a checkpoint that names a cluster while this cluster\'s uid cannot be read: not ready, says why, checks it once it can', async () => {
    api = new FakeApiServer();
    await api.start();
    api.create('/api/v1/namespaces', { metadata: { name: 'kube-system', uid: 'uid-this-cluster' } });
    for (let i = 0; i < 3; i++) api.create(EVENTS, podEvent());
    const path = join(dir, `cp-${++n}.json`);
    // A cursor this cluster has reached: only the uid tells that it is another cluster's.
    writeFileSync(path, JSON.stringify(checkpointAt(api.resourceVersion, { clusterUid: 'uid-other-cluster' })));
    let forbidden = true;
    api.failRequests((method, p) => forbidden && method === 'GET' && p === '/api/v1/namespaces/kube-system', 403, 1_000_000);
    const sink = new InMemorySink();
    const app = await start({
      apiUrl: api.url,
      config: testConfig({ source: { minBackoff: '20ms', maxBackoff: '200ms' } }),
      sinks: [sink],
      checkpointStore: new FileCheckpointStore(path),
    });
    await waitFor(() => (app.router.checkpointStatus.failures ?? 0) >= 2, 'the cluster check to fail, visibly, more than once');
    const status = app.router.checkpointStatus;
    assert.equal(status.ok, false);
    assert.match(status.error ?? '', /the checkpoint belongs to cluster uid-other-cluster, and this cluster's uid cannot be read .*kube-system/);
    assert.equal(app.router.synced, false, 'not ready while it cannot tell');
    assert.equal(sink.records.length, 0, 'nothing resumed from a cursor it could not check');
    assert.equal(await metric(app, 'eventrouter_checkpoint_healthy'), 0);
    forbidden = false;
    await waitFor(() => app.router.synced && sink.records.length >= 3, 'the check, the discard and the re-list (backfill: all)');
    await stop(app);
    assert.equal(await metric(app, 'eventrouter_checkpoint_discarded_total', { reason: 'other-cluster' }), 1);
    const written = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
    assert.equal(written.clusterUid, 'uid-this-cluster', 'the new checkpoint names its cluster');
  });

  it('trusts a checkpoint of this cluster at a resourceVersion it has reached', async () => {
    api = new FakeApiServer();
    await api.start();
    api.create('/api/v1/namespaces', { metadata: { name: 'kube-system', uid: 'uid-this-cluster' } });
    for (let i = 0; i < 4; i++) api.create(EVENTS, podEvent());
    const path = join(dir, `cp-${++n}.json`);
    writeFileSync(path, JSON.stringify(checkpointAt(api.resourceVersion, { clusterUid: 'uid-this-cluster' })));
    const later = api.create(EVENTS, podEvent());
    const sink = new InMemorySink();
    const app = await start({ apiUrl: api.url, sinks: [sink], checkpointStore: new FileCheckpointStore(path) });
    await waitFor(() => sink.records.length >= 1, 'the event created after the checkpoint');
    await stop(app);
    assert.deepEqual(sink.records.map((r) => r.event.name), [later.metadata['name']]);
    assert.equal(await metric(app, 'eventrouter_checkpoint_discarded_total'), 0);
  });

  it('discards the cursor and re-lists when the API server answers 504 ResourceVersionTooLarge', async () => {
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 3; i++) api.create(EVENTS, podEvent());
    const path = join(dir, `cp-${++n}.json`);
    writeFileSync(path, JSON.stringify(checkpointAt(api.resourceVersion)));
    // What a watch-cached resource (or a LIST with a resourceVersion) answers from the future.
    const current = Number(api.resourceVersion);
    api.failRequests((_m, p, q) => p === EVENTS && q.get('watch') === 'true', 504, 1, FakeApiServer.tooLargeStatus(current + 10, current));
    const sink = new InMemorySink();
    const app = await start({ apiUrl: api.url, sinks: [sink], checkpointStore: new FileCheckpointStore(path) });
    await waitFor(() => sink.records.length >= 3, 'the stored events, re-listed as on a first start');
    const later = api.create(EVENTS, podEvent());
    await waitFor(() => sink.records.some((r) => r.event.name === later.metadata['name']), 'the event created after the re-list');
    await stop(app);
    assert.equal(sink.records.length, 4);
    assert.equal(await metric(app, 'eventrouter_checkpoint_discarded_total', { reason: 'too-large' }), 1);
  });

  it('retries a transient error reading the ConfigMap checkpoint instead of starting fresh', async () => {
    api = new FakeApiServer();
    await api.start();
    const client = KubeClient.fromServer(api.url);
    const store = () => new ConfigMapCheckpointStore(client, 'eventrouter', 'eventrouter-checkpoint');
    for (let i = 0; i < 55; i++) api.create(EVENTS, podEvent());
    const first = new InMemorySink();
    const a = await start({ apiUrl: api.url, sinks: [first], checkpointStore: store() });
    await waitFor(() => first.records.length === 55 && a.router.synced, 'the first run');
    await stop(a);
    const stored = api.get('/api/v1/configmaps', 'eventrouter', 'eventrouter-checkpoint');
    assert.ok(stored, 'the first run wrote its checkpoint');
    for (let i = 0; i < 5; i++) api.create(EVENTS, podEvent());
    const isCheckpointGet = (method: string, path: string) => method === 'GET' && path.endsWith('/configmaps/eventrouter-checkpoint');
    const getsBefore = api.requests.get('GET /api/v1/namespaces/eventrouter/configmaps/eventrouter-checkpoint') ?? 0;
    api.failRequests(isCheckpointGet, 500, 2);
    const second = new InMemorySink();
    const b = await start({ apiUrl: api.url, sinks: [second], checkpointStore: store() });
    await waitFor(() => b.router.synced && second.records.length >= 5, 'the 5 events created while down');
    await stop(b);
    assert.equal(second.records.length, 5, 'only what came while down is sent, not all 60');
    assert.equal((api.requests.get('GET /api/v1/namespaces/eventrouter/configmaps/eventrouter-checkpoint') ?? 0) - getsBefore, 3, 'two failed reads, then one that worked');
  });

  it('stays not ready on an unreadable checkpoint file, names it, and never overwrites it', async () => {
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 3; i++) api.create(EVENTS, podEvent());
    const path = join(dir, `cp-${++n}.json`);
    writeFileSync(path, '{"version": 1, "api": "core/v1", "scop');
    const sink = new InMemorySink();
    const app = await start({ apiUrl: api.url, sinks: [sink], checkpointStore: new FileCheckpointStore(path) });
    await waitFor(() => (app.router.checkpointStatus.failures ?? 0) >= 3, 'several attempts to read the checkpoint');
    const health = app.health();
    assert.equal(health.ready, false);
    assert.equal(health.alive, true);
    const status = health.details['checkpoint'] as { ok: boolean; phase: string; error: string };
    assert.equal(status.ok, false);
    assert.equal(status.phase, 'loading');
    assert.ok(status.error.includes(path), `the error names the file: ${status.error}`);
    assert.match(status.error, /delete the file to start over/);
    assert.equal(sink.records.length, 0, 'nothing was sent as if it were a first start');
    assert.equal(readFileSync(path, 'utf8'), '{"version": 1, "api": "core/v1", "scop', 'the file was not overwritten');
    assert.equal(await metric(app, 'eventrouter_checkpoint_healthy'), 0);
    // The operator's remedy: delete it, and the router starts as on a first start.
    rmSync(path);
    await waitFor(() => app.router.synced && sink.records.length >= 3, 'a first start once the file is gone');
    assert.equal(await metric(app, 'eventrouter_checkpoint_healthy'), 1);
  });

  it('stops while the checkpoint store hangs, without writing anything', { timeout: 15_000 }, async () => {
    api = new FakeApiServer();
    await api.start();
    let saves = 0;
    const hanging: CheckpointStore = { kind: 'hanging', load: () => new Promise<never>(() => undefined), save: async () => void (saves += 1) };
    const app = await start({ apiUrl: api.url, sinks: [new InMemorySink()], checkpointStore: hanging });
    assert.equal(app.health().ready, false);
    await stop(app);
    assert.equal(saves, 0, 'no checkpoint was written over the unread one');
  });

  it('stays not ready on a ConfigMap whose checkpoint is not one, and names the ConfigMap', async () => {
    api = new FakeApiServer();
    await api.start();
    api.create('/api/v1/configmaps', { metadata: { name: 'eventrouter-checkpoint', namespace: 'eventrouter' }, data: { 'checkpoint.json': '{"version": 2}' } });
    const client = KubeClient.fromServer(api.url);
    const app = await start({ apiUrl: api.url, sinks: [new InMemorySink()], checkpointStore: new ConfigMapCheckpointStore(client, 'eventrouter', 'eventrouter-checkpoint') });
    await waitFor(() => (app.router.checkpointStatus.failures ?? 0) >= 2, 'several attempts to read the checkpoint');
    assert.equal(app.health().ready, false);
    assert.match(app.router.checkpointStatus.error ?? '', /ConfigMap eventrouter\/eventrouter-checkpoint .*delete configmap eventrouter-checkpoint/);
  });
});
