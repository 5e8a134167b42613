import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { App } from '../../src/app/app.ts';
import { ConfigMapCheckpointStore } from '../../src/checkpoint/configmap-checkpoint-store.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { electionIdentity } from '../../src/leader/identity.ts';
import { LeaseElector, type LeaseElectorOptions, createLeaseElector } from '../../src/leader/lease-elector.ts';
import type { EventRecord } from '../../src/model/event-record.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import type { ExportOutcome } from '../../src/sinks/sink.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { podEvent, testConfig } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';
import { metricSum } from '../support/metric-samples.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { testElector } from '../support/lease-elector.ts';

const EVENTS = '/api/v1/events';
const LEASES = '/apis/coordination.k8s.io/v1/leases';
// Every test is bounded: a hang fails the test instead of the whole run (issue 14).
const BOUND = { timeout: 60_000 };

function electionConfig(leaderElection: Record<string, unknown> = {}) {
  return testConfig({
    checkpoint: { store: 'configmap', namespace: 'eventrouter', interval: '50ms' },
    leaderElection: { enabled: true, leaseNamespace: 'eventrouter', leaseDuration: '1500ms', renewDeadline: '1s', retryPeriod: '200ms', ...leaderElection },
  });
}

/** A sink whose exports wait at a gate until the test opens it: a drain that lasts as long as the test wants. */
class GatedSink extends InMemorySink {
  waiting = 0;
  #open!: () => void;
  readonly #gate = new Promise<void>((resolve) => (this.#open = resolve));

  open(): void {
    this.#open();
  }

  override async export(records: readonly EventRecord[]): Promise<ExportOutcome> {
    this.waiting += 1;
    await this.#gate;
    return super.export(records);
  }
}

