/**
 * Two (then three) routers with leader election on a real coordination.k8s.io/v1 Lease and a
 * shared ConfigMap checkpoint (leaseDuration 4s, renewDeadline 3s, retryPeriod 1s; identities
 * from POD_NAME): only the leader exports; SIGKILL the leader and the standby takes over from
 * the checkpoint with no loss; SIGTERM the new leader and a third takes over with no loss and
 * no duplicates (the Lease is released and the checkpoint written on the way out).
 * Each router tags its records with OTEL_RESOURCE_ATTRIBUTES e2e.router=<name>; a router's
 * Lease identity is `<POD_NAME>_<uuid>`.
 *
 * Then, each on its own Lease: a SIGTERM whose drain lasts three lease durations (the OTLP
 * requests are held by a proxy): the leader must keep renewing, the standby must wait for the
 * release, and nothing may be sent twice; and two routers whose config sets the same
 * `leaderElection.identity`: only one may lead.
 */
import assert from 'node:assert/strict';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  type OtelRecord,
  type RouterProcess,
  collected,
  countBy,
  createNamespace,
  createSimpleEvents,
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

/** The router name in the Lease's holderIdentity (`<POD_NAME>_<uuid>`), '' when released, undefined when absent. */
async function holderName(ns: string, lease: string): Promise<string | undefined> {
  const spec = await leaseSpec(ns, lease);
  return spec === undefined ? undefined : String(spec.holderIdentity ?? '').replace(/_[0-9a-f-]{36}$/, '');
}

