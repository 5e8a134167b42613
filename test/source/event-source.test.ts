import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { KubeClient, toApiError } from '../../src/kube/kube-client.ts';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/util/retry-after.ts';
import { capturingLogger } from '../support/capturing-logger.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { configSchema } from '../../src/config/schema.ts';
import { EventSource, type EventSourceSettings } from '../../src/source/event-source.ts';
import { MAX_LIST_PAGE_BYTES } from '../../src/source/list-page.ts';
import type { SourceItem } from '../../src/source/source-item.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent } from '../support/harness.ts';
import { metricSum } from '../support/metric-samples.ts';
import { waitFor } from '../support/otlp-receiver.ts';
import { status } from '../support/scripted-stream.ts';

const EVENTS = '/api/v1/events';
const isList = (method: string, path: string, query: URLSearchParams) => method === 'GET' && path === EVENTS && query.get('watch') === null;


describe('event source retries', () => {
  let api: FakeApiServer | undefined;
  const sources: EventSource[] = [];
  afterEach(async () => {
    for (const source of sources.splice(0)) await source.shutdown();
    await api?.stop();
    api = undefined;
  });

  function startSource(options: {
    minBackoffMs: number;
    maxBackoffMs: number;
    pageSize?: number;
    inactivityTimeout?: string;
    /** Called with each batch before it counts as delivered (the pipeline's back-pressure). */
    deliver?: (batch: SourceItem[]) => Promise<void>;
  }) {
    const { logger, entries } = capturingLogger();
    const metrics = new Metrics();
    const items: SourceItem[] = [];
    const source = new EventSource({
      client: KubeClient.fromServer(api!.url),
      settings: configSchema.parse({
        source: {
          pageSize: options.pageSize,
          minBackoff: `${options.minBackoffMs}ms`,
          maxBackoff: `${options.maxBackoffMs}ms`,
          inactivityTimeout: options.inactivityTimeout,
        },
      }).source,
      namespace: '',
      deliver: async (batch) => {
        await options.deliver?.(batch);
        items.push(...batch);
      },
      metrics,
      logger,
    });
    sources.push(source);
    void source.start();
    return { source, entries, items, metrics };
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
    assert.equal(await metricSum(metrics, 'eventrouter_watch_restarts_total', { cause: 'http' }), 1);
  });

  it('treats a continue token that repeats as a failed list and backs off, instead of looping', async () => {
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 12; i++) api.create(EVENTS, podEvent());
    api.repeatContinueToken = true;
    const { metrics } = startSource({ minBackoffMs: 60_000, maxBackoffMs: 60_000, pageSize: 5 });
    await waitFor(async () => (await metricSum(metrics, 'eventrouter_malformed_total', { kind: 'continue-token-repeated' })) === 1, 'the repeated token to be detected');
    // The first page, then the page that repeated the token; the next attempt waits a minute.
    assert.equal(api.requests.get(`GET ${EVENTS}`), 2);
    assert.equal(await metricSum(metrics, 'eventrouter_watch_restarts_total', { cause: 'error' }), 1);
  });

  it('lists every page when the tokens advance', async () => {
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 12; i++) api.create(EVENTS, podEvent());
    const { source, items } = startSource({ minBackoffMs: 20, maxBackoffMs: 200, pageSize: 5 });
    await waitFor(() => source.synced, 'the list to complete');
    assert.equal(items.filter((i) => i.kind === 'event').length, 12);
  });

  it('asks for fewer objects per LIST page while a page is over the page byte cap, and hands on every event', async () => {
    api = new FakeApiServer();
    await api.start();
    const message = 'm'.repeat(MAX_LIST_PAGE_BYTES / 10);
    for (let i = 0; i < 30; i++) api.create(EVENTS, podEvent({ message: `${i} ${message}` }));
    const deliveries: number[] = [];
    const { source, items, metrics } = startSource({
      minBackoffMs: 20,
      maxBackoffMs: 200,
      pageSize: 500,
      deliver: async (batch) => void deliveries.push(batch.filter((i) => i.kind === 'event').length),
    });
    await waitFor(() => source.synced, 'the list to complete');
    const events = items.flatMap((i) => (i.kind === 'event' ? [i.event] : []));
    assert.deepEqual(events.map((e) => Number(e.message?.split(' ')[0])).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));
    // No page handed on was larger than the cap: 500 → 250 → ... → 7 objects of 0.4 MiB.
    assert.ok(Math.max(...deliveries) * message.length <= MAX_LIST_PAGE_BYTES, `pages of ${deliveries.join(', ')} events`);
    assert.ok((await metricSum(metrics, 'eventrouter_malformed_total', { kind: 'list-page-too-large' })) >= 1);
  });
});

function counted(metrics: Metrics, counter: 'watchRestarts' | 'checkpointDiscarded', label: string): Promise<number> {
  return counter === 'watchRestarts'
    ? metricSum(metrics, 'eventrouter_watch_restarts_total', { cause: label })
    : metricSum(metrics, 'eventrouter_checkpoint_discarded_total', { reason: label });
}

