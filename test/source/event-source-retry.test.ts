import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { KubeClient, toApiError } from '../../src/kube/kube-client.ts';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/util/retry-after.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { configSchema } from '../../src/config/schema.ts';
import { EventSource } from '../../src/source/event-source.ts';
import type { SourceItem } from '../../src/source/source-item.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const EVENTS = '/api/v1/events';
const isList = (method: string, path: string, query: URLSearchParams) => method === 'GET' && path === EVENTS && query.get('watch') === null;

/** A logger whose entries the test can read. */
function capturingLogger(): { logger: pino.Logger; entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) entries.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), entries };
}

describe('event source retries', () => {
  let api: FakeApiServer | undefined;
  const stops: AbortController[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop.abort();
    await api?.stop();
    api = undefined;
  });

  function startSource(options: { minBackoffMs: number; maxBackoffMs: number; pageSize?: number }) {
    const { logger, entries } = capturingLogger();
    const metrics = new Metrics();
    const items: SourceItem[] = [];
    const source = new EventSource({
      client: KubeClient.fromServer(api!.url),
      settings: configSchema.parse({
        source: { pageSize: options.pageSize, minBackoff: `${options.minBackoffMs}ms`, maxBackoff: `${options.maxBackoffMs}ms` },
      }).source,
      namespace: '',
      deliver: async (batch) => void items.push(...batch),
      metrics,
      logger,
    });
    const stop = new AbortController();
    stops.push(stop);
    const running = source.run(stop.signal);
    return { source, entries, items, metrics, running };
  }

  it('reads Retry-After in seconds from an API answer, capped at a minute', async () => {
    assert.equal(parseRetryAfter('30'), 30_000);
    assert.equal(parseRetryAfter('3600'), MAX_RETRY_AFTER_MS);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
    api = new FakeApiServer();
    await api.start();
    api.failRequests(isList, 429, 1, undefined, { 'retry-after': '7' });
    const error = await toApiError(await KubeClient.fromServer(api.url).request(EVENTS));
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 7000);
  });

  it('waits as long as a 429 Retry-After says before listing again, not its own short backoff', async () => {
    api = new FakeApiServer();
    await api.start();
    api.failRequests(isList, 429, 1, undefined, { 'retry-after': '30' });
    const { entries, metrics } = startSource({ minBackoffMs: 20, maxBackoffMs: 200 });
    await waitFor(() => entries.some((e) => e['msg'] === 'list/watch failed; backing off'), 'the failed list to be logged');
    const failure = entries.find((e) => e['msg'] === 'list/watch failed; backing off')!;
    assert.ok(Number(failure['retryInMs']) >= 30_000, `retries in ${String(failure['retryInMs'])} ms`);
    assert.equal(api.requests.get(`GET ${EVENTS}`), 1);
    const restarts = (await metrics.watchRestarts.get()).values.find((v) => v.labels['cause'] === 'http');
    assert.equal(restarts?.value, 1);
  });

  it('treats a continue token that repeats as a failed list and backs off, instead of looping', async () => {
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 12; i++) api.create(EVENTS, podEvent());
    api.repeatContinueToken = true;
    const { metrics } = startSource({ minBackoffMs: 60_000, maxBackoffMs: 60_000, pageSize: 5 });
    const repeated = async () => (await metrics.malformed.get()).values.find((v) => v.labels['kind'] === 'continue-token-repeated')?.value ?? 0;
    let seen = 0;
    await waitFor(() => {
      void repeated().then((n) => (seen = n));
      return seen === 1;
    }, 'the repeated token to be detected');
    // The first page, then the page that repeated the token; the next attempt waits a minute.
    assert.equal(api.requests.get(`GET ${EVENTS}`), 2);
    const restarts = (await metrics.watchRestarts.get()).values.find((v) => v.labels['cause'] === 'error');
    assert.equal(restarts?.value, 1);
  });

  it('lists every page when the tokens advance', async () => {
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 12; i++) api.create(EVENTS, podEvent());
    const { source, items } = startSource({ minBackoffMs: 20, maxBackoffMs: 200, pageSize: 5 });
    await waitFor(() => source.synced, 'the list to complete');
    assert.equal(items.filter((i) => i.kind === 'event').length, 12);
  });
});
