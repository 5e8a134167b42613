/**
 * A server (or a proxy in front of it) that answers every watch with 410 Gone: the source
 * re-lists on a 410, and re-listed at once every time, ~280 full LISTs a second against the
 * fake API server. The first 410 still re-lists at once (a cursor expires now and then); the
 * ones that follow without a watch bringing anything in between back off.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { EventSource } from '../../src/source/event-source.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';
import { status } from '../support/scripted-stream.ts';

const EVENTS = '/api/v1/events';
const MIN_BACKOFF_MS = 300;

describe('a watch answered with 410 every time', () => {
  let api: FakeApiServer | undefined;
  let source: EventSource | undefined;
  let inject: NodeJS.Timeout | undefined;
  afterEach(async () => {
    clearInterval(inject);
    await source?.shutdown();
    await api?.stop();
  });

  for (const as of ['status', 'frame'] as const) {
    it(`(${as === 'status' ? 'HTTP 410' : 'a 410 ERROR frame'}) re-lists at once the first time, then backs off`, async () => {
      api = new FakeApiServer();
      await api.start();
      for (let i = 0; i < 50; i++) api.create(EVENTS, podEvent());
      const lists: number[] = [];
      const expired = status(410, 'Expired', 'too old resource version');
      api.failRequests(
        (method, path, query) => {
          if (method !== 'GET' || path !== EVENTS) return false;
          if (query.get('watch') !== 'true') {
            lists.push(performance.now());
            return false;
          }
          return as === 'status';
        },
        410,
        Number.MAX_SAFE_INTEGER,
        expired as { metadata: Record<string, unknown> },
      );
      if (as === 'frame') {
        // Every watch opens and gets one ERROR frame: what an etcd-backed Event watch sends.
        inject = setInterval(() => api?.injectRaw(JSON.stringify({ type: 'ERROR', object: expired })), 2);
      }
      let delivered = 0;
      source = new EventSource({
        client: KubeClient.fromServer(api.url),
        settings: configSchema.parse({ source: { minBackoff: `${MIN_BACKOFF_MS}ms`, maxBackoff: `${MIN_BACKOFF_MS * 2}ms` } }).source,
        namespace: '',
        deliver: async (items) => void (delivered += items.length),
        metrics: new Metrics(),
        logger: silentLogger(),
      });
      void source.start();
      await waitFor(() => lists.length >= 5, 'five lists', 30_000);
      const gaps = lists.slice(1, 5).map((t, i) => Math.round(t - (lists[i] as number)));
      console.log(`410 on every watch (${as}): gaps between the first five LISTs ${gaps.join(', ')} ms; ${delivered} items delivered`);
      assert.ok(delivered >= 50, 'the listed events were delivered');
      // The second list follows the first 410 at once; every later one waits at least the minimum backoff.
      for (const gap of gaps.slice(1)) assert.ok(gap >= MIN_BACKOFF_MS * 0.9, `lists ${gaps.join(', ')} ms apart`);
    });
  }
});
