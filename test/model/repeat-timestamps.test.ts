/**
 * A repeat of a recurring event is stamped with the time it happened, on each shape real
 * clusters produce. Loki drops records with the same stream, time and body, so a repeat
 * stamped with the first occurrence's time is lost downstream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { hrTimeToIso } from '../../src/model/time.ts';
import { ClusterSimulator } from '../../src/sim/cluster-simulator.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { fixtureEvents } from '../support/fixtures.ts';
import { waitFor } from '../support/otlp-receiver.ts';

type Raw = Record<string, any>;

function fixture(file: string, predicate: (e: Raw) => boolean): Raw {
  const event = fixtureEvents(file).find(predicate);
  assert.ok(event, `no matching event in ${file}`);
  return structuredClone(event);
}

function timeOf(raw: Raw): string {
  return hrTimeToIso(mapEvent(normalizeEvent(raw), 'UPDATED', { observedAtMillis: 1_700_000_000_000 }).hrTime);
}

describe('the time of a repeat, on the shapes real clusters produce', () => {
  it('legacy core/v1 (count, lastTimestamp, eventTime null): lastTimestamp, not firstTimestamp', () => {
    // kubelet BackOff, count 94, from a kURL cluster.
    const raw = fixture('sbctl-kurl-velero-eventlist.json', (e) => e.count === 94);
    assert.equal(raw.eventTime, null);
    assert.notEqual(raw.firstTimestamp, raw.lastTimestamp);
    assert.equal(timeOf(raw), '2022-04-12T00:56:09.000000000Z');
  });

  it('legacy event read through events.k8s.io (deprecatedCount, deprecatedLastTimestamp): the last time', () => {
    // NodeHasNoDiskPressure x8 on minikube: deprecatedFirstTimestamp 21:21:06, deprecatedLastTimestamp 21:21:07.
    const raw = fixture('events-logger-minikube-eventsv1beta1.ndjson', (e) => e.reason === 'NodeHasNoDiskPressure');
    assert.equal(raw.eventTime, null);
    assert.equal(timeOf(raw), '2019-11-18T21:21:07.000000000Z');
  });

  it('events.k8s.io/v1 with series: series.lastObservedTime, not eventTime', () => {
    // The scheduler's new-style event from minikube, as it reads once the scheduler saw it again.
    const raw = fixture('events-logger-minikube-eventsv1beta1.ndjson', (e) => e.reason === 'Scheduled');
    assert.equal(raw.eventTime, '2019-11-18T21:46:46.691762Z');
    const repeated = { ...raw, apiVersion: 'events.k8s.io/v1', kind: 'Event', series: { count: 3, lastObservedTime: '2019-11-18T21:52:10.120033Z' } };
    assert.equal(timeOf(repeated), '2019-11-18T21:52:10.120033000Z');
    assert.equal(timeOf(raw), '2019-11-18T21:46:46.691762000Z', 'before it repeats: eventTime');
  });

  it('core/v1 with eventTime set and series: series.lastObservedTime wins over eventTime', () => {
    // The scheduler's Scheduled event of a kURL cluster (eventTime, reportingComponent, no firstTimestamp), repeated.
    const raw = fixture('sbctl-kurl-velero-eventlist.json', (e) => e.metadata.uid === 'aa6c0a71-9629-4381-9f62-c0102f0b3fb6');
    assert.equal(raw.eventTime, '2022-04-12T00:36:06.366978Z');
    assert.equal(raw.firstTimestamp, null);
    const repeated = { ...raw, series: { count: 2, lastObservedTime: '2022-04-12T00:41:06.500001Z' } };
    assert.equal(timeOf(repeated), '2022-04-12T00:41:06.500001000Z');
  });
});

describe('the simulated cluster repeats events as real recorders do', () => {
  const api = new FakeApiServer();
  let url: string;
  before(async () => {
    url = await api.start();
  });
  after(() => api.stop());

  async function listEvents(namespace: string): Promise<Raw[]> {
    const res = await fetch(`${url}/api/v1/namespaces/${namespace}/events`);
    return ((await res.json()) as { items: Raw[] }).items;
  }

  /** Returns once the clock has passed `iso` (a condition, bounded), so a new time differs from it. */
  async function clockPast(iso: string): Promise<void> {
    const target = Date.parse(iso);
    await waitFor(() => Date.now() > target, 'the clock to move');
  }

  it('a new-style FailedScheduling gains a series: each repeat is stamped when it happened', async () => {
    const simulator = new ClusterSimulator(api);
    simulator.unschedulable('ml');
    const first = (await listEvents('ml')).find((e) => e.reason === 'FailedScheduling');
    assert.ok(first);
    assert.equal(typeof first.eventTime, 'string');
    const times = [timeOf(first)];
    for (let i = 0; i < 2; i++) {
      await clockPast(times[times.length - 1] as string);
      simulator.repeat('ml', first.metadata.name);
      const now = (await listEvents('ml')).find((e) => e.metadata.uid === first.metadata.uid) as Raw;
      assert.equal(now.eventTime, first.eventTime, 'eventTime stays the first occurrence');
      assert.equal(now.series?.count, i + 2);
      times.push(timeOf(now));
    }
    assert.deepEqual([...times].sort(), times);
    assert.equal(new Set(times).size, 3, `three occurrences, three times: ${times.join(', ')}`);
  });

  it('a legacy BackOff advances count and lastTimestamp, and gets no series', async () => {
    const simulator = new ClusterSimulator(api);
    simulator.crashLoop('payments', 'shop');
    const backOff = (await listEvents('shop')).find((e) => e.reason === 'BackOff');
    assert.ok(backOff);
    assert.equal(backOff.eventTime, null);
    simulator.repeat('shop', backOff.metadata.name);
    const now = (await listEvents('shop')).find((e) => e.metadata.uid === backOff.metadata.uid) as Raw;
    assert.equal(now.count, 2);
    assert.equal(now.series, undefined);
    assert.equal(timeOf(now), (now.lastTimestamp as string).replace(/Z$/, '.000000000Z'));
  });
});
