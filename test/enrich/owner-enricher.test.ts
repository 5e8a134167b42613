import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { lookupClusterUid } from '../../src/enrich/cluster-uid.ts';
import { OwnerEnricher, type OwnerEnricherOptions, createOwnerEnricher } from '../../src/enrich/owner-enricher.ts';
import { TokenBucket } from '../../src/enrich/token-bucket.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { mapEvent } from '../../src/model/map-event.ts';
import type { EventRecord } from '../../src/model/event-record.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { testConfig } from '../support/harness.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { waitFor } from '../support/otlp-receiver.ts';
import { byLabel } from '../support/metric-samples.ts';
import { CLUSTER_UID, COLLECTIONS, eventAbout, loadRecordingWorkloads, workload } from './cluster-fixtures.ts';

const POD = { kind: 'Pod', name: 'px-5d567cc74c-ss4lb', namespace: 'default', uid: '18eddc1d-87e8-4f02-8a13-f1e52db52e61', apiVersion: 'v1' };
const POD2 = { kind: 'Pod', name: 'px-5d567cc74c-pmvzr', namespace: 'default', uid: '57a7a797-6d5b-45cd-8f54-8fa73f62316f', apiVersion: 'v1' };

function recordAbout(about: typeof POD): EventRecord {
  return mapEvent(normalizeEvent(eventAbout(about, 'Pulled', { source: { component: 'kubelet' } })), 'ADDED');
}

function outcomes(metrics: Metrics): Promise<Record<string, number>> {
  return byLabel(metrics, 'eventrouter_enrich_lookups_total', 'outcome');
}