async function leaseSpec(ns: string, lease: string): Promise<Record<string, any> | undefined> {
  const res = await kube('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${lease}`);
  return res.status === 200 ? res.body.spec : undefined;
}

/**
 * An HTTP proxy in front of the Collector that can hold requests: a sink that cannot finish
 * its drain until the test says so. A held request whose client gave up is never forwarded.
 */
class HoldingProxy {
  readonly #target: URL;
  #server: Server | undefined;
  #holding = false;
  #held: Array<() => void> = [];
  heldCount = 0;
  url = '';

  constructor(target: string) {
    this.#target = new URL(target);
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  hold(): void {
    this.#holding = true;
  }

  release(): void {
    this.#holding = false;
    for (const forward of this.#held.splice(0)) forward();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const forward = () => {
        if (res.destroyed || res.writableEnded) return;
        const { host: _host, ...headers } = req.headers;
        const upstream = request(new URL(req.url ?? '/', this.#target), { method: req.method, headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        upstream.end(Buffer.concat(chunks));
      };
      if (!this.#holding) return forward();
      this.heldCount += 1;
      this.#held.push(forward);
    });
  }

  async stop(): Promise<void> {
    this.release();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

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
  const holder = async (): Promise<string | undefined> => holderName(ns, lease);
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
    // after the last ConfigMap checkpoint write, checkpoint.interval = 1s by default for the ConfigMap store.)
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

describe('leader hand-over during a shutdown drain longer than the lease (real Lease API)', () => {
  const ns = runId('e2e-drain');
  const dir = scratchDir(ns);
  const clusterName = `${ns}-c`;
  const lease = `eventrouter-${ns}`;
  const leaseMs = 4000;
  const routers: RouterProcess[] = [];
  let proxy: HoldingProxy;
  const config = (endpoint: string) => {
    const c = routerConfig({
      clusterName,
      namespaces: [ns],
      checkpoint: { store: 'configmap', configMapName: `checkpoint-${ns}` },
      leaderElection: { enabled: true, leaseName: lease, leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '1s' },
      maxBatchSize: 5,
      extra: { shutdownTimeout: '60s' },
    });
    // Held requests must not time out and be retried: the proxy would forward both.
    Object.assign((c['sinks'] as Array<Record<string, unknown>>)[0]!, { endpoint, timeout: '60s' });
    return c;
  };
  const start = (name: string, endpoint: string) => {
    const r = startRouter(dir, name, config(endpoint), { POD_NAME: name, POD_NAMESPACE: ns, OTEL_RESOURCE_ATTRIBUTES: `e2e.router=${name}` });
    routers.push(r);
    return r;
  };
  const byRouter = (records: OtelRecord[]) => Object.fromEntries(countBy(records, (r) => String(r.resource['e2e.router'])));

  before(async () => {
    const env = e2eEnv();
    await createNamespace(ns);
    proxy = new HoldingProxy(env.EVENTROUTER_E2E_OTLP_HTTP);
    await proxy.start();
  });
  after(async () => {
    await Promise.all(routers.map((r) => r.stop('SIGKILL')));
    await proxy.stop();
  });

  it('SIGTERM: the leader renews through a drain of 3 lease durations, checkpoints, releases; the standby waits; no duplicates, no loss', async () => {
    const d = start('router-d', proxy.url);
    await waitFor(async () => (await holderName(ns, lease)) === 'router-d', 'router-d to lead', 30_000, () => d.stderr.slice(-1000));
    const e = start('router-e', e2eEnv().EVENTROUTER_E2E_OTLP_HTTP);
    await sleep(3000); // router-e up, on standby
    assert.equal(e.child.exitCode, null, e.stderr.slice(-1000));

    proxy.hold();
    const first = await createSimpleEvents(ns, 'drain', 40);
    await waitFor(() => proxy.heldCount > 0, 'router-d to export (held at the proxy)', 30_000, () => d.stderr.slice(-1000));
    await sleep(2000); // router-d reads all 40 into its queue; it cannot export them
    d.child.kill('SIGTERM');
    const holders = new Set<string>();
    const renewals = new Set<string>();
    const heldFrom = Date.now();
    while (Date.now() - heldFrom < 3 * leaseMs) {
      const spec = await leaseSpec(ns, lease);
      holders.add(String(spec?.holderIdentity ?? '').replace(/_[0-9a-f-]{36}$/, ''));
      if (String(spec?.holderIdentity).startsWith('router-d_')) renewals.add(String(spec?.renewTime));
      await sleep(250);
    }
    const heldMs = Date.now() - heldFrom;
    const stillDraining = d.child.exitCode === null;
    proxy.release();
    // Already signalled: a second SIGTERM would force an immediate exit.
    const exit = await Promise.race([d.done, sleep(90_000).then(() => ({ code: 'no exit within 90 s' }))]);
    assert.equal(exit.code, 0, d.stderr.slice(-2000));
    const afterRelease = await holderName(ns, lease);
    await waitFor(async () => (await holderName(ns, lease)) === 'router-e', 'router-e to take over', 30_000, () => e.stderr.slice(-1500));
    const fresh = await createSimpleEvents(ns, 'drain-after', 10);
    const keys = [...first, ...fresh].map((u) => `${u}/1`);
    await waitFor(() => delivery(collected(clusterName), keys).missing.length === 0, 'every event', 60_000, () => e.stderr.slice(-1500));
    await sleep(2000); // let late duplicates, if any, arrive
    const result = delivery(collected(clusterName), keys);
    console.log(
      `# hand-over during a drain: requests held ${heldMs} ms (lease ${leaseMs} ms), lease holders seen meanwhile ${JSON.stringify([...holders])}, ` +
        `${renewals.size} renewals by router-d during the drain, holder right after its exit "${afterRelease}", ` +
        `records by router ${JSON.stringify(byRouter(collected(clusterName)))}, ${result.duplicates} duplicates, ${result.missing.length} lost of ${keys.length}`,
    );
    assert.ok(stillDraining, 'router-d was still draining when the requests were let through');
    assert.deepEqual([...holders], ['router-d'], 'nobody else held the lease during the drain');
    assert.ok(renewals.size >= 3, `router-d renewed during the drain (${renewals.size} renewals)`);
    assert.deepEqual(result.missing, []);
    assert.equal(result.duplicates, 0, 'nothing sent twice');
    assert.equal((await e.stop('SIGTERM')).code, 0);
  });
});

describe('two routers configured with the same leaderElection.identity (real Lease API)', () => {
  const ns = runId('e2e-sameid');
  const dir = scratchDir(ns);
  const clusterName = `${ns}-c`;
  const lease = `eventrouter-${ns}`;
  const routers: RouterProcess[] = [];
  const config = routerConfig({
    clusterName,
    namespaces: [ns],
    checkpoint: { store: 'configmap', configMapName: `checkpoint-${ns}` },
    leaderElection: { enabled: true, leaseName: lease, identity: 'shared', leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '1s' },
  });
  const start = (name: string) => {
    const r = startRouter(dir, name, config, { POD_NAME: name, POD_NAMESPACE: ns, OTEL_RESOURCE_ATTRIBUTES: `e2e.router=${name}` });
    routers.push(r);
    return r;
  };

  before(async () => {
    e2eEnv();
    await createNamespace(ns);
  });
  after(async () => {
    await Promise.all(routers.map((r) => r.stop('SIGKILL')));
  });

  it('only one leads and exports; no event is exported twice', async () => {
    const f = start('router-f');
    await waitFor(async () => (await holderName(ns, lease)) === 'shared', 'a shared_<uuid> holder', 30_000, () => f.stderr.slice(-1000));
    const g = start('router-g');
    await sleep(4000); // router-g up and campaigning for a few retry periods
    const uids = await createSimpleEvents(ns, 'sameid', 20);
    const keys = uids.map((u) => `${u}/1`);
    await waitFor(() => delivery(collected(clusterName), keys).missing.length === 0, 'every event', 60_000, () => f.stderr.slice(-1000));
    await sleep(3000); // a second leader's copies, if any, arrive meanwhile
    const records = collected(clusterName);
    const result = delivery(records, keys);
    const exporters = Object.fromEntries(countBy(records, (r) => String(r.resource['e2e.router'])));
    console.log(`# same configured identity: lease holder ${JSON.stringify((await leaseSpec(ns, lease))?.holderIdentity)}, records by router ${JSON.stringify(exporters)}, ${result.duplicates} duplicates, ${result.missing.length} lost of ${keys.length}`);
    assert.equal(Object.keys(exporters).length, 1, 'one router exported');
    assert.equal(result.duplicates, 0);
    assert.deepEqual(result.missing, []);
    for (const r of [f, g]) assert.equal((await r.stop('SIGTERM')).code, 0, r.stderr.slice(-1500));
  });
});
