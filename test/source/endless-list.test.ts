/**
 * A LIST whose pagination never ends: a server (or proxy) that answers every page with no items
 * and a continue token it never used before. A repeated token was already caught; fresh ones
 * kept the source listing without a pause, never reaching the watch.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { EventSource } from '../../src/source/event-source.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { closeServer } from '../support/http-server.ts';
import { metricSum } from '../support/metric-samples.ts';
import { waitFor } from '../support/otlp-receiver.ts';

describe('a LIST that hands out a new continue token with no items, forever', () => {
  let server: Server | undefined;
  let source: EventSource | undefined;
  afterEach(async () => {
    await source?.shutdown();
    await closeServer(server);
  });

  it('fails that list after a few empty pages and backs off, as for a repeated token', async () => {
    let lists = 0;
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.searchParams.get('watch') === 'true') return; // never answered: the source must not get here
      lists += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: '5', continue: `token-${lists}` }, items: [] }));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const metrics = new Metrics();
    source = new EventSource({
      client: KubeClient.fromServer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
      settings: configSchema.parse({ source: { minBackoff: '200ms', maxBackoff: '400ms' } }).source,
      namespace: '',
      deliver: async () => {},
      metrics,
      logger: silentLogger(),
    });
    void source.start();
    const failed = () => metricSum(metrics, 'eventrouter_watch_restarts_total', { cause: 'error' });
    await waitFor(async () => (await failed()) >= 1, 'the list to fail', 20_000).catch((error: Error) => {
      throw new Error(`${error.message} (${lists} LIST requests so far)`);
    });
    const atFailure = lists;
    console.log(`endless empty pagination: the list failed after ${atFailure} pages`);
    assert.ok(atFailure <= 10, `${atFailure} pages before the list failed`);
    assert.equal(await metricSum(metrics, 'eventrouter_malformed_total', { kind: 'continue-without-items' }), 1);
  });
});
