import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { App } from '../../src/app/app.ts';
import { ConfigMapCheckpointStore } from '../../src/checkpoint/configmap-checkpoint-store.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { LeaseElector } from '../../src/leader/lease-elector.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { podEvent, testConfig } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

const EVENTS = '/api/v1/events';

function electionConfig() {
  return testConfig({
    checkpoint: { store: 'configmap', namespace: 'eventrouter', interval: '50ms' },
    leaderElection: { enabled: true, leaseNamespace: 'eventrouter', leaseDuration: '1500ms', renewDeadline: '1s', retryPeriod: '200ms' },
  });
}

describe('leader election on a coordination.k8s.io/v1 Lease', () => {
  let api: FakeApiServer;
  const apps: App[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.stop(1000).catch(() => undefined);
    await api?.stop();
  });

  function replica(name: string, sink: InMemorySink, url = api.url): App {
    const client = KubeClient.fromServer(url);
    const app = new App({
      config: electionConfig(),
      client,
      logger: silentLogger(),
      sinks: () => [sink],
      env: { POD_NAME: name, POD_NAMESPACE: 'eventrouter' },
      checkpointStore: new ConfigMapCheckpointStore(client, 'eventrouter', 'eventrouter-checkpoint'),
    });
    apps.push(app);
    return app;
  }

  it('lets exactly one candidate win while the lease is held', async () => {
    api = new FakeApiServer();
    await api.start();
    const client = KubeClient.fromServer(api.url);
    const make = (identity: string) => new LeaseElector({ client, namespace: 'ns', name: 'l', identity, logger: silentLogger(), onStartedLeading: () => {}, onStoppedLeading: () => {} });
    const results = await Promise.allSettled([make('a').tryAcquireOrRenew(), make('b').tryAcquireOrRenew(), make('c').tryAcquireOrRenew()]);
    const winners = results.filter((r) => r.status === 'fulfilled' && r.value === true);
    assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.status === 'fulfilled' ? r.value : String(r.reason))));
    const holder = api.get('/apis/coordination.k8s.io/v1/leases', 'ns', 'l')?.['spec'] as Record<string, unknown>;
    assert.ok(['a', 'b', 'c'].includes(String(holder['holderIdentity'])));
    assert.equal(await make('z').tryAcquireOrRenew(), false, 'a held, unexpired lease is not taken');
  });

  it('only the leader exports; a leader cut off from the API server stops, and the standby continues from the checkpoint', async () => {
    api = new FakeApiServer();
    await api.start();
    const proxy = new TcpProxy(api.url);
    await proxy.start();
    for (let i = 0; i < 30; i++) api.create(EVENTS, podEvent());
    const sinkA = new InMemorySink('a');
    const sinkB = new InMemorySink('b');
    const a = replica('router-a', sinkA, proxy.url);
    await a.start();
    await waitFor(() => a.isLeader, 'a to lead');
    const b = replica('router-b', sinkB);
    await b.start();
    await waitFor(() => sinkA.records.length === 30, 'the leader to export');
    for (let i = 0; i < 10; i++) api.create(EVENTS, podEvent());
    await waitFor(() => sinkA.records.length === 40, 'watched events');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.isLeader, false);
    assert.equal(sinkB.records.length, 0, 'the standby exports nothing');
    assert.equal(b.health().details['role'], 'standby');
    assert.equal(b.health().ready, true, 'a healthy standby is ready');
    assert.equal((await b.metrics.leader.get()).values[0]?.value, 0);
    assert.equal((await a.metrics.leader.get()).values[0]?.value, 1);

    // The leader is partitioned from the API server: it can neither renew nor watch.
    const cutAt = Date.now();
    proxy.cut();
    for (let i = 0; i < 12; i++) api.create(EVENTS, podEvent());
    await waitFor(() => !a.isLeader, 'the cut-off leader to give up', 10_000);
    const gaveUpAfter = Date.now() - cutAt;
    await waitFor(() => b.isLeader, 'the standby to take over after the lease expires', 10_000);
    assert.ok(gaveUpAfter < 1500, `the old leader stopped (${gaveUpAfter} ms) before its 1.5 s lease could expire`);
    await waitFor(() => sinkB.records.length >= 12, 'the standby to export what the leader missed', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const keys = [...sinkA.records, ...sinkB.records].map((r) => r.dedupeKey);
    assert.equal(new Set(keys).size, 52, 'every event delivered');
    assert.equal(keys.length, 52, 'no duplicates: the standby resumed from the leader’s checkpoint');
    await proxy.stop();
  });

  it('hands over at once on graceful shutdown by releasing the lease', async () => {
    api = new FakeApiServer();
    await api.start();
    const sinkA = new InMemorySink('a');
    const sinkB = new InMemorySink('b');
    const a = replica('router-a', sinkA);
    await a.start();
    await waitFor(() => a.isLeader, 'a to lead');
    const b = replica('router-b', sinkB);
    await b.start();
    for (let i = 0; i < 5; i++) api.create(EVENTS, podEvent());
    await waitFor(() => sinkA.records.length === 5, 'a to export');
    const stopped = Date.now();
    await a.stop();
    apps.splice(apps.indexOf(a), 1);
    const spec = api.get('/apis/coordination.k8s.io/v1/leases', 'eventrouter', 'eventrouter')?.['spec'] as Record<string, unknown>;
    assert.equal(spec['holderIdentity'], null, 'released');
    await waitFor(() => b.isLeader, 'b to lead');
    assert.ok(Date.now() - stopped < 1500, 'before the lease would have expired');
    for (let i = 0; i < 5; i++) api.create(EVENTS, podEvent());
    await waitFor(() => sinkB.records.length === 5, 'b to export only the new events');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sinkB.records.length, 5);
  });
});

