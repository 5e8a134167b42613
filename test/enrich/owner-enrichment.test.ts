import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { App } from '../../src/app/app.ts';
import type { EventRecord } from '../../src/model/event-record.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { startApp, testConfig } from '../support/harness.ts';
import { byLabel } from '../support/metric-samples.ts';
import { waitFor } from '../support/otlp-receiver.ts';
import { CLUSTER_UID, COLLECTIONS, eventAbout, loadRecordingWorkloads, recordingEvents, workload } from './cluster-fixtures.ts';

const EVENTS = COLLECTIONS['Event']!;

function enrichConfig(enrich: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return testConfig({ clusterName: 'kind-test', enrich: { owners: true, ...enrich }, ...extra });
}

function byReason(sink: InMemorySink, object: string, reason: string): EventRecord {
  const record = sink.records.find((r) => r.event.regarding.name === object && r.event.reason === reason);
  assert.ok(record, `a ${reason} record about ${object}`);
  return record;
}

/** eventrouter_enrich_lookups_total by outcome. */
function lookupOutcomes(app: App): Promise<Record<string, number>> {
  return byLabel(app.metrics, 'eventrouter_enrich_lookups_total', 'outcome');
}

describe('owner-chain enrichment (fake API server → router)', () => {
  let api: FakeApiServer;
  let app: App | undefined;

  afterEach(async () => {
    await app?.stop(2000);
    app = undefined;
    await api?.stop();
  });

  it('gives an event about a Deployment pod the full resource: pod, node, replicaset, deployment, cluster uid, service.*', async () => {
    api = new FakeApiServer();
    await api.start();
    loadRecordingWorkloads(api);
    const events = recordingEvents();
    for (const event of events) api.create(EVENTS, event);
    const sink = new InMemorySink();
    app = await startApp({ apiUrl: api.url, sinks: [sink], config: enrichConfig() });
    await waitFor(() => sink.records.length >= events.length, 'every recorded event');

    const pulled = byReason(sink, 'px-5d567cc74c-ss4lb', 'Pulled');
    assert.deepEqual(pulled.resource, {
      'k8s.cluster.name': 'kind-test',
      'k8s.cluster.uid': CLUSTER_UID,
      'k8s.namespace.name': 'default',
      'k8s.object.kind': 'Pod',
      'k8s.object.name': 'px-5d567cc74c-ss4lb',
      'k8s.object.uid': '18eddc1d-87e8-4f02-8a13-f1e52db52e61',
      'k8s.object.api_version': 'v1',
      'k8s.object.fieldpath': 'spec.containers{podinfo}',
      'k8s.pod.name': 'px-5d567cc74c-ss4lb',
      'k8s.pod.uid': '18eddc1d-87e8-4f02-8a13-f1e52db52e61',
      'k8s.container.name': 'podinfo',
      'k8s.node.name': 'kind-control-plane',
      'k8s.replicaset.name': 'px-5d567cc74c',
      'k8s.replicaset.uid': '0d562fec-2485-4f88-b09e-596783c0d0a2',
      'k8s.deployment.name': 'px',
      'k8s.deployment.uid': '71c42017-61a7-418e-8e2c-897cf237d6e3',
      // The pod has only `app: podinfo` (not a well-known label): the workload name decides.
      'service.name': 'px',
      'service.namespace': 'default',
      // No version label or annotation: the tag of the podinfo container's image (as k8sattributes).
      'service.version': '5.0.0',
      'service.instance.id': 'default.px-5d567cc74c-ss4lb.podinfo',
    });
    // The scheduler's event names no node; the pod's spec.nodeName does.
    const scheduled = byReason(sink, 'px-5d567cc74c-pmvzr', 'Scheduled');
    assert.equal(scheduled.resource['k8s.node.name'], 'kind-control-plane');
    assert.equal(scheduled.resource['k8s.deployment.name'], 'px');
    assert.equal(scheduled.resource['service.instance.id'], undefined, 'no container, no instance id');
    // An event about the ReplicaSet gets its Deployment.
    const created = byReason(sink, 'px-5d567cc74c', 'SuccessfulCreate');
    assert.equal(created.resource['k8s.replicaset.uid'], '0d562fec-2485-4f88-b09e-596783c0d0a2');
    assert.equal(created.resource['k8s.deployment.name'], 'px');
    assert.equal(created.resource['k8s.deployment.uid'], '71c42017-61a7-418e-8e2c-897cf237d6e3');
    assert.equal(created.resource['service.name'], 'px');
    // Every record about a pod of px carries the deployment.
    for (const record of sink.records.filter((r) => r.event.regarding.kind === 'Pod')) {
      assert.equal(record.resource['k8s.deployment.name'], 'px', record.event.name);
    }
  });

  it('follows Pod → Job → CronJob, Pod → StatefulSet, and leaves a bare pod to its own name', async () => {
    api = new FakeApiServer();
    await api.start();
    const cron = workload(api, 'CronJob', 'reports', 'nightly-report');
    const job = workload(api, 'Job', 'reports', 'nightly-report-29001234', { owner: cron });
    const jobPod = workload(api, 'Pod', 'reports', 'nightly-report-29001234-x7k2p', { owner: job, nodeName: 'node-b' });
    const sts = workload(api, 'StatefulSet', 'ml', 'trainer', { labels: { 'app.kubernetes.io/name': 'trainer' } });
    const stsPod = workload(api, 'Pod', 'ml', 'trainer-0', {
      owner: sts,
      nodeName: 'node-c',
      labels: { 'app.kubernetes.io/name': 'trainer', 'app.kubernetes.io/version': '2.3.0' },
    });
    const bare = workload(api, 'Pod', 'default', 'debug-shell', { nodeName: 'node-a' });
    api.create(EVENTS, eventAbout({ ...jobPod, fieldPath: 'spec.containers{report}' }, 'Started', { source: { component: 'kubelet', host: 'node-b' } }));
    api.create(EVENTS, eventAbout(job, 'Completed', { source: { component: 'job-controller' } }));
    api.create(EVENTS, eventAbout(stsPod, 'FailedScheduling', { type: 'Warning', source: {}, reportingComponent: 'default-scheduler' }));
    api.create(EVENTS, eventAbout(bare, 'Killing', { source: { component: 'kubelet', host: 'node-a' } }));
    const sink = new InMemorySink();
    app = await startApp({ apiUrl: api.url, sinks: [sink], config: enrichConfig() });
    await waitFor(() => sink.records.length >= 4, 'four records');

    assert.deepEqual(byReason(sink, jobPod.name, 'Started').resource, {
      'k8s.cluster.name': 'kind-test',
      'k8s.namespace.name': 'reports',
      'k8s.object.kind': 'Pod',
      'k8s.object.name': jobPod.name,
      'k8s.object.uid': jobPod.uid,
      'k8s.object.api_version': 'v1',
      'k8s.object.fieldpath': 'spec.containers{report}',
      'k8s.pod.name': jobPod.name,
      'k8s.pod.uid': jobPod.uid,
      'k8s.container.name': 'report',
      'k8s.node.name': 'node-b',
      'k8s.job.name': job.name,
      'k8s.job.uid': job.uid,
      'k8s.cronjob.name': cron.name,
      'k8s.cronjob.uid': cron.uid,
      'service.name': 'nightly-report',
      'service.namespace': 'reports',
      'service.instance.id': `reports.${jobPod.name}.report`,
    });
    const completed = byReason(sink, job.name, 'Completed').resource;
    assert.equal(completed['k8s.cronjob.uid'], cron.uid);
    assert.equal(completed['service.name'], 'nightly-report');

    assert.deepEqual(byReason(sink, 'trainer-0', 'FailedScheduling').resource, {
      'k8s.cluster.name': 'kind-test',
      'k8s.namespace.name': 'ml',
      'k8s.object.kind': 'Pod',
      'k8s.object.name': 'trainer-0',
      'k8s.object.uid': stsPod.uid,
      'k8s.object.api_version': 'v1',
      'k8s.pod.name': 'trainer-0',
      'k8s.pod.uid': stsPod.uid,
      'k8s.node.name': 'node-c',
      'k8s.statefulset.name': 'trainer',
      'k8s.statefulset.uid': sts.uid,
      'service.name': 'trainer',
      'service.namespace': 'ml',
      'service.version': '2.3.0',
    });
    assert.deepEqual(byReason(sink, 'debug-shell', 'Killing').resource, {
      'k8s.cluster.name': 'kind-test',
      'k8s.namespace.name': 'default',
      'k8s.object.kind': 'Pod',
      'k8s.object.name': 'debug-shell',
      'k8s.object.uid': bare.uid,
      'k8s.object.api_version': 'v1',
      'k8s.pod.name': 'debug-shell',
      'k8s.pod.uid': bare.uid,
      'k8s.node.name': 'node-a',
      'service.name': 'debug-shell',
      'service.namespace': 'default',
    });
    // No kube-system Namespace in this cluster: no k8s.cluster.uid, and the router still ran.
    assert.equal(api.requests.get('GET /api/v1/namespaces/kube-system'), 1);
  });

  it('takes service.* from the resource.opentelemetry.io annotations first, then app.kubernetes.io labels, then the workload', async () => {
    api = new FakeApiServer();
    await api.start();
    const annotated = workload(api, 'Deployment', 'shop', 'payments');
    const annotatedRs = workload(api, 'ReplicaSet', 'shop', 'payments-7d9f', { owner: annotated });
    const annotatedPod = workload(api, 'Pod', 'shop', 'payments-7d9f-abcde', {
      owner: annotatedRs,
      labels: { 'app.kubernetes.io/name': 'payments', 'app.kubernetes.io/instance': 'payments-prod', 'app.kubernetes.io/version': '1.0.0' },
      annotations: {
        'resource.opentelemetry.io/service.name': 'payments-api',
        'resource.opentelemetry.io/service.namespace': 'checkout-team',
        'resource.opentelemetry.io/service.version': '2.0.0-rc1',
        'resource.opentelemetry.io/service.instance.id': 'payments-api-blue',
      },
    });
    const labelled = workload(api, 'Deployment', 'shop', 'checkout', { labels: { 'app.kubernetes.io/name': 'checkout-deploy' } });
    const labelledRs = workload(api, 'ReplicaSet', 'shop', 'checkout-5c8b', { owner: labelled });
    const labelledPod = workload(api, 'Pod', 'shop', 'checkout-5c8b-fghij', {
      owner: labelledRs,
      labels: { 'app.kubernetes.io/name': 'checkout', 'app.kubernetes.io/instance': 'checkout-eu', 'app.kubernetes.io/version': '3.1.4' },
    });
    const nameOnly = workload(api, 'Pod', 'shop', 'cart-5c8b-klmno', { owner: workload(api, 'ReplicaSet', 'shop', 'cart-5c8b', { owner: workload(api, 'Deployment', 'shop', 'cart') }), labels: { 'app.kubernetes.io/name': 'cart' } });
    for (const pod of [annotatedPod, labelledPod, nameOnly]) api.create(EVENTS, eventAbout({ ...pod, fieldPath: 'spec.containers{app}' }, 'Unhealthy', { type: 'Warning' }));
    api.create(EVENTS, eventAbout(labelled, 'ScalingReplicaSet', { source: { component: 'deployment-controller' } }));
    const sink = new InMemorySink();
    app = await startApp({ apiUrl: api.url, sinks: [sink], config: enrichConfig() });
    await waitFor(() => sink.records.length >= 4, 'four records');

    const service = (r: EventRecord) => Object.fromEntries(Object.entries(r.resource).filter(([k]) => k.startsWith('service.')));
    assert.deepEqual(service(byReason(sink, annotatedPod.name, 'Unhealthy')), {
      'service.name': 'payments-api',
      'service.namespace': 'checkout-team',
      'service.version': '2.0.0-rc1',
      'service.instance.id': 'payments-api-blue',
    });
    assert.deepEqual(service(byReason(sink, labelledPod.name, 'Unhealthy')), {
      'service.name': 'checkout-eu',
      'service.namespace': 'shop',
      'service.version': '3.1.4',
      'service.instance.id': `shop.${labelledPod.name}.app`,
    });
    assert.deepEqual(service(byReason(sink, nameOnly.name, 'Unhealthy')), {
      'service.name': 'cart',
      'service.namespace': 'shop',
      'service.instance.id': `shop.${nameOnly.name}.app`,
    });
    // An event about the Deployment: its own labels decide.
    assert.equal(byReason(sink, 'checkout', 'ScalingReplicaSet').resource['service.name'], 'checkout-deploy');
  });

  it('takes service.version of an event about a container from its image when no annotation or label names it (as k8sattributes)', async () => {
    api = new FakeApiServer();
    await api.start();
    const deployment = workload(api, 'Deployment', 'shop', 'payments');
    const rs = workload(api, 'ReplicaSet', 'shop', 'payments-7d9f', { owner: deployment });
    // `workload` gives a pod with a nodeName one container `main`, image example/app:1.0.
    const pod = workload(api, 'Pod', 'shop', 'payments-7d9f-abcde', { owner: rs, nodeName: 'node-a' });
    const labelled = workload(api, 'Pod', 'shop', 'payments-7d9f-fghij', { owner: rs, nodeName: 'node-a', labels: { 'app.kubernetes.io/version': '3.1.4' } });
    api.create(EVENTS, eventAbout({ ...pod, fieldPath: 'spec.containers{main}' }, 'Pulled'));
    api.create(EVENTS, eventAbout(pod, 'Scheduled', { source: { component: 'default-scheduler' } }));
    api.create(EVENTS, eventAbout({ ...labelled, fieldPath: 'spec.containers{main}' }, 'Pulled'));
    api.create(EVENTS, eventAbout(deployment, 'ScalingReplicaSet', { source: { component: 'deployment-controller' } }));
    const sink = new InMemorySink();
    app = await startApp({ apiUrl: api.url, sinks: [sink], config: enrichConfig() });
    await waitFor(() => sink.records.length >= 4, 'four records');

    assert.equal(byReason(sink, pod.name, 'Pulled').resource['service.version'], '1.0');
    // No container named: no image to read, as k8sattributes without k8s.container.name.
    assert.equal(byReason(sink, pod.name, 'Scheduled').resource['service.version'], undefined);
    assert.equal(byReason(sink, labelled.name, 'Pulled').resource['service.version'], '3.1.4', 'the label wins over the image');
    assert.equal(byReason(sink, 'payments', 'ScalingReplicaSet').resource['service.version'], undefined);
  });

  it('copies opted-in labels and annotations as k8s.<kind>.label.<key> / k8s.<kind>.annotation.<key>', async () => {
    api = new FakeApiServer();
    await api.start();
    loadRecordingWorkloads(api);
    const events = recordingEvents();
    for (const event of events) api.create(EVENTS, event);
    const sink = new InMemorySink();
    app = await startApp({
      apiUrl: api.url,
      sinks: [sink],
      config: enrichConfig({ labels: ['app', 'team.example.com/*'], annotations: ['deployment.kubernetes.io/rev*'] }),
    });
    await waitFor(() => sink.records.length >= events.length, 'every recorded event');
    const pulled = byReason(sink, 'px-5d567cc74c-ss4lb', 'Pulled').resource;
    const extra = Object.fromEntries(Object.entries(pulled).filter(([k]) => k.includes('.label.') || k.includes('.annotation.')));
    assert.deepEqual(extra, {
      'k8s.pod.label.app': 'podinfo',
      'k8s.replicaset.label.app': 'podinfo',
      'k8s.replicaset.annotation.deployment.kubernetes.io/revision': '3',
      'k8s.deployment.annotation.deployment.kubernetes.io/revision': '3',
    });
    assert.equal(pulled['k8s.pod.label.pod-template-hash'], undefined, 'not opted in');
  });

  it('makes one GET per object of the chain for a burst of 10,000 events about one pod', async () => {
    api = new FakeApiServer();
    await api.start();
    loadRecordingWorkloads(api);
    const pod = { kind: 'Pod', name: 'px-5d567cc74c-ss4lb', namespace: 'default', uid: '18eddc1d-87e8-4f02-8a13-f1e52db52e61', apiVersion: 'v1', fieldPath: 'spec.containers{podinfo}' };
    const sink = new InMemorySink();
    app = await startApp({ apiUrl: api.url, sinks: [sink], config: enrichConfig({}, { source: { pageSize: 1000 } }) });
    await waitFor(() => app!.router.synced && api.watcherCount > 0, 'a watch');
    for (let i = 0; i < 10_000; i++) api.create(EVENTS, eventAbout(pod, 'BackOff', { type: 'Warning', source: { component: 'kubelet', host: 'kind-control-plane' } }));
    await waitFor(() => sink.records.length >= 10_000, '10,000 records', 60_000);
    assert.equal(sink.records.length, 10_000);
    assert.ok(sink.records.every((r) => r.resource['k8s.deployment.name'] === 'px' && r.resource['k8s.node.name'] === 'kind-control-plane'));
    const gets = [...api.requests].filter(([key]) => key.startsWith('GET ') && !key.endsWith('/events'));
    assert.deepEqual(Object.fromEntries(gets), {
      'GET /api/v1/namespaces/kube-system': 1,
      'GET /api/v1/namespaces/default/pods/px-5d567cc74c-ss4lb': 1,
      'GET /apis/apps/v1/namespaces/default/replicasets/px-5d567cc74c': 1,
      // The ReplicaSet's ownerReference names the Deployment: no GET needed for an event about a pod.
    });
    assert.deepEqual(await lookupOutcomes(app), { ok: 2 });
  });

  it('goes on without the ReplicaSet level on 403, warning once per resource type, and counts it', async () => {
    api = new FakeApiServer();
    await api.start();
    loadRecordingWorkloads(api);
    api.failRequests((method, path) => method === 'GET' && path.includes('/replicasets/'), 403, 100);
    const events = recordingEvents();
    for (const event of events) api.create(EVENTS, event);
    const sink = new InMemorySink();
    const warnings: Array<Record<string, unknown>> = [];
    const { pino } = await import('pino');
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
    const { App: AppClass } = await import('../../src/app/app.ts');
    const { KubeClient } = await import('../../src/kube/kube-client.ts');
    const { NoCheckpointStore } = await import('../../src/checkpoint/checkpoint-store.ts');
    app = new AppClass({ config: enrichConfig(), client: KubeClient.fromServer(api.url), logger, sinks: [sink], checkpointStore: new NoCheckpointStore(), env: {} });
    await app.start();
    await waitFor(() => sink.records.length >= events.length, 'every recorded event');

    const pulled = byReason(sink, 'px-5d567cc74c-ss4lb', 'Pulled').resource;
    assert.equal(pulled['k8s.replicaset.name'], 'px-5d567cc74c', 'the pod names its ReplicaSet');
    assert.equal(pulled['k8s.node.name'], 'kind-control-plane');
    assert.equal(pulled['k8s.deployment.name'], undefined, 'the Deployment needs the forbidden ReplicaSet');
    assert.equal(pulled['service.name'], 'px-5d567cc74c', 'the workload name known');
    const forbidden = warnings.filter((w) => String(w['msg']).includes('no permission'));
    assert.equal(forbidden.length, 1, JSON.stringify(warnings));
    assert.equal(forbidden[0]!['resource'], 'replicasets');
    // Two ReplicaSets, each asked once: the 403 is remembered.
    assert.equal(api.requests.get('GET /apis/apps/v1/namespaces/default/replicasets/px-5d567cc74c'), 1);
    assert.equal(api.requests.get('GET /apis/apps/v1/namespaces/default/replicasets/px-7df978b9bf'), 1);
    assert.equal((await lookupOutcomes(app))['forbidden'], 2);
  });

  it('exports without enrichment on 404, remembers it, and does not warn', async () => {
    api = new FakeApiServer();
    await api.start();
    const gone = { kind: 'Pod', name: 'gone-7f8d-zzzzz', namespace: 'default', uid: 'gone-uid', apiVersion: 'v1' };
    for (let i = 0; i < 5; i++) api.create(EVENTS, eventAbout(gone, 'Killing'));
    const sink = new InMemorySink();
    const warnings: string[] = [];
    const { pino } = await import('pino');
    const { App: AppClass } = await import('../../src/app/app.ts');
    const { KubeClient } = await import('../../src/kube/kube-client.ts');
    const { NoCheckpointStore } = await import('../../src/checkpoint/checkpoint-store.ts');
    app = new AppClass({
      config: enrichConfig(),
      client: KubeClient.fromServer(api.url),
      logger: pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) }),
      sinks: [sink],
      checkpointStore: new NoCheckpointStore(),
      env: {},
    });
    await app.start();
    await waitFor(() => sink.records.length >= 5, 'five records');
    for (const record of sink.records) {
      assert.equal(record.resource['k8s.pod.name'], 'gone-7f8d-zzzzz');
      assert.equal(record.resource['k8s.replicaset.name'], undefined);
      assert.equal(record.resource['service.name'], 'gone-7f8d-zzzzz');
    }
    assert.equal(api.requests.get('GET /api/v1/namespaces/default/pods/gone-7f8d-zzzzz'), 1);
    assert.deepEqual(warnings.filter((w) => !w.includes('kube-system')), []);
    assert.deepEqual(await lookupOutcomes(app), { not_found: 1 });
  });

  it('sends a record with what is known once the deadline passes, and completes later records from the cache', async () => {
    api = new FakeApiServer();
    await api.start();
    loadRecordingWorkloads(api);
    const pod = { kind: 'Pod', name: 'px-5d567cc74c-ss4lb', namespace: 'default', uid: '18eddc1d-87e8-4f02-8a13-f1e52db52e61', apiVersion: 'v1' };
    // qps 0.5: the pod GET takes the one token, the ReplicaSet GET waits ~2 s — past the 1 s
    // deadline, which leaves the pod GET a second even on a loaded machine.
    const sink = new InMemorySink();
    app = await startApp({ apiUrl: api.url, sinks: [sink], config: enrichConfig({ qps: 0.5, deadline: '1s' }) });
    await waitFor(() => app!.router.synced && api.watcherCount > 0, 'a watch');
    api.create(EVENTS, eventAbout(pod, 'Pulled', { source: { component: 'kubelet' } }));
    await waitFor(() => sink.records.length >= 1, 'the first record');
    const first = sink.records[0]!.resource;
    assert.equal(first['k8s.node.name'], 'kind-control-plane', 'the pod was read in time');
    assert.equal(first['k8s.replicaset.name'], 'px-5d567cc74c', 'from the pod');
    assert.equal(first['k8s.deployment.name'], undefined, 'the ReplicaSet was not read in time');
    assert.equal((await lookupOutcomes(app))['deadline'], 1);
    // The background lookup completed (pod and ReplicaSet read): the chain is in the cache.
    await waitFor(async () => (await lookupOutcomes(app!))['ok'] === 2, 'the background lookup');
    api.create(EVENTS, eventAbout(pod, 'Created'));
    await waitFor(() => sink.records.length >= 2, 'the second record');
    assert.equal(sink.records[1]!.resource['k8s.deployment.name'], 'px');
  });
});
