import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import type { App } from '../../src/app/app.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { StdoutSink } from '../../src/sinks/stdout/stdout-sink.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { podEvent, startApp, testConfig } from '../support/harness.ts';
import { deeplyNestedJson } from '../support/hostile-input.ts';
import { metricSum } from '../support/metric-samples.ts';
import { waitFor } from '../support/otlp-receiver.ts';

/**
 * Fault injection with hostile input: each case sends what once stopped or killed the router,
 * then 20 ordinary events, and checks that all 20 arrive exactly once (loss and duplicate
 * counts are printed for the record).
 */
const EVENTS = '/api/v1/events';
const ORDINARY = 20;

function counter(app: App, name: string, labels: Record<string, string>): Promise<number> {
  return metricSum(app.metrics, name, labels);
}

/** Creates the 20 ordinary events, waits for them, and checks each arrived exactly once. */
async function ordinaryEventsGetThrough(api: FakeApiServer, delivered: () => string[], name: string): Promise<void> {
  for (let i = 0; i < ORDINARY; i++) api.create(EVENTS, podEvent({ message: `ordinary-${i}` }));
  await waitFor(() => new Set(delivered().filter((m) => m.startsWith('ordinary-'))).size === ORDINARY, `${name}: the ordinary events`, 60_000);
  const counts = new Map<string, number>();
  for (const message of delivered()) if (message.startsWith('ordinary-')) counts.set(message, (counts.get(message) ?? 0) + 1);
  const lost = ORDINARY - counts.size;
  const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
  console.log(`hostile input "${name}": ${counts.size}/${ORDINARY} ordinary events delivered, ${lost} lost, ${duplicates} duplicates`);
  assert.equal(lost, 0);
  assert.equal(duplicates, 0);
}

/** A watch frame for an event, with `extra` JSON text spliced in as a field (for text JSON.stringify cannot write). */
function frameWithRawField(event: Record<string, unknown>, field: string, json: string): string {
  const text = JSON.stringify({ type: 'ADDED', object: event });
  return `${text.slice(0, -2)},"${field}":${json}}}`;
}