/** `promise`, or a failure naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('leader election on a coordination.k8s.io/v1 Lease', () => {
  let api: FakeApiServer;
  const apps: App[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.stop(1000).catch(() => undefined);
    await api?.stop();
  }, BOUND);

  function replica(name: string, sink: InMemorySink, url = api.url, leaderElection: Record<string, unknown> = {}): App {
    const client = KubeClient.fromServer(url);
    const app = new App({
      config: electionConfig(leaderElection),
      client,
      logger: silentLogger(),
      sinks: () => [sink],
      env: { POD_NAME: name, POD_NAMESPACE: 'eventrouter' },
      checkpointStore: new ConfigMapCheckpointStore(client, 'eventrouter', 'eventrouter-checkpoint'),
    });
    apps.push(app);
    return app;
  }

  function leaseSpec(namespace = 'eventrouter', name = 'eventrouter'): Record<string, unknown> | undefined {
    return api.get(LEASES, namespace, name)?.['spec'] as Record<string, unknown> | undefined;
  }

  /** Counts the renewals of the lease seen from now on (distinct renewTimes) whose holder matches. */
  function renewals(holder: (identity: string) => boolean): () => number {
    const seen = new Set<string>();
    return () => {
      const spec = leaseSpec();
      if (spec && holder(String(spec['holderIdentity'] ?? ''))) seen.add(String(spec['renewTime']));
      return seen.size;
    };
  }

  function elector(identity: string, options: Partial<LeaseElectorOptions> = {}): LeaseElector {
    return testElector(api.url, identity, options);
  }


  it('lets exactly one candidate win while the lease is held', BOUND, async () => {
    api = new FakeApiServer();
    await api.start();
    const results = await Promise.allSettled([elector('a').tryAcquireOrRenew(), elector('b').tryAcquireOrRenew(), elector('c').tryAcquireOrRenew()]);
    const winners = results.filter((r) => r.status === 'fulfilled' && r.value === true);
    assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.status === 'fulfilled' ? r.value : String(r.reason))));
    const holder = leaseSpec('ns', 'l');
    assert.ok(['a', 'b', 'c'].includes(String(holder?.['holderIdentity'])));
    assert.equal(await elector('z').tryAcquireOrRenew(), false, 'a held, unexpired lease is not taken');
  });

  it('judges expiry by its own clock: a standby 20 s ahead does not take a lease that is being renewed', BOUND, async () => {
    api = new FakeApiServer();
    await api.start();
    // Each round stands for one retry period (2 s) on both clocks; the standby's runs 20 s ahead.
    let leaderNow = Date.now();
    let standbyNow = leaderNow + 20_000;
    const leader = elector('leader', { now: () => leaderNow });
    const standby = elector('standby', { now: () => standbyNow });
    assert.equal(await leader.tryAcquireOrRenew(leaderNow), true);
    for (let round = 0; round < 10; round++) {
      assert.equal(await standby.tryAcquireOrRenew(standbyNow), false, `round ${round}: the lease is renewed every 2 s; its renewTime is only 20 s "old" by the standby's clock`);
      leaderNow += 2000;
      standbyNow += 2000;
      assert.equal(await leader.tryAcquireOrRenew(leaderNow), true);
    }
    // The leader stops renewing: the record stops changing, and only after a full lease
    // duration by the standby's own clock since it last changed does the standby take it.
    assert.equal(await standby.tryAcquireOrRenew(standbyNow), false, 'the last renewal was just seen');
    standbyNow += 14_000;
    assert.equal(await standby.tryAcquireOrRenew(standbyNow), false, '14 s since the record last changed: not expired');
    standbyNow += 2000;
    assert.equal(await standby.tryAcquireOrRenew(standbyNow), true, '16 s since the record last changed: expired');
    const spec = leaseSpec('ns', 'l');
    assert.equal(spec?.['holderIdentity'], 'standby');
    assert.equal(spec?.['leaseTransitions'], 1);
    assert.equal(await leader.tryAcquireOrRenew(leaderNow), false, 'the old leader sees the new holder');
    assert.equal(leader.holder, 'standby');
  });

  it('makes every process\'s identity unique, whatever is configured', () => {
    const one = electionIdentity('shared', { POD_NAME: 'pod-a' });
    const two = electionIdentity('shared', { POD_NAME: 'pod-a' });
    assert.notEqual(one, two);
    assert.match(one, /^shared_[0-9a-f-]{36}$/);
    assert.match(electionIdentity('', { POD_NAME: 'pod-a' }), /^pod-a_/);
    assert.match(electionIdentity('', {}, 'node-7'), /^node-7_/);
  });

  it('two replicas configured with the same identity: one leads, the other stands by', BOUND, async () => {
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 10; i++) api.create(EVENTS, podEvent());
    const sinkA = new InMemorySink('a');
    const sinkB = new InMemorySink('b');
    const a = replica('router-a', sinkA, api.url, { identity: 'shared' });
    await a.start();
    await waitFor(() => a.isLeader, 'a to lead');
    const b = replica('router-b', sinkB, api.url, { identity: 'shared' });
    await b.start();
    // b campaigns once per retry period; after several renewals by the leader it has had its chances.
    const renewed = renewals((holder) => holder.startsWith('shared'));
    await waitFor(() => sinkA.records.length === 10 && renewed() >= 5, 'the leader to export and renew');
    assert.deepEqual([a.isLeader, b.isLeader], [true, false], 'only one replica leads');
    assert.equal(sinkB.records.length, 0, 'the standby exports nothing');
    assert.equal(String(leaseSpec()?.['holderIdentity']).startsWith('shared_'), true);
  });

  it('only the leader exports; a leader cut off from the API server stops, and the standby continues from the checkpoint', BOUND, async () => {
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
    const renewed = renewals((holder) => holder.startsWith('router-a'));
    await waitFor(() => sinkA.records.length === 40 && renewed() >= 4, 'watched events, and the standby campaigning meanwhile');
    assert.equal(b.isLeader, false);
    assert.equal(sinkB.records.length, 0, 'the standby exports nothing');
    assert.equal(b.health().details['role'], 'standby');
    assert.equal(b.health().ready, true, 'a healthy standby is ready');
    assert.equal(await metricSum(b.metrics, 'eventrouter_leader'), 0);
    assert.equal(await metricSum(a.metrics, 'eventrouter_leader'), 1);

    // The leader is partitioned from the API server: it can neither renew nor watch.
    proxy.cut();
    const missed = Array.from({ length: 12 }, () => api.create(EVENTS, podEvent()));
    await waitFor(() => !a.isLeader || b.isLeader, 'the cut-off leader to give up');
    assert.equal(a.isLeader, false, 'the old leader gave up before the standby took over');
    await waitFor(() => b.isLeader, 'the standby to take over after the lease expires');
    // The standby exports in resourceVersion order: once it has the newest events, anything it
    // re-sent from before them is there too.
    const missedKeys = missed.map((e) => `${(e['metadata'] as Record<string, unknown>)['uid']}/1`);
    await waitFor(() => missedKeys.every((k) => sinkB.records.some((r) => r.dedupeKey === k)), 'the standby to export what the leader missed');
    const keys = [...sinkA.records, ...sinkB.records].map((r) => r.dedupeKey);
    assert.equal(new Set(keys).size, 52, 'every event delivered');
    assert.equal(keys.length, 52, 'no duplicates: the standby resumed from the leader’s checkpoint');
    await proxy.stop();
  });

  it('hands over at once on graceful shutdown by releasing the lease', BOUND, async () => {
    api = new FakeApiServer();
    await api.start();
    const sinkA = new InMemorySink('a');
    const sinkB = new InMemorySink('b');
    // A lease far longer than the test bound: only a release lets the standby lead in time.
    const slow = { leaseDuration: '5m', renewDeadline: '1s' };
    const a = replica('router-a', sinkA, api.url, slow);
    await a.start();
    await waitFor(() => a.isLeader, 'a to lead');
    const b = replica('router-b', sinkB, api.url, slow);
    await b.start();
    for (let i = 0; i < 5; i++) api.create(EVENTS, podEvent());
    await waitFor(() => sinkA.records.length === 5, 'a to export');
    await a.stop();
    apps.splice(apps.indexOf(a), 1);
    const holder = String(leaseSpec()?.['holderIdentity'] ?? '');
    assert.ok(holder === '' || holder.startsWith('router-b_'), `released (holder now "${holder}")`);
    await waitFor(() => b.isLeader, 'b to lead');
    const fresh = Array.from({ length: 5 }, () => api.create(EVENTS, podEvent()));
    const freshKeys = fresh.map((e) => `${(e['metadata'] as Record<string, unknown>)['uid']}/1`);
    await waitFor(() => freshKeys.every((k) => sinkB.records.some((r) => r.dedupeKey === k)), 'b to export the new events');
    assert.deepEqual(sinkB.records.map((r) => r.dedupeKey), freshKeys, 'b exports only the new events');
  });

  it('keeps renewing through a shutdown drain longer than the lease, then releases: the standby waits, nothing is sent twice', BOUND, async () => {
    api = new FakeApiServer();
    await api.start();
    const first = Array.from({ length: 40 }, () => api.create(EVENTS, podEvent()));
    const sinkA = new GatedSink('a');
    const sinkB = new InMemorySink('b');
    // A renew deadline that a busy machine's event-loop stalls cannot reach by accident.
    const lease = { leaseDuration: '3s', renewDeadline: '2s' };
    const a = replica('router-a', sinkA, api.url, lease);
    await a.start();
    await waitFor(() => a.isLeader, 'a to lead');
    const b = replica('router-b', sinkB, api.url, lease);
    await b.start();
    await waitFor(() => sinkA.waiting > 0, 'the leader to export (held at the gate)');

    // SIGTERM: the drain cannot finish until the gate opens.
    const stopping = a.stop(30_000);
    const renewed = renewals((holder) => holder.startsWith('router-a'));
    // Renewals every 200 ms at most: 20 of them span 3.8 s or more, past the 3 s lease.
    await waitFor(() => b.isLeader || renewed() >= 20, 'the lease to outlive its duration during the drain');
    assert.equal(b.isLeader, false, 'the standby took over in the middle of the drain');
    assert.equal(sinkB.records.length, 0);
    assert.equal(a.health().details['role'], 'draining', '/readyz says the old leader is draining, not standing by');

    sinkA.open();
    assert.deepEqual(await stopping, { drained: true });
    apps.splice(apps.indexOf(a), 1);
    assert.equal(sinkA.records.length, 40, 'the drain exported everything');
    assert.equal(String(leaseSpec()?.['holderIdentity'] ?? '').startsWith('router-a_'), false, 'released after the drain');
    await waitFor(() => b.isLeader, 'b to lead after the release');
    const fresh = Array.from({ length: 10 }, () => api.create(EVENTS, podEvent()));
    const freshKeys = fresh.map((e) => `${(e['metadata'] as Record<string, unknown>)['uid']}/1`);
    await waitFor(() => freshKeys.every((k) => sinkB.records.some((r) => r.dedupeKey === k)), 'b to export the new events');
    const keys = [...sinkA.records, ...sinkB.records].map((r) => r.dedupeKey);
    const duplicates = keys.length - new Set(keys).size;
    assert.equal(duplicates, 0, 'the checkpoint was saved before the release');
    assert.equal(new Set(keys).size, first.length + fresh.length, 'nothing lost');
  });

  it('a leader that loses the lease during its shutdown drain stops exporting at once; the standby takes over', BOUND, async () => {
    api = new FakeApiServer();
    await api.start();
    const proxy = new TcpProxy(api.url);
    await proxy.start();
    const created = Array.from({ length: 20 }, () => api.create(EVENTS, podEvent()));
    const sinkA = new GatedSink('a');
    const sinkB = new InMemorySink('b');
    const a = replica('router-a', sinkA, proxy.url);
    await a.start();
    await waitFor(() => a.isLeader, 'a to lead');
    const b = replica('router-b', sinkB);
    await b.start();
    await waitFor(() => sinkA.waiting > 0, 'the leader to export (held at the gate)');

    const stopping = a.stop(120_000);
    proxy.cut();
    // The gate stays shut: only losing the lease can end this drain within the wait.
    assert.deepEqual(await within(stopping, 20_000, 'the drain to end when the lease is lost'), { drained: false });
    apps.splice(apps.indexOf(a), 1);
    assert.equal(sinkA.records.length, 0, 'nothing exported after the lease was lost');
    await waitFor(() => b.isLeader, 'the standby to take over');
    const keys = created.map((e) => `${(e['metadata'] as Record<string, unknown>)['uid']}/1`);
    await waitFor(() => keys.every((k) => sinkB.records.some((r) => r.dedupeKey === k)), 'the standby to export everything');
    await proxy.stop();
  });
  it('lifecycle: start campaigns and leads, shutdown tells the term to end and then releases the lease, a second shutdown does nothing', BOUND, async () => {
    api = new FakeApiServer();
    await api.start();
    const calls: string[] = [];
    const e = elector('solo', {
      retryPeriodMs: 50,
      onStartedLeading: () => void calls.push('started'),
      onStoppedLeading: (stopped) => void calls.push(`stopped:${stopped.reason}`),
    });
    await e.start();
    await waitFor(() => e.isLeader, 'the only candidate leads');
    assert.equal(leaseSpec('ns', 'l')?.['holderIdentity'], 'solo');
    await e.shutdown();
    assert.equal(e.isLeader, false);
    assert.deepEqual(calls, ['started', 'stopped:shutdown']);
    assert.equal(leaseSpec('ns', 'l')?.['holderIdentity'], '', 'released: a standby need not wait for expiry');
    await e.shutdown();
    assert.deepEqual(calls, ['started', 'stopped:shutdown']);
  });

  it('is made from leaderElection.*: none when disabled; when enabled, a per-process identity from POD_NAME', () => {
    const deps = { client: KubeClient.fromServer('http://127.0.0.1:1'), logger: silentLogger(), env: { POD_NAME: 'router-0', POD_NAMESPACE: 'obs' }, onStartedLeading: () => {}, onStoppedLeading: () => {} };
    assert.equal(createLeaseElector(testConfig().leaderElection, deps), undefined);
    const made = createLeaseElector(electionConfig({ leaseNamespace: '' }).leaderElection, deps);
    assert.match(made?.identity ?? '', /^router-0_[0-9a-f-]{36}$/);
    assert.notEqual(createLeaseElector(electionConfig().leaderElection, deps)?.identity, made?.identity, 'two processes never share an identity');
  });
});
