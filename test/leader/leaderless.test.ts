import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { App } from '../../src/app/app.ts';
import { NoCheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { capturingLogger } from '../support/capturing-logger.ts';
import { testConfig } from '../support/harness.ts';
import { metricSum } from '../support/metric-samples.ts';
import { waitFor } from '../support/otlp-receiver.ts';

/**
 * No leader for longer than a lease duration is visible (issue 19, item 4): with the Lease
 * forbidden by RBAC both replicas keep trying, and each says so on /readyz, in a metric and in
 * one error log, until a replica leads again.
 */
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/eventrouter/leases';
const FORBIDDEN = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'leases.coordination.k8s.io "eventrouter" is forbidden: User "system:serviceaccount:eventrouter:eventrouter" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "eventrouter"',
  reason: 'Forbidden',
  code: 403,
};

describe('no leader', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('is visible on /readyz, in eventrouter_leaderless_seconds and in one error log while the Lease is forbidden, and clears once a replica leads', async () => {
    const api = new FakeApiServer();
    await api.start();
    cleanups.push(() => api.stop());
    let forbidden = true;
    api.failRequests((_method, path) => forbidden && path.startsWith(LEASES), 403, Number.POSITIVE_INFINITY, FORBIDDEN);
    const replicas = ['router-a', 'router-b'].map((name) => {
      const { logger, entries } = capturingLogger();
      const app = new App({
        config: testConfig({
          server: { listen: '127.0.0.1:0' },
          leaderElection: { enabled: true, leaseNamespace: 'eventrouter', leaseDuration: '600ms', renewDeadline: '400ms', retryPeriod: '100ms' },
        }),
        client: KubeClient.fromServer(api.url),
        logger,
        sinks: () => [new InMemorySink()],
        checkpointStore: new NoCheckpointStore(),
        env: { POD_NAME: name, POD_NAMESPACE: 'eventrouter' },
      });
      cleanups.push(() => app.stop(1000).then(() => undefined));
      return { app, entries };
    });
    for (const { app } of replicas) await app.start();
    assert.equal((await fetch(`http://${replicas[0]!.app.serverAddress}/readyz`)).status, 200, 'ready before a lease duration has passed');

    for (const { app, entries } of replicas) {
      await waitFor(async () => (await fetch(`http://${app.serverAddress}/readyz`)).status === 503, '/readyz not ready without a leader');
      const body = (await (await fetch(`http://${app.serverAddress}/readyz`)).json()) as Record<string, any>;
      assert.equal(body['role'], 'standby');
      assert.match(body['problems'].join('\n'), /no replica has held the lease for \d+s: .*forbidden/);
      assert.match(body['leader'].lastError, /forbidden/);
      assert.equal((await fetch(`http://${app.serverAddress}/healthz`)).status, 200, 'a restart would not fix RBAC: still live');
      assert.ok((await metricSum(app.metrics, 'eventrouter_leaderless_seconds')) > 0.6);
      await waitFor(() => entries.some((e) => e['level'] === 50 && /no replica has held the lease/.test(String(e['msg']))), 'an error log');
      assert.equal(entries.filter((e) => e['level'] === 50 && /no replica has held the lease/.test(String(e['msg']))).length, 1, 'said once');
    }

    forbidden = false;
    await waitFor(() => replicas.some(({ app }) => app.isLeader), 'a replica to lead');
    for (const { app } of replicas) {
      await waitFor(async () => (await fetch(`http://${app.serverAddress}/readyz`)).status === 200, 'ready again');
      await waitFor(async () => (await metricSum(app.metrics, 'eventrouter_leaderless_seconds')) === 0, 'the gauge back at 0');
    }
  });
});
