import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { App } from '../../src/app/app.ts';
import { OwnerEnricher } from '../../src/enrich/owner-enricher.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import type { EventRecord } from '../../src/model/event-record.ts';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { EnrichStage } from '../../src/pipeline/enrich-stage.ts';
import { capturingLogger } from '../support/capturing-logger.ts';
import { settled, startApp, testConfig } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';
import { metricSum, samples } from '../support/metric-samples.ts';
import { VICTIM_RESOURCE_KEYS } from '../support/victim-keys.ts';
import { CLUSTER_UID, COLLECTIONS, eventAbout, workload } from './cluster-fixtures.ts';

const EVENTS = COLLECTIONS['Event']!;
const MISMATCH = 'eventrouter_events_identity_mismatch_total';

/** A Deployment → ReplicaSet → Pod chain in `victim`, as the controllers would have left it. */
function victimChain(api: FakeApiServer) {
  api.create(COLLECTIONS['Namespace']!, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', uid: CLUSTER_UID } });
  const deployment = workload(api, 'Deployment', 'victim', 'web', { labels: { 'app.kubernetes.io/name': 'web-svc' } });
  const replicaSet = workload(api, 'ReplicaSet', 'victim', 'web-7d9f', { owner: deployment });
  return workload(api, 'Pod', 'victim', 'web-7d9f-abcde', { owner: replicaSet, nodeName: 'node-a', labels: { 'app.kubernetes.io/name': 'web-svc' } });
}

/** An event in `attacker` about `pod`, with eventTime set (what lets core/v1 validation pass it on a real API server). */
function forged(pod: ReturnType<typeof workload>, reason = 'BackOff'): Record<string, unknown> {
  const event = eventAbout(pod, reason, {
    type: 'Warning',
    eventTime: '2026-01-01T00:00:00.000000Z',
    action: 'Forging',
    reportingComponent: 'forger',
    reportingInstance: 'forger-1',
    source: {},
  });
  (event['metadata'] as Record<string, unknown>)['namespace'] = 'attacker';
  return event;
}

function assertNotAttributed(record: EventRecord): void {
  assert.equal(record.resource['k8s.namespace.name'], 'attacker');
  for (const key of VICTIM_RESOURCE_KEYS) assert.equal(record.resource[key], undefined, `${key} on the resource: ${JSON.stringify(record.resource)}`);
  assert.equal(record.attributes['eventrouter.identity.mismatch'], true);
  assert.equal(record.attributes['k8s.event.claimed.namespace'], 'victim');
  assert.equal(record.attributes['k8s.event.claimed.name'], 'web-7d9f-abcde');
  assert.equal(record.attributes['k8s.event.claimed.kind'], 'Pod');
}

/** Requests the router made for objects in `namespace`. */
function requestsIn(api: FakeApiServer, namespace: string): string[] {
  return [...api.requests.keys()].filter((key) => key.includes(`/namespaces/${namespace}/`));
}

describe('enrichment of an event that names another namespace\'s object (fake API server → router)', () => {
  let api: FakeApiServer;
  let app: App | undefined;

  beforeEach(async () => {
    api = new FakeApiServer();
    await api.start();
  });
  afterEach(async () => {
    await app?.stop(2000);
    app = undefined;
    await api.stop();
  });

  for (const sourceApi of ['core/v1', 'events.k8s.io/v1'] as const) {
    it(`${sourceApi}: looks nothing up, attributes nothing of the claimed pod, exports under the event's namespace, counts it`, async () => {
      const pod = victimChain(api);
      api.create(EVENTS, forged(pod));
      const sink = new InMemorySink();
      app = await startApp({ apiUrl: api.url, sinks: [sink], config: testConfig({ clusterName: 'c1', source: { api: sourceApi }, enrich: { owners: true } }) });
      await settled(app, api);
      assert.equal(sink.records.length, 1);
      assertNotAttributed(sink.records[0]!);
      assert.deepEqual(requestsIn(api, 'victim'), [], 'no owner lookup in the victim namespace');
      assert.equal(await metricSum(app.metrics, MISMATCH), 1);
    });
  }

  it('still attributes the victim\'s own event to its pod and workloads (the chain is there to be found)', async () => {
    const pod = victimChain(api);
    api.create(EVENTS, eventAbout(pod, 'Pulled', { source: { component: 'kubelet' } }));
    api.create(EVENTS, forged(pod));
    const sink = new InMemorySink();
    app = await startApp({ apiUrl: api.url, sinks: [sink], config: testConfig({ enrich: { owners: true } }) });
    await settled(app, api);
    const own = sink.records.find((r) => r.event.namespace === 'victim');
    assert.equal(own?.resource['k8s.deployment.name'], 'web');
    assert.equal(own?.resource['service.name'], 'web-svc');
    assertNotAttributed(sink.records.find((r) => r.event.namespace === 'attacker')!);
    assert.equal(await metricSum(app.metrics, MISMATCH), 1);
  });

  it('reports the counter at 0 before any mismatch', async () => {
    const found = await samples(new Metrics(), MISMATCH);
    assert.deepEqual(
      found.map((s) => s.value),
      [0],
    );
  });
});

describe('OwnerEnricher guard', () => {
  let api: FakeApiServer;
  beforeEach(async () => {
    api = new FakeApiServer();
    await api.start();
  });
  afterEach(async () => api.stop());

  const make = () => new OwnerEnricher({ ...testConfig().enrich, client: KubeClient.fromServer(api.url), metrics: new Metrics(), logger: silentLogger() });

  it('refuses to look up an object outside the event\'s namespace, whoever calls it', async () => {
    const pod = victimChain(api);
    const record = mapEvent(normalizeEvent(forged(pod)), 'ADDED');
    assert.equal(await make().enrich(record), undefined);
    assert.deepEqual(requestsIn(api, 'victim'), []);
    assert.equal(record.resource['k8s.deployment.name'], undefined);
  });

  it('does not hand a chain resolved for a victim\'s pod to an event in another namespace that copies its uid', async () => {
    const pod = victimChain(api);
    const enricher = make();
    const own = mapEvent(normalizeEvent(eventAbout(pod, 'Pulled')), 'ADDED');
    await enricher.enrich(own);
    assert.equal(own.resource['k8s.deployment.name'], 'web');
    // Same name and uid, but "in" the attacker's namespace: the claim passes the namespace check.
    const copy = mapEvent(normalizeEvent(forged({ ...pod, namespace: 'attacker' })), 'ADDED');
    assert.equal(copy.attributes['eventrouter.identity.mismatch'], undefined);
    const metadata = await enricher.enrich(copy);
    assert.equal(copy.resource['k8s.deployment.name'], undefined, JSON.stringify(copy.resource));
    assert.equal(copy.resource['k8s.replicaset.name'], undefined);
    assert.equal(metadata, undefined);
  });
});

describe('enrich stage on a mismatch', () => {
  it('counts every one and logs the first from each namespace, naming the event and its claim', async () => {
    const metrics = new Metrics();
    const { logger, entries } = capturingLogger();
    const stage = new EnrichStage({ enricher: undefined, serviceName: true, deadlineMs: 1000, metrics, logger });
    const pod = { kind: 'Pod', name: 'web-7d9f-abcde', namespace: 'victim', uid: 'victim-pod-uid', apiVersion: 'v1' };
    for (let i = 0; i < 3; i++) {
      const record = await stage.process(mapEvent(normalizeEvent(forged(pod)), 'ADDED'));
      assert.equal(record.resource['service.name'], undefined);
    }
    assert.equal(await metricSum(metrics, MISMATCH), 3);
    await waitFor(() => entries.some((e) => e['level'] === 40), 'the warning');
    const warnings = entries.filter((e) => e['level'] === 40);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.equal(warnings[0]!['namespace'], 'attacker');
    assert.deepEqual(warnings[0]!['claimed'], { kind: 'Pod', namespace: 'victim', name: 'web-7d9f-abcde' });
  });
});
