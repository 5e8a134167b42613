import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { App } from '../../src/app/app.ts';
import type { EventRecord } from '../../src/model/event-record.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { FakeApiServer, toEventsV1 } from '../../src/sim/fake-api-server.ts';
import { fixtureEvents } from '../support/fixtures.ts';
import { settled, startApp, testConfig } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';
import { eventAbout } from './cluster-fixtures.ts';

const CORE = '/api/v1/events';
const V1 = '/apis/events.k8s.io/v1/events';

/** A scheduler-style event with every field events.k8s.io/v1 knows. */
function fullCoreEvent(): Record<string, any> {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'trainer-0.1800000000000001', namespace: 'ml', uid: 'full-event-uid', creationTimestamp: '2025-03-01T10:00:00Z' },
    involvedObject: { kind: 'Pod', name: 'trainer-0', namespace: 'ml', uid: 'trainer-0-uid', apiVersion: 'v1', resourceVersion: '4242', fieldPath: 'spec.containers{trainer}' },
    related: { kind: 'Node', name: 'node-c', uid: 'node-c-uid', apiVersion: 'v1' },
    reason: 'FailedScheduling',
    action: 'Scheduling',
    message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
    type: 'Warning',
    count: 7,
    firstTimestamp: '2025-03-01T10:00:00Z',
    lastTimestamp: '2025-03-01T10:05:00Z',
    eventTime: '2025-03-01T10:00:00.123456Z',
    series: { count: 7, lastObservedTime: '2025-03-01T10:05:00.654321Z' },
    source: { component: 'default-scheduler', host: 'control-plane' },
    reportingComponent: 'default-scheduler',
    reportingInstance: 'default-scheduler-control-plane',
  };
}

async function json(url: string, init?: RequestInit): Promise<any> {
  const response = await fetch(url, init);
  return response.json();
}

describe('fake API server: events.k8s.io/v1 view of the stored core/v1 Events', () => {
  let api: FakeApiServer;
  afterEach(async () => api.stop());

  it('serves LIST and GET converted, with the same resourceVersions as core/v1', async () => {
    api = new FakeApiServer();
    await api.start();
    const stored = api.create(CORE, fullCoreEvent());
    const core = await json(`${api.url}${CORE}`);
    const list = await json(`${api.url}${V1}`);
    assert.equal(list.kind, 'EventList');
    assert.equal(list.apiVersion, 'events.k8s.io/v1');
    assert.equal(list.metadata.resourceVersion, core.metadata.resourceVersion);
    const item = list.items[0];
    assert.deepEqual(item, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: stored.metadata,
      regarding: fullCoreEvent()['involvedObject'],
      related: fullCoreEvent()['related'],
      note: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
      reason: 'FailedScheduling',
      action: 'Scheduling',
      type: 'Warning',
      eventTime: '2025-03-01T10:00:00.123456Z',
      series: { count: 7, lastObservedTime: '2025-03-01T10:05:00.654321Z' },
      reportingController: 'default-scheduler',
      reportingInstance: 'default-scheduler-control-plane',
      deprecatedSource: { component: 'default-scheduler', host: 'control-plane' },
      deprecatedFirstTimestamp: '2025-03-01T10:00:00Z',
      deprecatedLastTimestamp: '2025-03-01T10:05:00Z',
      deprecatedCount: 7,
    });
    const one = await json(`${api.url}/apis/events.k8s.io/v1/namespaces/ml/events/trainer-0.1800000000000001`);
    assert.deepEqual(one, item);
  });

  it('stores a POSTed events.k8s.io/v1 Event as core/v1 and streams both views on WATCH with one resourceVersion', async () => {
    api = new FakeApiServer();
    await api.start();
    const rv = api.resourceVersion;
    const watches = [CORE, V1].map(async (path) => {
      const response = await fetch(`${api.url}${path}?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
      return (await response.text()).trim().split('\n').map((line) => JSON.parse(line));
    });
    await waitFor(() => api.watcherCount === 2, 'two watches');
    const v1Event = toEventsV1(fullCoreEvent() as any);
    const created = await json(`${api.url}/apis/events.k8s.io/v1/namespaces/ml/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(v1Event),
    });
    assert.equal(created.apiVersion, 'events.k8s.io/v1');
    assert.equal(created.note, fullCoreEvent()['message']);
    const asCore = api.get(CORE, 'ml', 'trainer-0.1800000000000001')!;
    assert.equal(asCore['apiVersion'], 'v1');
    assert.deepEqual(asCore['involvedObject'], fullCoreEvent()['involvedObject']);
    assert.equal(asCore['message'], fullCoreEvent()['message']);
    assert.equal(asCore['count'], 7);
    assert.equal(asCore['reportingComponent'], 'default-scheduler');
    assert.equal('note' in asCore || 'regarding' in asCore, false);
    api.update(V1, 'ml', 'trainer-0.1800000000000001', (e) => {
      (e['series'] as { count: number }).count = 8;
    });
    const [coreFrames, v1Frames] = await Promise.all(watches);
    assert.deepEqual(coreFrames!.map((f) => [f.type, f.object.apiVersion, f.object.metadata.resourceVersion, f.object.series.count]), [
      ['ADDED', 'v1', created.metadata.resourceVersion, 7],
      ['MODIFIED', 'v1', String(Number(created.metadata.resourceVersion) + 1), 8],
    ]);
    assert.deepEqual(
      v1Frames!.map((f) => [f.type, f.object.apiVersion, f.object.metadata.resourceVersion, f.object.series.count]),
      coreFrames!.map((f) => [f.type, 'events.k8s.io/v1', f.object.metadata.resourceVersion, f.object.series.count]),
    );
    assert.equal(v1Frames![0].object.regarding.name, 'trainer-0');
  });
});

