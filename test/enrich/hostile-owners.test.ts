import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { OwnerEnricher } from '../../src/enrich/owner-enricher.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { testConfig } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function recordAbout(namespace: string, ref: Record<string, unknown>, i = 0) {
  return mapEvent(
    normalizeEvent({ metadata: { name: `e-${i}`, namespace, uid: `event-${i}` }, involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace, ...ref } }),
    'ADDED',
  );
}

describe('owner enrichment against hostile objects', () => {
  let api: FakeApiServer;
  beforeEach(async () => {
    api = new FakeApiServer();
    await api.start();
  });
  afterEach(async () => api.stop());

  const make = () => new OwnerEnricher({ ...testConfig().enrich, qps: 1000, client: KubeClient.fromServer(api.url), metrics: new Metrics(), logger: silentLogger() });

  it('never asks for an object the API server could not hold: ".", "..", a megabyte-long name or uid', async () => {
    api.create('/api/v1/pods', { metadata: { name: 'real', namespace: 'ns', uid: 'uid-real' }, spec: {} });
    const enricher = make();
    const names = ['.', '..', 'x'.repeat(300_000), 'UPPER', 'a/b', '%2e'];
    for (const [i, name] of names.entries()) await enricher.enrich(recordAbout('ns', { name, uid: `forged-${i}` }, i));
    await enricher.enrich(recordAbout('ns', { name: 'real', uid: 'u'.repeat(200_000) }, 99));
    // `pods/.` is `pods/` once in a URL: the LIST of every pod in the namespace, read whole.
    assert.deepEqual([...api.requests.keys()].filter((key) => key.startsWith('GET ')), []);
    // A real object is still looked up.
    await enricher.enrich(recordAbout('ns', { name: 'real', uid: 'uid-real' }, 100));
    assert.equal(api.requests.get('GET /api/v1/namespaces/ns/pods/real'), 1);
  });

  it('keeps no more of 200 objects with 200 KiB service annotations than its byte bound', async () => {
    const N = 200;
    for (let i = 0; i < N; i++) {
      const annotations = {
        'resource.opentelemetry.io/service.version': `${i}-`.padEnd(200 * 1024, 'v'),
        'example.com/unread': `${i}-`.padEnd(50 * 1024, 'u'),
      };
      api.create('/api/v1/pods', { metadata: { name: `p-${i}`, namespace: 'ns', uid: `uid-${i}`, annotations }, spec: { nodeName: 'n' } });
    }
    const enricher = make();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < N; i += 20) {
      const batch = Array.from({ length: 20 }, (_, j) => recordAbout('ns', { name: `p-${i + j}`, uid: `uid-${i + j}` }, i + j));
      const found = await Promise.all(batch.map((r) => enricher.enrich(r)));
      // What decides service.version is still handed on.
      assert.ok(found.every((m, j) => m?.annotations?.['resource.opentelemetry.io/service.version']?.startsWith(`${i + j}-`)));
    }
    gc();
    const retainedMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    console.log(`owner caches after ${N} objects of 250 KiB annotations: ${retainedMb.toFixed(1)} MB retained, ${JSON.stringify(enricher.cacheSizes)}`);
    // Unbounded, the caches kept every annotation: 49 MB. The bound is 16 MiB of estimated (two bytes a character) text.
    assert.ok(retainedMb < 20, `${retainedMb.toFixed(1)} MB retained`);
  });

  it('stops reading an object whose answer runs past 4 MiB (a misbehaving API server), and goes on', async () => {
    // Writes up to 256 MiB of one JSON string, as fast as the reader takes it; counts what it wrote.
    let written = 0;
    let closed = false;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"metadata":{"name":"');
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (written < 256 * 1024 * 1024 && !closed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      res.on('close', () => (closed = true));
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const metrics = new Metrics();
      const enricher = new OwnerEnricher({ ...testConfig().enrich, deadline: 60_000, client: KubeClient.fromServer(url), metrics, logger: silentLogger() });
      const record = recordAbout('ns', { name: 'endless', uid: 'uid-endless' });
      assert.equal(await enricher.enrich(record), undefined);
      await waitFor(() => closed, 'the connection closed by the reader', 30_000);
      console.log(`endless object answer: the reader closed it after ${(written / 1024 / 1024).toFixed(1)} MiB written`);
      assert.ok(written < 32 * 1024 * 1024, `${written} bytes written before the reader gave up`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