describe('OwnerEnricher', () => {
  let api: FakeApiServer;
  let metrics: Metrics;
  const make = (options: Partial<OwnerEnricherOptions> = {}) =>
    new OwnerEnricher({ ...testConfig().enrich, client: KubeClient.fromServer(api.url), metrics, logger: silentLogger(), ...options });

  beforeEach(async () => {
    api = new FakeApiServer();
    await api.start();
    loadRecordingWorkloads(api);
    metrics = new Metrics();
  });
  afterEach(async () => api.stop());

  it('coalesces concurrent lookups: one GET per object however many records wait for it', async () => {
    const enricher = make();
    const records = Array.from({ length: 200 }, (_, i) => recordAbout(i % 2 === 0 ? POD : POD2));
    const results = await Promise.all(records.map((r) => enricher.enrich(r)));
    assert.ok(records.every((r) => r.resource['k8s.deployment.name'] === 'px'));
    // Only what the service.* rules (or the opt-in globs) read is kept: neither label here is.
    assert.deepEqual(results[0], { images: { podinfo: 'ghcr.io/stefanprodan/podinfo:5.0.0' } });
    assert.equal(api.requests.get(`GET /api/v1/namespaces/default/pods/${POD.name}`), 1);
    assert.equal(api.requests.get(`GET /api/v1/namespaces/default/pods/${POD2.name}`), 1);
    // Both pods share the ReplicaSet: read once.
    assert.equal(api.requests.get('GET /apis/apps/v1/namespaces/default/replicasets/px-5d567cc74c'), 1);
    assert.deepEqual(await outcomes(metrics), { ok: 3 });
  });

  it('answers a warm-cache hit with the same settled promise, without touching the API', async () => {
    const enricher = make();
    await enricher.enrich(recordAbout(POD));
    const before = [...api.requests.values()].reduce((a, b) => a + b, 0);
    const a = recordAbout(POD);
    const b = recordAbout(POD);
    const pa = enricher.enrich(a);
    const pb = enricher.enrich(b);
    assert.equal(pa, pb, 'no promise allocated per hit');
    // Applied synchronously: nothing to await before the attributes are there.
    assert.equal(a.resource['k8s.deployment.uid'], '71c42017-61a7-418e-8e2c-897cf237d6e3');
    assert.equal([...api.requests.values()].reduce((x, y) => x + y, 0), before);
  });

  it('answers a cached chain at once through enrichCached, and nothing before the lookup', async () => {
    const enricher = make();
    const cold = recordAbout(POD);
    assert.equal(enricher.enrichCached(cold), undefined, 'not cached yet: the caller must look it up');
    assert.equal(cold.resource['k8s.deployment.name'], undefined, 'nothing applied on a miss');
    await enricher.enrich(cold);
    const before = [...api.requests.values()].reduce((a, b) => a + b, 0);
    const warm = recordAbout(POD);
    const known = enricher.enrichCached(warm);
    // Only what the service.* rules (or the opt-in globs) read is kept: neither label here is.
    assert.deepEqual(known?.metadata, { images: { podinfo: 'ghcr.io/stefanprodan/podinfo:5.0.0' } });
    assert.equal(warm.resource['k8s.deployment.name'], 'px');
    assert.equal([...api.requests.values()].reduce((x, y) => x + y, 0), before);
    // An object the chain never looks up (here a cluster-scoped Node) is known at once: nothing.
    const node = mapEvent(normalizeEvent(eventAbout({ kind: 'Node', name: 'n1', namespace: '', uid: 'n1-uid', apiVersion: 'v1' }, 'NodeReady', {})), 'ADDED');
    assert.deepEqual(enricher.enrichCached(node), { metadata: undefined });
  });

  it('keeps attributes the event already set (event-derived values win)', async () => {
    const enricher = make();
    const record = mapEvent(normalizeEvent(eventAbout(POD, 'Pulled', { source: { component: 'kubelet', host: 'node-from-event' } })), 'ADDED');
    await enricher.enrich(record);
    assert.equal(record.resource['k8s.node.name'], 'node-from-event');
  });

  it('resolves at the deadline with what is known while a rate-limited lookup waits', async () => {
    const enricher = make({ qps: 0.5, deadline: 1000 });
    const record = recordAbout(POD);
    // The deadline (1 s) falls before the rate limiter's next token (2 s): the record goes out
    // with the pod's own attributes, without the owners the waiting lookup would add.
    await enricher.enrich(record);
    assert.equal(record.resource['k8s.node.name'], 'kind-control-plane');
    assert.equal(record.resource['k8s.deployment.name'], undefined);
    assert.equal((await outcomes(metrics))['deadline'], 1);
  });

  it('forgets objects after the TTL and reads them again', async () => {
    const enricher = make({ cacheTtl: 60 });
    await enricher.enrich(recordAbout(POD));
    const cached = performance.now();
    await waitFor(() => performance.now() > cached + 60, 'the TTL to pass');
    await enricher.enrich(recordAbout(POD));
    assert.equal(api.requests.get(`GET /api/v1/namespaces/default/pods/${POD.name}`), 2);
  });

  it('keeps the cache bounded by cacheSize', async () => {
    const enricher = make({ cacheSize: 3 });
    for (let i = 0; i < 10; i++) {
      const pod = workload(api, 'Pod', 'default', `bare-${i}`);
      await enricher.enrich(recordAbout(pod));
    }
    assert.ok(enricher.cacheSizes.objects <= 3 && enricher.cacheSizes.resolved <= 3, JSON.stringify(enricher.cacheSizes));
  });

  it('does not give an event about a deleted pod the owners of a same-named successor', async () => {
    const enricher = make();
    const sts = workload(api, 'StatefulSet', 'ml', 'trainer');
    workload(api, 'Pod', 'ml', 'trainer-0', { owner: sts });
    const record = recordAbout({ kind: 'Pod', name: 'trainer-0', namespace: 'ml', uid: 'previous-incarnation', apiVersion: 'v1' });
    await enricher.enrich(record);
    assert.equal(record.resource['k8s.statefulset.name'], undefined);
  });

  it('remembers a transient error only briefly (min(cacheTtl, 5 s)), then reads again', async () => {
    // Long enough that the second lookup below falls within it on a loaded machine.
    const enricher = make({ cacheTtl: 1000 });
    api.failRequests((_m, path) => path.endsWith(`/pods/${POD.name}`), 500, 1);
    const first = recordAbout(POD);
    await enricher.enrich(first);
    const failed = performance.now();
    assert.equal(first.resource['k8s.replicaset.name'], undefined);
    assert.equal((await outcomes(metrics))['error'], 1);
    await enricher.enrich(recordAbout(POD));
    assert.equal(api.requests.get(`GET /api/v1/namespaces/default/pods/${POD.name}`), 1, 'an outage is not hammered');
    await waitFor(() => performance.now() > failed + 1000, 'the error to be forgotten');
    const later = recordAbout(POD);
    await enricher.enrich(later);
    assert.equal(later.resource['k8s.deployment.name'], 'px');
    assert.equal(api.requests.get(`GET /api/v1/namespaces/default/pods/${POD.name}`), 2);
  });

  it('ignores kinds it does not know and CRDs that reuse a built-in kind name', async () => {
    const enricher = make();
    const crd = mapEvent(normalizeEvent(eventAbout({ kind: 'Deployment', name: 'px', namespace: 'default', apiVersion: 'example.com/v1' }, 'Synced')), 'ADDED');
    const node = mapEvent(normalizeEvent(eventAbout({ kind: 'Node', name: 'node-a', namespace: '', apiVersion: 'v1' }, 'NodeReady')), 'ADDED');
    assert.equal(await enricher.enrich(crd), undefined);
    assert.equal(await enricher.enrich(node), undefined);
    assert.equal([...api.requests.keys()].length, 0);
  });
});