describe('normalizeEvent: events.k8s.io/v1', () => {
  it('maps every field to what the same event gives as core/v1', () => {
    const core = fullCoreEvent();
    const fromCore = normalizeEvent(core);
    const fromV1 = normalizeEvent(toEventsV1(core as any));
    assert.equal(fromV1.apiVersion, 'events.k8s.io/v1');
    assert.deepEqual({ ...fromV1, apiVersion: 'v1' }, fromCore);
    assert.deepEqual(fromV1, {
      apiVersion: 'events.k8s.io/v1',
      name: 'trainer-0.1800000000000001',
      namespace: 'ml',
      uid: 'full-event-uid',
      resourceVersion: '',
      creationTimestamp: '2025-03-01T10:00:00Z',
      regarding: core['involvedObject'],
      related: core['related'],
      reason: 'FailedScheduling',
      action: 'Scheduling',
      type: 'Warning',
      eventTime: '2025-03-01T10:00:00.123456Z',
      reportingInstance: 'default-scheduler-control-plane',
      seriesLastObservedTime: '2025-03-01T10:05:00.654321Z',
      message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
      count: 7,
      firstTimestamp: '2025-03-01T10:00:00Z',
      lastTimestamp: '2025-03-01T10:05:00Z',
      reportingController: 'default-scheduler',
      sourceHost: 'control-plane',
    });
  });
});

describe('router with source.api: events.k8s.io/v1', () => {
  let api: FakeApiServer;
  const apps: App[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop(2000)));
    await api?.stop();
  });

  /** What must not depend on the API version the event was read through. */
  const comparable = (r: EventRecord) => ({
    verb: r.verb,
    dedupeKey: r.dedupeKey,
    resource: r.resource,
    attributes: r.attributes,
    body: r.body,
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    hrTime: r.hrTime,
    eventName: r.eventName,
  });

  it('exports the same records as core/v1 for the same events, listed and watched', async () => {
    api = new FakeApiServer();
    await api.start();
    const listed = [...fixtureEvents('sbctl-kurl-velero-eventlist.json'), ...fixtureEvents('kspan-events-extracted.yaml'), fullCoreEvent()];
    for (const event of listed) api.create(CORE, event);
    const coreSink = new InMemorySink('core');
    const v1Sink = new InMemorySink('events-v1');
    apps.push(await startApp({ apiUrl: api.url, sinks: [coreSink], config: testConfig({ source: { api: 'core/v1' } }) }));
    apps.push(await startApp({ apiUrl: api.url, sinks: [v1Sink], config: testConfig({ source: { api: 'events.k8s.io/v1' } }) }));
    await waitFor(() => coreSink.records.length >= listed.length && v1Sink.records.length >= listed.length, 'the listed events');
    await waitFor(() => api.watcherCount >= 2, 'both watches');

    const pod = { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'web-1-uid', apiVersion: 'v1', fieldPath: 'spec.containers{app}' };
    const watched = api.create(CORE, eventAbout(pod, 'BackOff', { type: 'Warning' }));
    api.update(CORE, 'default', watched.metadata['name'] as string, (e) => {
      e['count'] = 2;
      e['lastTimestamp'] = '2025-03-01T10:01:00Z';
    });
    // Written through the new API, read through both.
    await fetch(`${api.url}/apis/events.k8s.io/v1/namespaces/default/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: 'web-1.v1-written', namespace: 'default' },
        regarding: pod,
        note: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
        reason: 'Unhealthy',
        type: 'Warning',
        eventTime: '2025-03-01T10:02:00.000001Z',
        action: 'Probing',
        reportingController: 'kubelet',
        reportingInstance: 'node-b',
        series: { count: 3, lastObservedTime: '2025-03-01T10:03:00.000001Z' },
      }),
    });
    const total = listed.length + 3;
    for (const app of apps) await settled(app, api, 'the watched events');

    assert.equal(coreSink.records.length, total);
    assert.equal(v1Sink.records.length, total);
    assert.ok(v1Sink.records.every((r) => r.event.apiVersion === 'events.k8s.io/v1'));
    assert.ok(coreSink.records.every((r) => r.event.apiVersion === 'v1'));
    const byKey = (records: EventRecord[]) => new Map(records.map((r) => [`${r.dedupeKey}|${r.verb}`, comparable(r)]));
    const core = byKey(coreSink.records);
    const v1 = byKey(v1Sink.records);
    assert.deepEqual([...v1.keys()].sort(), [...core.keys()].sort());
    for (const [key, record] of core) assert.deepEqual(v1.get(key), record, key);
    const full = v1Sink.records.find((r) => r.event.uid === 'full-event-uid')!;
    assert.equal(full.attributes['k8s.event.count'], 7);
    assert.equal(full.attributes['k8s.event.related.name'], 'node-c');
    assert.equal(full.attributes['k8s.event.reporting_controller'], 'default-scheduler');
    const written = v1Sink.records.find((r) => r.event.name === 'web-1.v1-written')!;
    assert.equal(written.body, 'Readiness probe failed: HTTP probe failed with statuscode: 503');
    assert.equal(written.attributes['k8s.event.count'], 3);
    assert.equal(written.resource['k8s.node.name'], 'node-b');
  });
});
