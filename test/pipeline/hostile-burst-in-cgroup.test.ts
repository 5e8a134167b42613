/**
 * A burst of Events such as whoever may create them can write (each shape stored by
 * kube-apiserver v1.37: field lengths are bounded only by the object size, times by RFC 3339),
 * through the production bundle with the image's flags inside the pod's 128 MiB limit
 * (test/support/router-in-cgroup.ts), with owner enrichment, an http/json sink to a receiver that
 * checks numbers as the Collector does, and a throttled stdout classic sink. Every event must
 * arrive exactly once, and the router must neither abort nor be killed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { OtlpReceiver, waitFor } from '../support/otlp-receiver.ts';
import { assertCleanExit, cgroupUnavailable, describeExit, failIfExited, prepareImage, startRouterInCgroup } from '../support/router-in-cgroup.ts';

const EVENTS = 1200;
const unavailable = cgroupUnavailable();

/** One hostile shape per kind, by index. */
function hostile(i: number): Record<string, unknown> {
  const long = (n: number) => `${i}-`.padEnd(n, 'x');
  const involved = { kind: 'Pod', apiVersion: 'v1', namespace: 'burst', name: `web-${i % 40}`, uid: `uid-web-${i % 40}` };
  const event: Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `burst-${i}`, namespace: 'burst' },
    involvedObject: involved,
    reason: 'BackOff',
    message: `burst ${i}`,
    type: 'Warning',
    count: 1,
    lastTimestamp: '2026-01-01T00:00:00Z',
    source: { component: 'kubelet', host: 'node-1' },
  };
  switch (i % 6) {
    case 0:
      event['reason'] = long(100_000);
      break;
    case 1:
      event['involvedObject'] = { ...involved, name: long(100_000), uid: long(50_000) };
      break;
    case 2:
      event['lastTimestamp'] = i % 12 === 2 ? '9999-12-31T23:59:59Z' : '1969-12-31T23:59:59Z';
      event['firstTimestamp'] = '0001-01-01T00:00:01Z';
      break;
    case 3:
      event['involvedObject'] = { ...involved, kind: long(100_000), fieldPath: `spec.containers{${long(50_000)}}` };
      break;
    case 4:
      event['related'] = { kind: 'Pod', namespace: 'burst', name: long(100_000) };
      event['reportingComponent'] = long(50_000);
      break;
    default:
      event['involvedObject'] = { ...involved, name: i % 2 === 0 ? '.' : '..', uid: `forged-${i}` };
  }
  return event;
}

describe('a burst of hostile events, in 128 MiB', { skip: unavailable }, () => {
  let api: FakeApiServer;
  let receiver: OtlpReceiver;
  let prepared: ReturnType<typeof prepareImage>;
  before(async () => {
    prepared = prepareImage();
    receiver = new OtlpReceiver();
    await receiver.start();
    api = new FakeApiServer();
    await api.start();
  });
  after(async () => {
    await receiver.stop();
    await api.stop();
    prepared.cleanup();
  });

  it('1,200 events with 100 KB fields, out-of-range times and unlookupable objects: each delivered once, no abort', async () => {
    for (let i = 0; i < 40; i++) {
      api.create('/api/v1/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${i}`, namespace: 'burst', uid: `uid-web-${i}`, labels: { 'app.kubernetes.io/name': 'web' } }, spec: { nodeName: 'node-1' } });
    }
    const router = startRouterInCgroup(prepared.work, prepared.image, api.url, {
      clusterName: 'hostile',
      checkpoint: { store: 'none' },
      server: { listen: '127.0.0.1:0' },
      enrich: { owners: true },
      sinks: [
        { name: 'otlp', type: 'otlp', endpoint: receiver.url, protocol: 'http/json', batchTimeout: '50ms' },
        { name: 'console', type: 'stdout', format: 'classic', delivery: 'best-effort', throttle: { limit: 5, interval: '1m' } },
      ],
    });
    // Half listed at start, half watched: both paths.
    for (let i = 0; i < EVENTS / 2; i++) api.create('/api/v1/events', hostile(i));
    const names = () => receiver.logs.map((log) => String(log.attributes['k8s.event.name']));
    const arrived = (n: number) => () => {
      failIfExited(router, `the router died after ${new Set(names()).size}/${EVENTS} records`);
      return new Set(names()).size >= n;
    };
    try {
      await waitFor(arrived(EVENTS / 2), 'the listed half', 120_000);
      for (let i = EVENTS / 2; i < EVENTS; i++) api.create('/api/v1/events', hostile(i));
      await waitFor(arrived(EVENTS), 'the watched half', 120_000);
    } finally {
      const exit = await router.stop();
      console.log(`hostile burst: ${new Set(names()).size}/${EVENTS} delivered (${names().length} records); ${describeExit(exit).split('\n')[0]}`);
    }
    const exit = router.exited();
    assertCleanExit(exit);
    assert.equal(names().length, EVENTS, 'each exactly once');
    // The times OTLP cannot carry were replaced, not sent.
    const times = receiver.logs.map((log) => BigInt(log.timeUnixNano));
    assert.ok(times.every((t) => t >= 0n && t < 2n ** 64n));
  });
});
