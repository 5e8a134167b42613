import assert from 'node:assert/strict';
import { type TestContext, describe, it } from 'node:test';
import { App } from '../../src/app/app.ts';
import { NoCheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import { KubeClient, type KubeResponse, type RequestOptions } from '../../src/kube/kube-client.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { testConfig } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';

/**
 * The leader-election loop is a hang that liveness detects (issue 19): an acquire/renew loop
 * that stopped would leave a leader exporting after its lease expired elsewhere, or a standby
 * that never takes over, with /healthz 200. A loop that moves (a standby waiting for a held
 * lease, a leader renewing in a quiet cluster, attempts that time out against a hung API
 * server) stays live.
 */
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/eventrouter/leases';
// Bound of one step: an attempt within renewDeadline (1 s) + retryPeriod (200 ms).
const ELECTION = { enabled: true, leaseNamespace: 'eventrouter', leaseDuration: '1500ms', renewDeadline: '1s', retryPeriod: '200ms' };
// Probes taken 50 ms apart: 60 of them span well over one step's bound.
const PROBES = 60;

interface Probe {
  status: number;
  body: Record<string, any>;
}

async function probe(app: App): Promise<Probe> {
  const response = await fetch(`http://${app.serverAddress}/healthz`);
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** `count` probes of /healthz, 50 ms apart. */
async function probes(app: App, count: number): Promise<Probe[]> {
  const seen: Probe[] = [];
  while (seen.length < count) {
    seen.push(await probe(app));
    await new Promise((r) => setTimeout(r, 50));
  }
  return seen;
}

/**
 * A client whose Lease requests, once `wedge()` was called, never settle and ignore their abort:
 * an await that never resolves (a credential plugin that never returns, say), where no request
 * timeout can free the loop.
 */
class WedgingClient extends KubeClient {
  #wedged = false;
  #pending: Array<(error: Error) => void> = [];
  wedgedRequests = 0;

  static to(url: string): WedgingClient {
    return new WedgingClient(KubeClient.fromServer(url).kubeConfig);
  }

  wedge(): void {
    this.#wedged = true;
  }

  /** Fails the stuck requests, so that the elector can move and stop. */
  release(): void {
    this.#wedged = false;
    for (const reject of this.#pending.splice(0)) reject(new Error('released'));
  }

  override async request(path: string, options: RequestOptions = {}): Promise<KubeResponse> {
    if (!this.#wedged || !path.startsWith(LEASES)) return super.request(path, options);
    this.wedgedRequests += 1;
    return new Promise<KubeResponse>((_, reject) => this.#pending.push(reject));
  }
}

function cleanupsOf(t: TestContext): Array<() => Promise<void>> {
  const cleanups: Array<() => Promise<void>> = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return cleanups;
}

async function api(cleanups: Array<() => Promise<void>>): Promise<FakeApiServer> {
  const server = new FakeApiServer();
  await server.start();
  cleanups.push(() => server.stop());
  return server;
}

async function replica(cleanups: Array<() => Promise<void>>, name: string, client: KubeClient): Promise<App> {
  const app = new App({
    config: testConfig({ server: { listen: '127.0.0.1:0' }, leaderElection: ELECTION }),
    client,
    logger: silentLogger(),
    sinks: () => [new InMemorySink()],
    checkpointStore: new NoCheckpointStore(),
    env: { POD_NAME: name, POD_NAMESPACE: 'eventrouter' },
  });
  cleanups.push(() => app.stop(1000).then(() => undefined));
  await app.start();
  return app;
}

function assertLive(seen: Probe[], states: readonly string[]): void {
  assert.deepEqual(seen.filter((p) => p.status !== 200).map((p) => p.body), [], 'every probe 200');
  for (const { body } of seen) {
    assert.equal(body['leaderElection']?.stalledSeconds, 0, JSON.stringify(body));
    assert.ok(states.includes(body['leaderElection'].state), JSON.stringify(body));
  }
}

describe('liveness of the leader-election loop', { concurrency: true }, () => {
  it('turns 503 naming leaderElection when the renew loop is wedged, and 200 again once it moves', async (t) => {
    const cleanups = cleanupsOf(t);
    const server = await api(cleanups);
    const client = WedgingClient.to(server.url);
    const app = await replica(cleanups, 'router-a', client);
    cleanups.push(async () => client.release()); // before the app stops: a wedged loop cannot stop
    await waitFor(() => app.isLeader, 'leadership');
    assert.equal((await probe(app)).status, 200);
    client.wedge();
    await waitFor(() => client.wedgedRequests > 0, 'a renewal that wedges');
    await waitFor(async () => (await probe(app)).status === 503, '/healthz 503', 30_000);
    const { body } = await probe(app);
    assert.equal(body['status'], 'unavailable');
    assert.equal(body['leaderElection'].state, 'renewing');
    assert.ok(body['leaderElection'].stalledSeconds >= 0);
    assert.match(body['problems'].join('\n'), /leaderElection loop is stuck \(renewing\)/);
    assert.equal(app.isLeader, true, 'the wedged leader still believes it leads: only a restart ends that');
    client.release();
    await waitFor(async () => (await probe(app)).status === 200, 'live again once the loop moves');
  });

  it('stays live on a standby that waits for a lease another replica holds', async (t) => {
    const cleanups = cleanupsOf(t);
    const server = await api(cleanups);
    const leader = await replica(cleanups, 'router-a', KubeClient.fromServer(server.url));
    await waitFor(() => leader.isLeader, 'the first replica to lead');
    const standby = await replica(cleanups, 'router-b', KubeClient.fromServer(server.url));
    await waitFor(async () => (await probe(standby)).body['holder'] !== null, 'the standby to see the holder');
    const seen = await probes(standby, PROBES);
    assertLive(seen, ['acquiring', 'sleeping']);
    assert.equal(seen.at(-1)!.body['role'], 'standby');
    assert.equal(standby.isLeader, false);
  });

  it('stays live on a leader that renews in a quiet cluster', async (t) => {
    const cleanups = cleanupsOf(t);
    const server = await api(cleanups);
    const app = await replica(cleanups, 'router-a', KubeClient.fromServer(server.url));
    await waitFor(() => app.isLeader, 'leadership');
    const seen = await probes(app, PROBES);
    assertLive(seen, ['renewing', 'sleeping']);
    assert.equal(seen.at(-1)!.body['role'], 'leader');
  });

  it('stays live against an API server that accepts Lease requests and never answers: each request times out', async (t) => {
    const cleanups = cleanupsOf(t);
    const server = await api(cleanups);
    server.hangRequests((_method, path) => path.startsWith(LEASES));
    const app = await replica(cleanups, 'router-a', KubeClient.fromServer(server.url));
    await waitFor(async () => (await probe(app)).body['leader']?.lastError != null, 'an attempt to time out');
    const seen = await probes(app, PROBES);
    assertLive(seen, ['acquiring', 'sleeping']);
    assert.match(seen.at(-1)!.body['leader'].lastError, /abort|timeout/i);
    assert.equal(app.isLeader, false);
  });
});