describe('OwnerEnricher lifecycle', () => {
  it('starts, enriches, ends a lookup that hangs at shutdown (the record goes out with what is known), and shuts down twice harmlessly', async () => {
    let requests = 0;
    // An API server that never answers: only shutdown can end the lookup before its own 10 s timeout.
    const server = createServer(() => void (requests += 1));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const metrics = new Metrics();
      const enricher = new OwnerEnricher({ ...testConfig().enrich, deadline: 60_000, client: KubeClient.fromServer(url), metrics, logger: silentLogger() });
      await enricher.start();
      const record = recordAbout({ kind: 'Pod', name: 'p', namespace: 'ns', uid: 'p-uid', apiVersion: 'v1' });
      const enriched = enricher.enrich(record);
      await waitFor(() => requests === 1, 'the lookup reached the API server');
      await enricher.shutdown();
      assert.equal(await enriched, undefined, 'no owners known');
      assert.equal(record.resource['k8s.pod.name'], 'p', 'the record keeps what the event said');
      assert.deepEqual(await outcomes(metrics), { error: 1 });
      await enricher.shutdown();
      const after = recordAbout({ kind: 'Pod', name: 'q', namespace: 'ns', uid: 'q-uid', apiVersion: 'v1' });
      assert.equal(await enricher.enrich(after), undefined, 'a shut-down enricher answers without asking the API');
      assert.equal(requests, 1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('is made from enrich.*: none when enrich.owners is off', () => {
    const deps = { client: KubeClient.fromServer('http://127.0.0.1:1'), metrics: new Metrics(), logger: silentLogger() };
    assert.equal(createOwnerEnricher(testConfig({ enrich: { owners: false } }).enrich, deps), undefined);
    assert.ok(createOwnerEnricher(testConfig({ enrich: { owners: true } }).enrich, deps) instanceof OwnerEnricher);
  });
});

describe('metadata-only reads', () => {
  it('asks for PartialObjectMetadata for workloads and for the whole Pod (spec.nodeName)', async () => {
    const accepts: Record<string, string> = {};
    const server = createServer((req, res) => {
      accepts[req.url ?? ''] = String(req.headers['accept']);
      const kind = req.url?.includes('/pods/') ? 'Pod' : 'ReplicaSet';
      const body =
        kind === 'Pod'
          ? { kind, metadata: { name: 'p', uid: 'p-uid', ownerReferences: [{ kind: 'ReplicaSet', apiVersion: 'apps/v1', name: 'rs', uid: 'rs-uid', controller: true }] }, spec: { nodeName: 'n1' } }
          : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'rs', uid: 'rs-uid', ownerReferences: [{ kind: 'Deployment', apiVersion: 'apps/v1', name: 'd', uid: 'd-uid', controller: true }] } };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const enricher = new OwnerEnricher({ ...testConfig().enrich, client: KubeClient.fromServer(url), metrics: new Metrics(), logger: silentLogger() });
      const record = recordAbout({ kind: 'Pod', name: 'p', namespace: 'ns', uid: 'p-uid', apiVersion: 'v1' });
      await enricher.enrich(record);
      assert.equal(record.resource['k8s.deployment.uid'], 'd-uid');
      assert.equal(record.resource['k8s.node.name'], 'n1');
      assert.equal(accepts['/api/v1/namespaces/ns/pods/p'], 'application/json');
      assert.equal(accepts['/apis/apps/v1/namespaces/ns/replicasets/rs'], 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('lookupClusterUid', () => {
  it('is the uid of the kube-system Namespace, and undefined when it cannot be read', async () => {
    const api = new FakeApiServer();
    await api.start();
    try {
      const client = KubeClient.fromServer(api.url);
      assert.equal(await lookupClusterUid(client), undefined);
      api.create(COLLECTIONS['Namespace']!, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', uid: CLUSTER_UID } });
      assert.equal(await lookupClusterUid(client), CLUSTER_UID);
      api.failRequests(() => true, 403, 1);
      assert.equal(await lookupClusterUid(client), undefined);
    } finally {
      await api.stop();
    }
  });
});

describe('TokenBucket', () => {
  it('lets a burst through, then spaces callers by 1/qps', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 2, () => now);
    assert.equal(bucket.take(), 0);
    assert.equal(bucket.take(), 0);
    assert.equal(bucket.take(), 100);
    assert.equal(bucket.take(), 200, 'the next waiter queues behind the first');
    now = 1000;
    assert.equal(bucket.take(), 0, 'refilled (capped at the burst)');
  });
});
