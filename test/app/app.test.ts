import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { App } from '../../src/app/app.ts';
import { otlpSink } from '../support/sinks.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { podEvent, settled, startApp, testConfig } from '../support/harness.ts';
import { metricSum } from '../support/metric-samples.ts';
import { OtlpReceiver, waitFor } from '../support/otlp-receiver.ts';
import { fixtureEvents } from '../support/fixtures.ts';

const EVENTS = '/api/v1/events';

function counter(app: App, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricSum(app.metrics, name, labels);
}

function uniqueKeys(sink: InMemorySink): { keys: string[]; duplicates: string[] } {
  const keys = sink.records.map((r) => r.dedupeKey);
  const seen = new Set<string>();
  const duplicates = keys.filter((k) => (seen.has(k) ? true : (seen.add(k), false)));
  return { keys, duplicates };
}

describe('pipeline: fake API server → router → OTLP receiver', () => {
  let api: FakeApiServer;
  let receiver: OtlpReceiver;
  let app: App | undefined;

  before(async () => {
    receiver = new OtlpReceiver();
    await receiver.start();
  });
  after(async () => receiver.stop());
  afterEach(async () => {
    await app?.stop(2000);
    app = undefined;
    await api?.stop();
    receiver.reset();
  });

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`delivers every listed and watched event exactly once over ${protocol}, one ResourceLogs per involved object`, async () => {
      api = new FakeApiServer();
      await api.start();
      const listed = fixtureEvents('sbctl-kurl-velero-eventlist.json');
      for (const event of listed) api.create(EVENTS, event);
      const sink = otlpSink({ endpoint: receiver.url, protocol });
      app = await startApp({ apiUrl: api.url, sinks: [sink] });
      await waitFor(() => receiver.logs.length >= listed.length, 'the listed events');
      const watched = fixtureEvents('kspan-events-extracted.yaml');
      for (const event of watched) api.create(EVENTS, event);
      await waitFor(() => receiver.logs.length >= listed.length + watched.length, 'the watched events');
      await app.stop(2000);
      app = undefined;

      const logs = receiver.logs;
      assert.equal(logs.length, listed.length + watched.length);
      const uids = logs.map((l) => l.attributes['k8s.event.uid']);
      assert.equal(new Set(uids).size, uids.length, 'no event twice');
      for (const event of [...listed, ...watched]) assert.ok(uids.includes((event['metadata'] as any).uid));
      assert.ok(receiver.requests.every((r) => r.contentType.includes(protocol === 'http/json' ? 'json' : 'protobuf')));
      for (const request of receiver.requests) {
        const objects = request.resourceLogs.map((rl) => `${rl.resource['k8s.object.kind']}/${rl.resource['k8s.object.uid']}/${rl.resource['k8s.object.fieldpath'] ?? ''}`);
        assert.equal(new Set(objects).size, objects.length, 'one ResourceLogs per involved object in a request');
        for (const rl of request.resourceLogs) {
          for (const log of rl.logs) assert.equal(log.scope.name, 'eventrouter');
        }
      }
      const backoff = logs.find((l) => l.attributes['k8s.event.reason'] === 'BackOff');
      assert.ok(backoff);
      assert.equal(backoff.severityNumber, 13);
      assert.equal(backoff.severityText, 'Warning');
      assert.equal(backoff.eventName, 'k8s.event');
      assert.equal(backoff.resource['k8s.pod.name'], 'velero-6996dd565b-mddj2');
      assert.equal(backoff.resource['k8s.container.name'], 'velero');
      assert.equal(backoff.resource['service.name'], 'velero-6996dd565b-mddj2');
      assert.equal(backoff.body, 'Back-off restarting failed container');
      assert.equal(backoff.attributes['k8s.event.count'], 94);
    });
  }

  it('emits a MODIFIED notification only when it is a new occurrence, and nothing for DELETED', async () => {
    api = new FakeApiServer();
    await api.start();
    const sink = new InMemorySink();
    app = await startApp({ apiUrl: api.url, sinks: [sink] });
    await waitFor(() => app!.router.synced, 'sync');
    const created = api.create(EVENTS, podEvent({ count: 1 }));
    const name = created.metadata['name'] as string;
    api.update(EVENTS, 'default', name, (e) => {
      e['count'] = 2;
      e['lastTimestamp'] = '2024-01-01T00:01:00Z';
    });
    api.update(EVENTS, 'default', name, (e) => {
      (e['metadata'] as Record<string, unknown>)['annotations'] = { touched: 'yes' };
    });
    api.update(EVENTS, 'default', name, (e) => {
      e['count'] = 3;
      e['lastTimestamp'] = '2024-01-01T00:02:00Z';
    });
    api.delete(EVENTS, 'default', name);
    const marker = api.create(EVENTS, podEvent());
    await waitFor(() => sink.records.some((r) => r.event.uid === marker.metadata['uid']), 'the marker event');
    const ours = sink.records.filter((r) => r.event.name === name);
    assert.deepEqual(ours.map((r) => [r.verb, r.attributes['k8s.event.count']]), [['ADDED', 1], ['UPDATED', 2], ['UPDATED', 3]]);
    assert.deepEqual(ours.map((r) => r.dedupeKey), [`${created.metadata['uid']}/1`, `${created.metadata['uid']}/2`, `${created.metadata['uid']}/3`]);
  });

  it('resumes from the last resourceVersion when the server closes the stream, without loss or duplicates', async () => {
    api = new FakeApiServer();
    await api.start();
    const sink = new InMemorySink();
    app = await startApp({ apiUrl: api.url, sinks: [sink] });
    await waitFor(() => app!.router.synced && api.watcherCount > 0, 'a watch');
    let produced = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++, produced++) api.create(EVENTS, podEvent());
      api.closeWatches();
      for (let i = 0; i < 5; i++, produced++) api.create(EVENTS, podEvent());
      await waitFor(() => api.watcherCount > 0, 'a new watch');
    }
    await settled(app!, api, 'every event');
    const { keys, duplicates } = uniqueKeys(sink);
    assert.equal(keys.length, produced);
    assert.deepEqual(duplicates, []);
    // Each server-side close is a restart (seen as a clean end, or as a reset when the socket goes first).
    assert.ok((await counter(app, 'eventrouter_watch_restarts_total')) >= 5);
  });

  for (const expiredAs of ['frame', 'status'] as const) {
    it(`re-lists after a 410 ${expiredAs === 'frame' ? 'ERROR frame in the stream' : 'HTTP status'} and emits only what was not delivered`, async () => {
      api = new FakeApiServer({ expiredAs });
      await api.start();
      for (let i = 0; i < 30; i++) api.create(EVENTS, podEvent());
      const sink = new InMemorySink();
      app = await startApp({ apiUrl: api.url, sinks: [sink] });
      await waitFor(() => sink.records.length >= 30, 'the first list');
      // Events happen while the stream is down, then etcd compacts: the old resourceVersion is gone.
      api.closeWatches();
      for (let i = 0; i < 12; i++) api.create(EVENTS, podEvent());
      api.compact();
      await waitFor(() => sink.records.length >= 42, 'the events of the gap');
      for (let i = 0; i < 3; i++) api.create(EVENTS, podEvent());
      await settled(app!, api, 'the events after the re-list');
      const { keys, duplicates } = uniqueKeys(sink);
      assert.equal(keys.length, 45);
      assert.deepEqual(duplicates, []);
      assert.ok((await counter(app, 'eventrouter_watch_restarts_total', { cause: 'expired' })) >= 1);
    });
  }

  it('re-lists when a continue token expires mid-list, without duplicates', async () => {
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 120; i++) api.create(EVENTS, podEvent());
    let pages = 0;
    api.failRequests((method, path, query) => method === 'GET' && path === EVENTS && query.has('continue') && ++pages === 2, 410, 1);
    const sink = new InMemorySink();
    app = await startApp({ apiUrl: api.url, sinks: [sink] });
    await waitFor(() => app!.router.synced, 'sync');
    await settled(app!, api, 'every listed event');
    assert.equal(sink.records.length, 120);
    assert.deepEqual(uniqueKeys(sink).duplicates, []);
  });

  it('skips and counts malformed lines, unknown types and ERROR frames while the rest flows', async () => {
    api = new FakeApiServer();
    await api.start();
    const sink = new InMemorySink();
    app = await startApp({ apiUrl: api.url, sinks: [sink] });
    await waitFor(() => app!.router.synced && api.watcherCount > 0, 'a watch');
    api.create(EVENTS, podEvent());
    // Invalid UTF-8 inside a JSON string: decoded with U+FFFD, the event still flows.
    const bytes = Buffer.from(JSON.stringify({ type: 'ADDED', object: podEvent({ message: 'bad:XX' }) }));
    const at = bytes.indexOf('XX');
    bytes[at] = 0xc3;
    bytes[at + 1] = 0x28;
    api.injectRaw(bytes);
    api.injectRaw('{"type":"ADDED","object":');
    api.injectRaw('not json at all \u00ff\u0000');
    api.injectRaw('{"type":"SURPRISE","object":{}}');
    api.injectRaw('{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"p"}}}');
    api.injectRaw('{"type":"ADDED","object":{"kind":"Event"}}');
    api.injectRaw('[1,2,3]');
    api.create(EVENTS, podEvent());
    api.injectRaw(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 500, reason: 'InternalError', message: 'boom' } }));
    await waitFor(() => api.watcherCount > 0, 'the watch to come back');
    api.create(EVENTS, podEvent({ message: 'x'.repeat(2 * 1024 * 1024) }));
    api.create(EVENTS, podEvent());
    await waitFor(() => sink.records.length >= 5, 'the valid events');
    assert.equal(sink.records.length, 5);
    assert.equal(sink.records[1]!.body, 'bad:\ufffd(');
    assert.ok(sink.records[3]!.attributes['eventrouter.body.truncated']);
    assert.equal(await counter(app, 'eventrouter_malformed_total', { kind: 'invalid-json' }), 2);
    assert.equal(await counter(app, 'eventrouter_malformed_total', { kind: 'unknown-type' }), 1);
    assert.equal(await counter(app, 'eventrouter_malformed_total', { kind: 'wrong-kind' }), 1);
    assert.equal(await counter(app, 'eventrouter_malformed_total', { kind: 'no-metadata' }), 1);
    assert.equal(await counter(app, 'eventrouter_malformed_total', { kind: 'not-an-object' }), 1);
    assert.equal(await counter(app, 'eventrouter_malformed_total', { kind: 'error-frame-500' }), 1);
  });

  it('reconnects a stream that went silent (inactivity watchdog)', async () => {
    api = new FakeApiServer();
    await api.start();
    const sink = new InMemorySink();
    app = await startApp({ apiUrl: api.url, sinks: [sink], config: testConfig({ source: { minBackoff: '20ms', maxBackoff: '200ms', inactivityTimeout: '300ms' } }) });
    await waitFor(() => app!.router.synced && api.watcherCount > 0, "a watch");
    await waitFor(async () => (await counter(app!, 'eventrouter_watch_restarts_total', { cause: 'inactivity' })) >= 1, 'a reconnect by the watchdog');
    api.create(EVENTS, podEvent());
    await waitFor(() => sink.records.length === 1, 'an event after the reconnect');
  });

  it('watches only the configured namespaces, each from its own list', async () => {
    api = new FakeApiServer();
    await api.start();
    api.create(EVENTS, podEvent({}, 'a'));
    api.create(EVENTS, podEvent({}, 'b'));
    api.create(EVENTS, podEvent({}, 'c'));
    const sink = new InMemorySink();
    app = await startApp({ apiUrl: api.url, sinks: [sink], config: testConfig({ source: { namespaces: ['a', 'c'], minBackoff: '20ms' } }) });
    await waitFor(() => sink.records.length >= 2, 'the listed events');
    api.create(EVENTS, podEvent({}, 'b'));
    api.create(EVENTS, podEvent({}, 'c'));
    // The event in c was created last: once it is acknowledged, b's (watched by no scope) would have been too.
    await settled(app!, api, 'the watched event', 'c');
    assert.deepEqual(sink.records.map((r) => r.event.namespace).sort(), ['a', 'c', 'c']);
  });
});
