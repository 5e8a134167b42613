/**
 * Two (then three) routers with leader election on a real coordination.k8s.io/v1 Lease and a
 * shared ConfigMap checkpoint (leaseDuration 4s, renewDeadline 3s, retryPeriod 1s; identities
 * from POD_NAME): only the leader exports; SIGKILL the leader and the standby takes over from
 * the checkpoint with no loss; SIGTERM the new leader and a third takes over with no loss and
 * no duplicates (the Lease is released and the checkpoint written on the way out).
 * Each router tags its records with OTEL_RESOURCE_ATTRIBUTES e2e.router=<name>.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type OtelRecord,
  type RouterProcess,
  collected,
  countBy,
  createNamespace,
  delivery,
  e2eEnv,
  kube,
  keyOf,
  postCoreEvent,
  routerConfig,
  runId,
  scratchDir,
  simpleEvent,
  sleep,
  startRouter,
  waitFor,
} from './support.ts';

describe('leader election on the real Lease API', () => {
  const ns = runId('e2e-leader');
  const dir = scratchDir(ns);
  const clusterName = `${ns}-c`;
  const lease = `eventrouter-${ns}`;
  const config = routerConfig({
    clusterName,
    namespaces: [ns],
    checkpoint: { store: 'configmap', configMapName: `checkpoint-${ns}` },
    leaderElection: { enabled: true, leaseName: lease, leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '1s' },
    maxBatchSize: 50,
  });
  const routers = new Map<string, RouterProcess>();
  const start = (name: string) => {
    const r = startRouter(dir, name, config, { POD_NAME: name, POD_NAMESPACE: ns, OTEL_RESOURCE_ATTRIBUTES: `e2e.router=${name}` });
    routers.set(name, r);
    return r;
  };
  const holder = async (): Promise<string | undefined> => {
    const res = await kube('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${lease}`);
    return res.status === 200 ? res.body.spec.holderIdentity : undefined;
  };
  const byRouter = (records: OtelRecord[]) => Object.fromEntries(countBy(records, (r) => String(r.resource['e2e.router'])));
  const uids: string[] = [];
  let producing = true;
  let producer: Promise<void> = Promise.resolve();

  before(async () => {
    e2eEnv();
    await createNamespace(ns);
  });
  after(async () => {
    producing = false;
    await producer;
    await Promise.all([...routers.values()].map((r) => r.stop('SIGKILL')));
  });

  it('one leader exports, the standby waits; SIGKILL of the leader: the standby takes over from the checkpoint, no loss', async () => {
    const a = start('router-a');
    await waitFor(async () => (await holder()) === 'router-a', 'router-a to lead', 30_000, () => a.stderr.slice(-1000));
    const b = start('router-b');
    await sleep(3000); // router-b up, on standby (it logs nothing while it waits)
    assert.equal(b.child.exitCode, null, b.stderr.slice(-1000));
    assert.equal(await holder(), 'router-a');
    producer = (async () => {
      while (producing) {
        const created = await Promise.allSettled(Array.from({ length: 5 }, () => postCoreEvent(simpleEvent(ns, 'leader'))));
        for (const c of created) if (c.status === 'fulfilled') uids.push(c.value.metadata.uid);
        await sleep(100);
      }
    })();
    await waitFor(() => collected(clusterName).length >= 150, 'records from the leader', 30_000);
    await sleep(2000);
    assert.deepEqual(Object.keys(byRouter(collected(clusterName))), ['router-a'], 'only the leader exports');
    const killedAt = collected(clusterName).length;
    const t0 = Date.now();
    await a.stop('SIGKILL');
    await waitFor(async () => (await holder()) === 'router-b', 'router-b to take over', 30_000, () => b.stderr.slice(-1500));
    const takeoverMs = Date.now() - t0;
    await waitFor(() => collected(clusterName).some((r) => r.resource['e2e.router'] === 'router-b'), 'records from router-b', 30_000, () => b.stderr.slice(-1500));
    await sleep(2000);
    const snapshot = [...uids];
    await waitFor(() => delivery(collected(clusterName), snapshot.map((u) => `${u}/1`)).missing.length === 0, 'every event so far', 60_000);
    const d = delivery(collected(clusterName), snapshot.map((u) => `${u}/1`));
    console.log(`# SIGKILL failover: ${snapshot.length} events, lease taken over in ${takeoverMs} ms, ${killedAt} records before the kill, records by router ${JSON.stringify(byRouter(collected(clusterName)))}, ${d.duplicates} duplicates re-sent by the new leader`);
    assert.deepEqual(d.missing, [], 'no loss across the failover');
    // (Duplicates are allowed here: after a SIGKILL the new leader re-sends what was exported
    // after the last ConfigMap checkpoint write, checkpoint.interval = 5s by default.)
    assert.ok(takeoverMs < 15_000, `takeover took ${takeoverMs} ms`);
  });

  it('SIGTERM of the leader: it releases the Lease, a third router takes over, no loss and no duplicates', async () => {
    const b = routers.get('router-b')!;
    const c = start('router-c');
    await sleep(2000);
    assert.equal(await holder(), 'router-b');
    const before = collected(clusterName);
    const keysBefore = new Set(before.map(keyOf));
    const result = await b.stop('SIGTERM');
    assert.equal(result.code, 0, b.stderr.slice(-2000));
    await waitFor(async () => (await holder()) === 'router-c', 'router-c to take over', 30_000, () => c.stderr.slice(-1500));
    await sleep(2000);
    producing = false;
    await producer;
    await waitFor(() => delivery(collected(clusterName), uids.map((u) => `${u}/1`)).missing.length === 0, 'every event', 60_000, () => c.stderr.slice(-1500));
    await sleep(1500);
    const afterHandover = collected(clusterName).filter((r) => r.resource['e2e.router'] === 'router-c');
    assert.ok(afterHandover.length > 0, 'router-c exported');
    const resent = afterHandover.filter((r) => keysBefore.has(keyOf(r)));
    const d = delivery(collected(clusterName), uids.map((u) => `${u}/1`));
    console.log(`# SIGTERM hand-over: ${uids.length} events in all, records by router ${JSON.stringify(byRouter(collected(clusterName)))}, ${resent.length} re-sent by router-c`);
    assert.deepEqual(d.missing, []);
    assert.deepEqual(d.unexpected, []);
    assert.equal(resent.length, 0, 'a graceful hand-over re-sends nothing');
    assert.equal((await c.stop('SIGTERM')).code, 0);
  });
});
