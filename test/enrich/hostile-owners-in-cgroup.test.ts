/**
 * Owner enrichment against hostile objects, through the production bundle with the image's
 * flags inside the pod's 128 MiB limit (test/support/router-in-cgroup.ts), in bursts. Whoever
 * may create an Event chooses the involved object's name; whoever may create a Pod chooses its
 * annotations (up to 256 KiB per object on a real API server). Neither may cost the router its
 * memory: each case checks that every event arrives and the router neither aborts nor is killed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { OtlpReceiver, waitFor } from '../support/otlp-receiver.ts';
import { assertCleanExit, cgroupUnavailable, describeExit, failIfExited, prepareImage, startRouterInCgroup } from '../support/router-in-cgroup.ts';

const EVENTS = '/api/v1/events';
const unavailable = cgroupUnavailable();

function eventAbout(namespace: string, i: number, pod: { name: string; uid: string }, message: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `hostile-${i}`, namespace },
    involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace, ...pod },
    reason: 'Hostile',
    message,
    type: 'Normal',
    count: 1,
    lastTimestamp: '2026-01-01T00:00:00Z',
    source: { component: 'kubelet', host: 'node-1' },
  };
}

function pod(namespace: string, name: string, metadata: Record<string, unknown>, specBytes = 0): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, uid: `uid-${name}`, ...metadata },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'registry.example/app:1.0', args: specBytes > 0 ? ['x'.repeat(specBytes)] : [] }] },
  };
}

describe('owner enrichment against hostile objects, in 128 MiB', { skip: unavailable }, () => {
  let api: FakeApiServer;
  let receiver: OtlpReceiver;
  let prepared: ReturnType<typeof prepareImage>;

  before(async () => {
    prepared = prepareImage();
    receiver = new OtlpReceiver();
    await receiver.start();
  });
  after(async () => {
    await receiver.stop();
    prepared.cleanup();
  });

  async function run(name: string, expected: number, config: Record<string, unknown> = {}): Promise<void> {
    const router = startRouterInCgroup(prepared.work, prepared.image, api.url, {
      clusterName: 'hostile',
      checkpoint: { store: 'none' },
      server: { listen: '127.0.0.1:0' },
      enrich: { owners: true, qps: 500, deadline: '5s' },
      sinks: [{ name: 'otlp', type: 'otlp', endpoint: receiver.url, protocol: 'http/protobuf', batchTimeout: '50ms' }],
      ...config,
    });
    const delivered = () => new Set(receiver.logs.map((log) => String(log.attributes['k8s.event.name']))).size;
    try {
      await waitFor(
        () => {
          failIfExited(router, `${name}: the router died after ${delivered()}/${expected} records`);
          return delivered() >= expected;
        },
        `${name}: ${expected} records`,
        120_000,
      );
    } finally {
      const exit = await router.stop();
      console.log(`hostile owners "${name}": ${delivered()}/${expected} delivered; ${describeExit(exit).split('\n')[0]}`);
    }
    const exit = router.exited();
    assertCleanExit(exit);
  }

  it('events about a pod named "." in a namespace of 3,000 pods: no LIST of the namespace, every record delivered', async () => {
    receiver.reset();
    api = new FakeApiServer();
    await api.start();
    try {
      // A real API server stores an Event whose involvedObject is named "." (the name is not
      // validated), and answers GET .../pods/ (what a URL makes of .../pods/.) with the PodList.
      for (let i = 0; i < 3000; i++) api.create('/api/v1/pods', pod('crowd', `p-${i}`, { labels: { app: 'crowd' } }, 12_000));
      for (let i = 0; i < 300; i++) api.create(EVENTS, eventAbout('crowd', i, { name: i % 2 === 0 ? '.' : '..', uid: `forged-${i}` }, `dot-${i}`));
      await run('pod named dot', 300);
      const collectionReads = [...api.requests.keys()].filter((key) => key === 'GET /api/v1/namespaces/crowd/pods/' || key === 'GET /api/v1/namespaces/crowd');
      assert.deepEqual(collectionReads, [], 'no lookup reached a collection or the namespace');
    } finally {
      await api.stop();
    }
  });

  it('400 pods with 240 KiB of annotations each: the enricher keeps what it reads, every record delivered', async () => {
    receiver.reset();
    api = new FakeApiServer();
    await api.start();
    try {
      const annotations = (i: number) => Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`example.com/junk-${k}`, `${i}-${k}-`.padEnd(30 * 1024, 'a')]));
      for (let i = 0; i < 400; i++) {
        api.create('/api/v1/pods', pod('big', `p-${i}`, { labels: { 'app.kubernetes.io/name': 'big' }, annotations: annotations(i) }));
      }
      for (let i = 0; i < 400; i++) api.create(EVENTS, eventAbout('big', i, { name: `p-${i}`, uid: `uid-p-${i}` }, `big-${i}`));
      await run('big annotations', 400);
      const named = receiver.logs.filter((log) => log.resource['service.name'] === 'big').length;
      assert.equal(named, 400, 'service.name still comes from the label');
    } finally {
      await api.stop();
    }
  });
});