const eventCount = (items: readonly SourceItem[]) => items.filter((i) => i.kind === 'event').length;
/** Complete LISTs so far (the fake server counts list and watch requests as one). */
const lists = (entries: ReadonlyArray<Record<string, unknown>>) => entries.filter((e) => e['msg'] === 'list complete').length;

describe('event source watch', () => {
  let api: FakeApiServer | undefined;
  const sources: EventSource[] = [];
  afterEach(async () => {
    for (const source of sources.splice(0)) await source.shutdown();
    await api?.stop();
    api = undefined;
  });

  async function start(
    options: {
      inactivityTimeout?: string;
      backfill?: string;
      watchCoalesce?: string;
      /** Settings beyond what the schema accepts (a wait longer than any test). */
      override?: Partial<EventSourceSettings>;
      deliver?: (batch: SourceItem[]) => Promise<void>;
      before?: (api: FakeApiServer) => void;
    } = {},
  ) {
    api = new FakeApiServer();
    await api.start();
    options.before?.(api);
    const { logger, entries } = capturingLogger();
    const metrics = new Metrics();
    const items: SourceItem[] = [];
    const source = new EventSource({
      client: KubeClient.fromServer(api.url),
      settings: {
        ...configSchema.parse({
          source: {
            minBackoff: '20ms',
            maxBackoff: '200ms',
            inactivityTimeout: options.inactivityTimeout,
            backfill: options.backfill,
            watchCoalesce: options.watchCoalesce,
          },
        }).source,
        ...options.override,
      },
      namespace: '',
      deliver: async (batch) => {
        await options.deliver?.(batch);
        items.push(...batch);
      },
      metrics,
      logger,
    });
    sources.push(source);
    await source.start();
    await waitFor(() => source.synced && api!.watcherCount > 0, 'the watch', 10_000);
    return { api, source, items, metrics, entries };
  }

  it('on a first start lists only the events younger than backfill', async () => {
    const recent = new Date().toISOString();
    const { items } = await start({
      backfill: '10m',
      before: (api) => {
        for (let i = 0; i < 3; i++) api.create(EVENTS, podEvent({ message: `old ${i}` }));
        api.create(EVENTS, podEvent({ message: 'recent', lastTimestamp: recent }));
      },
    });
    assert.deepEqual(
      items.flatMap((i) => (i.kind === 'event' ? [i.event.message] : [])),
      ['recent'],
    );
  });

  it('hands on watched events and moves its cursor to the last one delivered', async () => {
    const { api, source, items } = await start();
    for (let i = 0; i < 5; i++) api.create(EVENTS, podEvent());
    await waitFor(() => eventCount(items) === 5, 'five watched events', 10_000);
    await waitFor(() => source.resourceVersion === api.resourceVersion, 'the cursor at the last event', 10_000);
  });

  it('moves its cursor only once the pipeline has accepted the items', async () => {
    let release: () => void = () => {};
    let blocked = false;
    const { api, source, items } = await start({
      deliver: (batch) => {
        if (!batch.some((i) => i.kind === 'event' && i.notification === 'ADDED')) return Promise.resolve();
        blocked = true;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    const before = source.resourceVersion;
    api.create(EVENTS, podEvent());
    await waitFor(() => blocked, 'the delivery to block', 10_000);
    assert.equal(source.resourceVersion, before);
    release();
    await waitFor(() => eventCount(items) === 1, 'the delivery to finish', 10_000);
    assert.equal(source.resourceVersion, api.resourceVersion);
  });

  it('resumes from its cursor when the server closes the stream, without repeating what it delivered', async () => {
    const { api, items, metrics, entries } = await start();
    for (let i = 0; i < 3; i++) api.create(EVENTS, podEvent());
    await waitFor(() => eventCount(items) === 3, 'the first events', 10_000);
    api.closeWatches();
    await waitFor(async () => (await counted(metrics, 'watchRestarts', 'closed')) >= 1 && api.watcherCount > 0, 'a new watch', 10_000);
    for (let i = 0; i < 3; i++) api.create(EVENTS, podEvent());
    await waitFor(() => eventCount(items) === 6, 'the events after the reconnect', 10_000);
    assert.equal(lists(entries), 1, 'resumed by a watch, not a re-list');
  });

  it('reconnects a stream that goes silent, and counts it as an inactivity restart', async () => {
    const { api, items, metrics } = await start({ inactivityTimeout: '50ms' });
    await waitFor(async () => (await counted(metrics, 'watchRestarts', 'inactivity')) >= 1, 'the watchdog to reconnect', 10_000);
    await waitFor(() => api.watcherCount > 0, 'a new watch', 10_000);
    api.create(EVENTS, podEvent());
    await waitFor(() => eventCount(items) === 1, 'an event after the reconnect', 10_000);
  });

  it('does not count the time the pipeline pushes back as silence', async () => {
    let release: () => void = () => {};
    let blocked = false;
    const { api, source, items, metrics } = await start({
      inactivityTimeout: '50ms',
      deliver: (batch) => {
        if (!batch.some((i) => i.kind === 'event' && i.notification === 'ADDED')) return Promise.resolve();
        blocked = true;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    api.create(EVENTS, podEvent());
    await waitFor(() => blocked, 'the delivery to block', 10_000);
    // Blocked for several watchdog periods with no data from the server.
    await waitFor(() => source.idleMs > 200, 'four watchdog periods of back-pressure', 10_000);
    release();
    await waitFor(() => eventCount(items) === 1, 'the delivery to finish', 10_000);
    assert.equal(await counted(metrics, 'watchRestarts', 'inactivity'), 0);
    assert.equal(await counted(metrics, 'watchRestarts', 'closed'), 0);
  });

  it('handles the events that trickle in during a coalescing wait in one pass', async () => {
    const batches: number[] = [];
    const { api, items } = await start({
      watchCoalesce: '1s',
      deliver: async (batch) => void batches.push(batch.filter((i) => i.kind === 'event').length),
    });
    api.create(EVENTS, podEvent());
    await waitFor(() => eventCount(items) === 1, 'the first event', 10_000);
    // One write each, 10 ms apart: without the wait, one read and one delivery each.
    for (let i = 0; i < 5; i++) {
      api.create(EVENTS, podEvent());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await waitFor(() => eventCount(items) === 6, 'the trickled events', 10_000);
    const withEvents = batches.filter((n) => n > 0);
    assert.equal(withEvents[0], 1);
    assert.ok(Math.max(...withEvents.slice(1)) >= 2, `deliveries after the first: ${withEvents.slice(1).join(', ')}`);
  });

  it('with watchCoalesce 0 reads each chunk as it comes', async () => {
    const batches: number[] = [];
    const { api, items } = await start({
      watchCoalesce: '0',
      deliver: async (batch) => void batches.push(batch.filter((i) => i.kind === 'event').length),
    });
    for (let i = 0; i < 3; i++) {
      api.create(EVENTS, podEvent());
      // The next write only once this one was handed on: three reads, three deliveries.
      await waitFor(() => eventCount(items) === i + 1, `event ${i + 1}`, 10_000);
    }
    assert.deepEqual(batches.filter((n) => n > 0), [1, 1, 1]);
  });

  it('does not count a coalescing wait longer than the inactivity timeout as silence, nor as a stalled loop', async () => {
    const { api, source, items, metrics } = await start({ watchCoalesce: '300ms', inactivityTimeout: '100ms' });
    // The liveness probe's view, sampled through the waits (its bound: inactivity + grace = 200 ms).
    let stalled = 0;
    const probe = setInterval(() => (stalled = Math.max(stalled, source.stalledMs)), 10);
    for (let i = 0; i < 10; i++) {
      api.create(EVENTS, podEvent());
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await waitFor(() => eventCount(items) === 10, 'every event', 10_000);
    clearInterval(probe);
    assert.equal(await counted(metrics, 'watchRestarts', 'inactivity'), 0);
    assert.equal(stalled, 0, 'the watch loop looked stalled during a wait');
  });

  it('ends a coalescing wait at shutdown', async () => {
    const { api, source, items } = await start({ override: { watchCoalesce: 3_600_000 } });
    api.create(EVENTS, podEvent());
    await waitFor(() => eventCount(items) === 1, 'the event', 10_000);
    // The source now waits an hour before its next read; shutdown must not.
    let shutDown = false;
    void source.shutdown().then(() => (shutDown = true));
    await waitFor(() => shutDown, 'shutdown to resolve', 10_000);
    await waitFor(() => api.watcherCount === 0, 'the watch to close', 10_000);
  });

  it('re-lists after a 410 ERROR frame in the stream', async () => {
    const { api, metrics, entries } = await start();
    api.injectRaw(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version: 1 (2)') }));
    await waitFor(async () => (await counted(metrics, 'watchRestarts', 'expired')) === 1, 'the 410 to be seen', 10_000);
    await waitFor(() => lists(entries) === 2, 'a second list', 10_000);
  });

  it('discards its cursor and re-lists on a ResourceVersionTooLarge ERROR frame (etcd restored from a backup)', async () => {
    const { api, metrics, entries } = await start();
    api.injectRaw(JSON.stringify({ type: 'ERROR', object: FakeApiServer.tooLargeStatus(999_999, 1001) }));
    await waitFor(async () => (await counted(metrics, 'checkpointDiscarded', 'too-large')) === 1, 'the cursor to be discarded', 10_000);
    await waitFor(() => lists(entries) === 2, 'a second list', 10_000);
  });

  it('lifecycle: start lists and watches; shutdown closes the watch and resolves done; a second shutdown does nothing', async () => {
    const { api, source } = await start();
    await source.shutdown();
    await source.done;
    await waitFor(() => api.watcherCount === 0, 'the watch to close', 10_000);
    await source.shutdown();
    await source.start();
    assert.equal(api.watcherCount, 0, 'a source that was shut down does not read again');
  });
});

