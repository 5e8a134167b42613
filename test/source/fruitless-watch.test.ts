/**
 * A server (or proxy) that answers every watch with one line that moves nothing, then closes
 * it: a malformed frame, or a BOOKMARK at the cursor. Any frame used to count as progress, so the
 * source reconnected at once: ~10,000 watches a second. A watch that did not move the cursor is
 * now paced by the backoff, as an empty one always was.
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
import { waitFor } from '../support/otlp-receiver.ts';

const MIN_BACKOFF_MS = 300;

describe('a watch answered with one line that moves nothing, then closed', () => {
  let server: Server | undefined;
  let source: EventSource | undefined;
  afterEach(async () => {
    await source?.shutdown();
    await closeServer(server);
  });

  const lines = {
    'a malformed frame': 'not json at all\n',
    'a BOOKMARK at the cursor': `${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Event', apiVersion: 'v1', metadata: { resourceVersion: '5' } } })}\n`,
  };
  for (const [what, line] of Object.entries(lines)) {
    it(`(${what}) reconnects after the backoff, not at once`, async () => {
      const watches: number[] = [];
      server = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        res.writeHead(200, { 'content-type': 'application/json' });
        if (url.searchParams.get('watch') !== 'true') return void res.end(JSON.stringify({ kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: '5' }, items: [] }));
        watches.push(performance.now());
        res.end(line);
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      source = new EventSource({
        client: KubeClient.fromServer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
        settings: configSchema.parse({ source: { minBackoff: `${MIN_BACKOFF_MS}ms`, maxBackoff: `${MIN_BACKOFF_MS * 2}ms` } }).source,
        namespace: '',
        deliver: async () => {},
        metrics: new Metrics(),
        logger: silentLogger(),
      });
      void source.start();
      await waitFor(() => watches.length >= 4, 'four watches', 30_000);
      const gaps = watches.slice(1, 4).map((t, i) => Math.round(t - (watches[i] as number)));
      console.log(`one line that moves nothing (${what}): gaps between the first four watches ${gaps.join(', ')} ms`);
      for (const gap of gaps) assert.ok(gap >= MIN_BACKOFF_MS * 0.9, `watches ${gaps.join(', ')} ms apart`);
    });
  }
});
