import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeverityNumber } from '@opentelemetry/api';
import { containerFromFieldPath, mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { hrTimeToIso } from '../../src/model/time.ts';
import { EVENT_FIXTURES, fixtureEvents } from '../support/fixtures.ts';

type Raw = Record<string, any>;

function find(file: string, predicate: (e: Raw) => boolean): Raw {
  const event = fixtureEvents(file).find(predicate);
  assert.ok(event, `no matching event in ${file}`);
  return event;
}

function map(raw: Raw, options = {}) {
  return mapEvent(normalizeEvent(raw), 'ADDED', { observedAtMillis: 1_700_000_000_000, ...options });
}

const NS = 1_000_000_000n;
function nanos(iso: string): bigint {
  const match = /\.(\d+)Z$/.exec(iso);
  const fraction = match ? BigInt((match[1] as string).padEnd(9, '0')) : 0n;
  return BigInt(Date.parse(iso.replace(/\.\d+Z$/, 'Z')) / 1000) * NS + fraction;
}

describe('event → LogRecord mapping (eventrouter convention v1)', () => {
  it('maps a kubelet event about a pod container: pod, container, node, severity, body, every k8s.event.* attribute', () => {
    const record = map(find('k9s-gke-event-pulled.json', () => true), { clusterName: 'gke-k9s' });
    assert.deepEqual(record.resource, {
      'k8s.cluster.name': 'gke-k9s',
      'k8s.namespace.name': 'default',
      'k8s.object.kind': 'Pod',
      'k8s.object.name': 'hello-1567197780-mn4mv',
      'k8s.object.uid': 'c31fdeb8-cb66-11e9-990f-42010a800218',
      'k8s.object.api_version': 'v1',
      'k8s.object.fieldpath': 'spec.containers{c1}',
      'k8s.pod.name': 'hello-1567197780-mn4mv',
      'k8s.pod.uid': 'c31fdeb8-cb66-11e9-990f-42010a800218',
      'k8s.container.name': 'c1',
      'k8s.node.name': 'gke-k9s-default-pool-0fa2fb89-qnkc',
    });
    assert.deepEqual(record.attributes, {
      'k8s.event.reason': 'Pulled',
      'k8s.event.name': 'hello-1567197780-mn4mv.15bfce150bd764dd',
      'k8s.event.uid': 'c443d4b3-cb66-11e9-990f-42010a800218',
      'k8s.event.count': 1,
      'k8s.event.resource_version': '590733',
      'k8s.event.start_time': '2019-08-30T20:43:05Z',
      'k8s.event.reporting_controller': 'kubelet',
      'k8s.event.reporting_instance': 'gke-k9s-default-pool-0fa2fb89-qnkc',
      'k8s.object.resource_version': '49798867',
    });
    assert.equal(record.severityNumber, SeverityNumber.INFO);
    assert.equal(record.severityText, 'Normal');
    assert.equal(record.body, 'Successfully pulled image "blang/busybox-bash"');
    assert.equal(record.eventName, 'k8s.event');
    assert.equal(hrTimeToIso(record.hrTime), '2019-08-30T20:43:05.000000000Z');
    assert.equal(hrTimeToIso(record.hrTimeObserved), '2023-11-14T22:13:20.000000000Z');
    assert.equal(record.dedupeKey, 'c443d4b3-cb66-11e9-990f-42010a800218/1');
  });

  it('maps a recurring Warning with its count and takes the last occurrence as the timestamp', () => {
    const record = map(find('sbctl-kurl-velero-eventlist.json', (e) => e.count === 94));
    assert.equal(record.severityNumber, SeverityNumber.WARN);
    assert.equal(record.severityText, 'Warning');
    assert.equal(record.attributes['k8s.event.count'], 94);
    assert.equal(record.attributes['k8s.event.start_time'], '2022-04-12T00:36:13Z');
    assert.equal(hrTimeToIso(record.hrTime), '2022-04-12T00:56:09.000000000Z');
    assert.equal(record.resource['k8s.container.name'], 'velero');
    assert.equal(record.resource['k8s.node.name'], 'troubleshoot-demo-002');
    assert.equal(record.dedupeKey, '3e21408f-5a4d-4547-9ecf-f4866b17fcb8/94');
  });

  it('maps a new-style event with only eventTime, keeping its microseconds, and the scheduler as reporter', () => {
    const raw = find('sbctl-kurl-velero-eventlist.json', (e) => e.metadata.uid === 'aa6c0a71-9629-4381-9f62-c0102f0b3fb6');
    const record = map(raw);
    assert.equal(hrTimeToIso(record.hrTime), '2022-04-12T00:36:06.366978000Z');
    assert.equal(record.attributes['k8s.event.start_time'], '2022-04-12T00:36:06.366978Z');
    assert.equal(record.attributes['k8s.event.action'], 'Binding');
    assert.equal(record.attributes['k8s.event.reporting_controller'], 'default-scheduler');
    assert.equal(record.attributes['k8s.event.reporting_instance'], 'default-scheduler-troubleshoot-demo-001');
    assert.equal(record.attributes['k8s.event.count'], 1, 'a new-style event without series is a single occurrence: count 1, as in the dedupe key');
    assert.equal(record.resource['k8s.node.name'], undefined, 'the scheduler is not the node');
    assert.equal(record.dedupeKey, 'aa6c0a71-9629-4381-9f62-c0102f0b3fb6/1');
  });

  it('maps an event whose involvedObject has no name or namespace (LeaderElection on a Lease)', () => {
    const record = map(find('openshift-mustgather-aws-default-eventlist.yaml', (e) => e.reason === 'LeaderElection'));
    assert.deepEqual(record.resource, {
      'k8s.namespace.name': 'default',
      'k8s.object.kind': 'Lease',
      'k8s.object.api_version': 'coordination.k8s.io/v1',
    });
    assert.equal(record.attributes['k8s.event.reporting_controller'], 'default-scheduler');
    assert.equal(record.body, 'ip-10-0-22-225_712590f5-7ac3-4f92-a09c-78dc831670fa stopped leading');
  });

  it('maps a Node event of events.k8s.io/v1beta1 shape: regarding, note, deprecated* fields', () => {
    const record = map(find('events-logger-minikube-eventsv1beta1.ndjson', (e) => e.reason === 'NodeHasNoDiskPressure'));
    assert.equal(record.resource['k8s.node.name'], 'minikube');
    assert.equal(record.resource['k8s.node.uid'], 'minikube');
    assert.equal(record.resource['k8s.object.kind'], 'Node');
    assert.equal(record.resource['k8s.namespace.name'], 'default', 'a cluster-scoped object takes the event namespace');
    assert.equal(record.body, 'Node minikube status is now: NodeHasNoDiskPressure');
    assert.equal(record.attributes['k8s.event.count'], 8);
    assert.equal(record.attributes['k8s.event.start_time'], '2019-11-18T21:21:06Z');
    assert.equal(record.attributes['k8s.event.reporting_controller'], 'kubelet');
    assert.equal(hrTimeToIso(record.hrTime), '2019-11-18T21:21:07.000000000Z');
  });

  it('takes a Namespace event’s namespace from the object name', () => {
    const record = map(find('openshift-mustgather-aws-default-eventlist.yaml', (e) => e.involvedObject?.kind === 'Namespace'));
    assert.equal(record.resource['k8s.namespace.name'], 'default');
  });

  it('maps workload kinds to their semantic-convention attributes', () => {
    const deployment = map(find('kspan-events-extracted.yaml', (e) => e.reason === 'ScalingReplicaSet'));
    assert.equal(deployment.resource['k8s.deployment.name'], deployment.resource['k8s.object.name']);
    assert.equal(deployment.resource['k8s.deployment.uid'], deployment.resource['k8s.object.uid']);
    const replicaSet = map(find('kspan-events-extracted.yaml', (e) => e.involvedObject?.kind === 'ReplicaSet'));
    assert.equal(replicaSet.resource['k8s.replicaset.name'], replicaSet.resource['k8s.object.name']);
    assert.equal(replicaSet.resource['k8s.pod.name'], undefined);
  });

  it('gives a CRD kind that reuses a built-in name in another group no workload attributes', () => {
    const record = map({ metadata: { name: 'x', uid: 'u', namespace: 'n' }, involvedObject: { kind: 'Deployment', apiVersion: 'example.com/v1', name: 'd', namespace: 'n' } });
    assert.equal(record.resource['k8s.deployment.name'], undefined);
    assert.equal(record.resource['k8s.object.name'], 'd');
  });

  it('maps severity: Normal → INFO, Warning → WARN, anything else → UNSPECIFIED with the raw type as text', () => {
    const base = { metadata: { name: 'e', uid: 'u' }, involvedObject: {} };
    assert.equal(map({ ...base, type: 'Normal' }).severityNumber, SeverityNumber.INFO);
    assert.equal(map({ ...base, type: 'Warning' }).severityNumber, SeverityNumber.WARN);
    const odd = map({ ...base, type: 'Critical' });
    assert.equal(odd.severityNumber, SeverityNumber.UNSPECIFIED);
    assert.equal(odd.severityText, 'Critical');
    const none = map(base);
    assert.equal(none.severityNumber, SeverityNumber.UNSPECIFIED);
    assert.equal(none.severityText, undefined);
  });

  it('follows the timestamp precedence series.lastObservedTime > eventTime > lastTimestamp > firstTimestamp > creationTimestamp', () => {
    const base = { metadata: { name: 'e', uid: 'u', creationTimestamp: '2024-01-01T00:00:05Z' }, involvedObject: {} };
    const at = (extra: Raw) => hrTimeToIso(map({ ...base, ...extra }).hrTime);
    assert.equal(at({}), '2024-01-01T00:00:05.000000000Z');
    assert.equal(at({ firstTimestamp: '2024-01-01T00:00:04Z' }), '2024-01-01T00:00:04.000000000Z');
    assert.equal(at({ firstTimestamp: '2024-01-01T00:00:04Z', lastTimestamp: '2024-01-01T00:00:03Z' }), '2024-01-01T00:00:03.000000000Z');
    assert.equal(at({ lastTimestamp: '2024-01-01T00:00:03Z', eventTime: '2024-01-01T00:00:02.5Z' }), '2024-01-01T00:00:02.500000000Z');
    assert.equal(
      at({ eventTime: '2024-01-01T00:00:02Z', series: { count: 3, lastObservedTime: '2024-01-01T00:00:09.123456Z' } }),
      '2024-01-01T00:00:09.123456000Z',
    );
    assert.equal(at({ eventTime: 'not a time', lastTimestamp: '2024-01-01T00:00:03Z' }), '2024-01-01T00:00:03.000000000Z');
  });

  it('takes count from series.count, then count, else 1: the attribute is always there (it is half the dedupe key)', () => {
    const base = { metadata: { name: 'e', uid: 'u' }, involvedObject: {} };
    assert.equal(map({ ...base, count: 4, series: { count: 7 } }).attributes['k8s.event.count'], 7);
    assert.equal(map({ ...base, count: 4 }).attributes['k8s.event.count'], 4);
    assert.equal(map(base).attributes['k8s.event.count'], 1);
    assert.equal(map({ ...base, apiVersion: 'events.k8s.io/v1', regarding: {}, eventTime: '2024-01-01T00:00:00Z' }).attributes['k8s.event.count'], 1);
  });

  it('bounds a megabyte-long message and marks the truncation', () => {
    const message = 'x'.repeat(1024 * 1024);
    const record = map({ metadata: { name: 'e', uid: 'u' }, involvedObject: {}, message }, { maxBodyLength: 1000 });
    assert.equal(record.body.length, 1000);
    assert.equal(record.attributes['eventrouter.body.truncated'], true);
    assert.equal(record.attributes['eventrouter.body.original_length'], message.length);
  });

  it('keeps nothing of a cut message but the cut: the normalized event on the record carries the body', () => {
    const message = `${'x'.repeat(999)}${'y'.repeat(1024 * 1024)}`;
    const record = map({ metadata: { name: 'e', uid: 'u' }, involvedObject: {}, message }, { maxBodyLength: 1000 });
    assert.equal(record.event.message, record.body);
    assert.equal(record.body, `${'x'.repeat(999)}y`);
  });

  it('never ends a cut body on the first half of a surrogate pair', () => {
    const message = `${'x'.repeat(999)}😀${'x'.repeat(100)}`;
    const record = map({ metadata: { name: 'e', uid: 'u' }, involvedObject: {}, message }, { maxBodyLength: 1000 });
    assert.equal(record.body, 'x'.repeat(999));
    assert.equal(record.attributes['eventrouter.body.original_length'], message.length);
  });

  it('reads the container from every kind of container fieldPath', () => {
    assert.equal(containerFromFieldPath('spec.containers{app}'), 'app');
    assert.equal(containerFromFieldPath('spec.initContainers{init-db}'), 'init-db');
    assert.equal(containerFromFieldPath('spec.ephemeralContainers{debugger}'), 'debugger');
    assert.equal(containerFromFieldPath('metadata.name'), undefined);
    assert.equal(containerFromFieldPath(undefined), undefined);
  });

  it('merges base resource attributes (OTEL_RESOURCE_ATTRIBUTES) with event-derived values winning', () => {
    const record = map(find('k9s-gke-event-pulled.json', () => true), {
      baseResource: { 'deployment.environment.name': 'prod', 'k8s.namespace.name': 'wrong' },
    });
    assert.equal(record.resource['deployment.environment.name'], 'prod');
    assert.equal(record.resource['k8s.namespace.name'], 'default');
  });

  for (const file of EVENT_FIXTURES) {
    it(`maps every event of ${file} with body, timestamp, identity and no per-event value on the resource`, () => {
      const events = fixtureEvents(file);
      assert.ok(events.length > 0);
      for (const raw of events as Raw[]) {
        const record = map(raw);
        const newStyle = 'regarding' in raw || 'note' in raw;
        assert.equal(record.body, (newStyle ? raw['note'] : raw['message']) ?? '');
        assert.equal(record.attributes['k8s.event.uid'], raw['metadata'].uid);
        assert.equal(record.attributes['k8s.event.name'], raw['metadata'].name);
        assert.equal(record.attributes['k8s.event.resource_version'], raw['metadata'].resourceVersion);
        // The timestamp is one of the event's own times, never the observed time.
        const candidates = [raw['series']?.lastObservedTime, raw['eventTime'], raw['lastTimestamp'], raw['deprecatedLastTimestamp'], raw['firstTimestamp'], raw['deprecatedFirstTimestamp'], raw['metadata'].creationTimestamp]
          .filter((t): t is string => typeof t === 'string' && t !== '')
          .map(nanos);
        const time = BigInt(record.hrTime[0]) * NS + BigInt(record.hrTime[1]);
        assert.ok(candidates.includes(time), `${raw['metadata'].name}: timestamp ${time} not one of the event's times`);
        for (const key of Object.keys(record.resource)) {
          assert.ok(!key.startsWith('k8s.event.'), `${key} must not be on the resource`);
          assert.notEqual(key, 'k8s.object.resource_version');
        }
        const involved = (newStyle ? raw['regarding'] : raw['involvedObject']) ?? {};
        assert.equal(record.resource['k8s.object.kind'], involved.kind);
        assert.equal(record.resource['k8s.object.name'], involved.name);
        assert.equal(record.resource['k8s.namespace.name'], involved.namespace ?? (involved.kind === 'Namespace' ? involved.name : raw['metadata'].namespace));
      }
    });
  }
});