describe('hostile input: the router keeps delivering', () => {
  let api: FakeApiServer | undefined;
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop(2000);
    app = undefined;
    await api?.stop();
    api = undefined;
  });

  async function start(config = testConfig(), sink: InMemorySink | StdoutSink = new InMemorySink()): Promise<{ api: FakeApiServer; app: App }> {
    api = new FakeApiServer();
    await api.start();
    app = await startApp({ apiUrl: api.url, config, sinks: [sink] });
    await waitFor(() => app!.router.synced && api!.watcherCount > 0, 'the watch');
    return { api, app };
  }

  it('distinct type, kind, reason and namespace on 5,000 events: /metrics stays bounded', async () => {
    const sink = new InMemorySink();
    const { api, app } = await start(testConfig({ server: { listen: '127.0.0.1:0' } }), sink);
    for (let i = 0; i < 5000; i++) {
      api.create(EVENTS, podEvent({ type: `t${i}`, reason: `r${i}`, involvedObject: { kind: `K${i}`, name: 'x', namespace: `n${i}` } }, `n${i}`));
    }
    await waitFor(() => sink.records.length >= 5000, 'the distinct events', 60_000);
    await ordinaryEventsGetThrough(api, () => sink.records.map((r) => r.body as string), 'distinct labels');
    const text = await (await fetch(`http://${app.serverAddress}/metrics`)).text();
    const series = text.split('\n').filter((line) => line.startsWith('eventrouter_events_total{'));
    console.log(`hostile input "distinct labels": ${series.length} series of eventrouter_events_total after 5,020 events`);
    assert.ok(series.length <= 502, `${series.length} series`);
  });

  it('a drop rule with many stars against an object named 5,000 dashes', async () => {
    const sink = new InMemorySink();
    const { api } = await start(testConfig({ drop: [{ name: '*-*-*-*-*-controller' }] }), sink);
    api.create(EVENTS, podEvent({ message: 'dashes', involvedObject: { kind: 'Pod', name: '-'.repeat(5000), namespace: 'default' } }));
    await ordinaryEventsGetThrough(api, () => sink.records.map((r) => r.body as string), 'backtracking rule');
    assert.ok(sink.records.some((r) => r.body === 'dashes'), 'the rule did not match, so the event went out');
  });

  it('a /regex/ rule with nested quantifiers against a long message', async () => {
    const sink = new InMemorySink();
    const { api } = await start(testConfig({ drop: [{ message: '/^(a+)+$/' }] }), sink);
    api.create(EVENTS, podEvent({ message: `${'a'.repeat(4000)}b` }));
    await ordinaryEventsGetThrough(api, () => sink.records.map((r) => r.body as string), 'backtracking regex');
  });

  it('a 2 MiB event trickled in 1 KiB chunks', async () => {
    const sink = new InMemorySink();
    const { api } = await start(testConfig(), sink);
    const big = podEvent({ message: `big:${'m'.repeat(2 * 1024 * 1024)}` });
    (big['metadata'] as Record<string, unknown>)['resourceVersion'] = api.resourceVersion;
    await api.injectChunked(JSON.stringify({ type: 'ADDED', object: big }), 1024);
    await ordinaryEventsGetThrough(api, () => sink.records.map((r) => r.body as string), 'trickled long line');
    assert.equal(sink.records.filter((r) => (r.body as string).startsWith('big:')).length, 1);
  });

  it('a 5 MiB line (over the 4 MiB cap) is skipped and counted, without a reconnect', async () => {
    const sink = new InMemorySink();
    const { api, app } = await start(testConfig(), sink);
    const huge = podEvent({ message: `huge:${'h'.repeat(5 * 1024 * 1024)}` });
    await api.injectChunked(JSON.stringify({ type: 'ADDED', object: huge }), 64 * 1024);
    await ordinaryEventsGetThrough(api, () => sink.records.map((r) => r.body as string), 'over-long line');
    assert.equal(await counter(app, 'eventrouter_malformed_total', { kind: 'line-too-long' }), 1);
    assert.equal(await counter(app, 'eventrouter_watch_restarts_total', { cause: 'error' }), 0);
    assert.equal(sink.records.filter((r) => (r.body as string).startsWith('huge:')).length, 0);
  });

  it('an event nested 100,000 deep with the classic stdout format', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const config = testConfig({ sinks: [{ name: 'console', type: 'stdout', format: 'classic', batchTimeout: '20ms' }] });
    const { api, app } = await start(config, new StdoutSink({ name: 'console', format: 'classic', stream: out }));
    const deep = podEvent({ message: 'deep' });
    (deep['metadata'] as Record<string, unknown>)['resourceVersion'] = api.resourceVersion;
    api.injectRaw(frameWithRawField(deep, 'extra', deeplyNestedJson(100_000)));
    const messages = () => text.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { event: { message: string } }).event.message);
    await ordinaryEventsGetThrough(api, messages, 'deep nesting, classic format');
    assert.equal(await counter(app, 'eventrouter_records_total', { sink: 'console', outcome: 'failed' }), 1);
    assert.ok(!messages().includes('deep'));
  });

  it('owner lookups that hang: 200 events about 200 pods whose GETs never answer', async () => {
    const sink = new InMemorySink();
    api = new FakeApiServer();
    await api.start();
    api.hangRequests((method, path) => method === 'GET' && path.includes('/pods/'));
    app = await startApp({ apiUrl: api.url, config: testConfig({ enrich: { owners: true, deadline: '2s' } }), sinks: [sink] });
    await waitFor(() => app!.router.synced && api!.watcherCount > 0, 'the watch');
    // One lookup at a time, each waiting its 2 s deadline, needed 400 s for these: the wait below
    // is bounded at 60 s. Lookups now run 64 at once, and the circuit breaker stops asking.
    for (let i = 0; i < 200; i++) {
      api.create(EVENTS, podEvent({ message: `pod-${i}`, involvedObject: { kind: 'Pod', name: `hung-${i}`, namespace: 'default', uid: `hung-uid-${i}` } }));
    }
    await ordinaryEventsGetThrough(api, () => sink.records.map((r) => r.body as string), 'hanging owner lookups');
    assert.equal(sink.records.filter((r) => (r.body as string).startsWith('pod-')).length, 200);
    assert.ok((await counter(app, 'eventrouter_enrich_lookups_total', { outcome: 'skipped' })) > 0, 'the breaker opened');
  });
});
