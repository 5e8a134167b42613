/**
 * A quiet cluster stays live (issue 19, item 2), on the real kube-apiserver: an Events watch
 * gets no bookmarks (the events resource bypasses the watch cache), so in a namespace where
 * nothing happens no byte arrives; the server ends each watch at timeoutSeconds and the router
 * re-opens it. Before, only received bytes counted as activity and /healthz turned 503 after
 * twice inactivityTimeout + 1 min (at ~420 s with the defaults): a kubelet restarted healthy
 * pods in every quiet cluster. Defaults here, except shorter timeouts: watchTimeout 5s (the
 * server ends each watch after 5–10 s) and inactivityTimeout 10s (the old bound: 80 s).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseSamples } from '../support/metric-samples.ts';
import { type RouterProcess, createNamespace, e2eEnv, routerConfig, runId, scratchDir, startRouter, waitFor } from './support.ts';
import { freePort } from './peer-process.ts';

describe('a quiet cluster on the real kube-apiserver', () => {
  let router: RouterProcess | undefined;
  before(() => void e2eEnv());
  after(async () => {
    await router?.stop('SIGKILL');
  });

  it('keeps /healthz 200 through many server-ended watches with no event and no bookmark', async () => {
    const ns = runId('e2e-quiet');
    await createNamespace(ns);
    const port = await freePort();
    const base = routerConfig({ clusterName: `${ns}-c`, namespaces: [ns] });
    const config = {
      ...base,
      // Only the timeouts shortened; backoff and everything else at their defaults.
      source: { api: 'core/v1', namespaces: [ns], watchTimeout: '5s', inactivityTimeout: '10s' },
      server: { listen: `127.0.0.1:${port}` },
    };
    router = startRouter(scratchDir(ns), 'router', config);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, 'the router ready', 60_000, () => router!.stderr.slice(-1500));

    const failures: string[] = [];
    let probes = 0;
    let idleSeconds = 0;
    // Until no byte has come for longer than the old bound (80 s), probing every second as a kubelet would.
    await waitFor(
      async () => {
        const response = await fetch(`${url}/healthz`);
        const body = (await response.json()) as Record<string, any>;
        probes += 1;
        if (response.status !== 200) failures.push(`${response.status} ${JSON.stringify(body)}`);
        idleSeconds = body['watchIdleSeconds'];
        return idleSeconds > 85;
      },
      'no byte from the API server for longer than the old bound',
      240_000,
      () => `idle ${idleSeconds}s; ${router!.stderr.slice(-1500)}`,
    );
    const samples = parseSamples(await (await fetch(`${url}/metrics`)).text());
    const sum = (name: string, labels: Record<string, string>) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
    const closed = sum('eventrouter_watch_restarts_total', { cause: 'closed' });
    const bookmarks = sum('eventrouter_notifications_total', { type: 'BOOKMARK' });
    const inactivity = sum('eventrouter_watch_restarts_total', { cause: 'inactivity' });
    console.log(`# quiet e2e: ${probes} probes over ${idleSeconds}s without a byte, ${failures.length} failed; ${closed} watches ended by the server, ${inactivity} by the watchdog, ${bookmarks} bookmarks`);
    assert.deepEqual(failures, [], '/healthz 200 throughout');
    assert.ok(probes >= 80, `${probes} probes`);
    assert.ok(closed >= 3, `${closed} watches ended by the server`);
    assert.equal(bookmarks, 0, 'the real server sent no BOOKMARK on the events watch');
    assert.ok(samples.some((s) => s.name === 'eventrouter_notifications_total' || s.name === 'eventrouter_watch_restarts_total'), 'the counters are there to read');
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
  });
});
