import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';

/** A core/v1 Event created in `attacker` with eventTime set (so the API server accepts it) about a Pod in `victim`. */
function forgedCore(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'forged.1', namespace: 'attacker', uid: 'forged-uid', resourceVersion: '77' },
    involvedObject: {
      kind: 'Pod',
      name: 'web-7d9f-abcde',
      namespace: 'victim',
      uid: 'victim-pod-uid',
      apiVersion: 'v1',
      resourceVersion: '123',
      fieldPath: 'spec.containers{web}',
    },
    related: { kind: 'Node', name: 'node-a', apiVersion: 'v1' },
    reason: 'BackOff',
    message: 'fake warning',
    type: 'Warning',
    eventTime: '2026-01-01T00:00:00.000000Z',
    action: 'Forging',
    reportingComponent: 'kubelet',
    reportingInstance: 'node-a',
    source: { component: 'kubelet', host: 'node-a' },
  };
}

/** The same forgery through events.k8s.io/v1: `regarding` in another namespace. */
function forgedEventsV1(): Record<string, unknown> {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'forged.2', namespace: 'attacker', uid: 'forged-uid-2', resourceVersion: '78' },
    regarding: { kind: 'Pod', name: 'web-7d9f-abcde', namespace: 'victim', uid: 'victim-pod-uid', apiVersion: 'v1' },
    reason: 'BackOff',
    note: 'fake warning',
    type: 'Warning',
    eventTime: '2026-01-01T00:00:00.000000Z',
    action: 'Forging',
    reportingController: 'kubelet',
    reportingInstance: 'node-a',
  };
}

const map = (raw: Record<string, unknown>) => mapEvent(normalizeEvent(raw), 'ADDED', { clusterName: 'c1', observedAtMillis: 0 });

describe('mapping of an event that names an object outside its own namespace', () => {
  it('core/v1: exports it under its own namespace, nothing of the claimed pod on the resource, the claim and a marker on the record', () => {
    const record = map(forgedCore());
    assert.deepEqual(record.resource, { 'k8s.cluster.name': 'c1', 'k8s.namespace.name': 'attacker' });
    assert.deepEqual(record.attributes, {
      'k8s.event.reason': 'BackOff',
      'k8s.event.action': 'Forging',
      'k8s.event.name': 'forged.1',
      'k8s.event.uid': 'forged-uid',
      'k8s.event.count': 1,
      'k8s.event.resource_version': '77',
      'k8s.event.start_time': '2026-01-01T00:00:00.000000Z',
      'k8s.event.reporting_controller': 'kubelet',
      'k8s.event.reporting_instance': 'node-a',
      // related stays an event attribute, as for every event: it is never used for attribution.
      'k8s.event.related.kind': 'Node',
      'k8s.event.related.name': 'node-a',
      'eventrouter.identity.mismatch': true,
      'k8s.event.claimed.kind': 'Pod',
      'k8s.event.claimed.name': 'web-7d9f-abcde',
      'k8s.event.claimed.namespace': 'victim',
      'k8s.event.claimed.uid': 'victim-pod-uid',
      'k8s.event.claimed.api_version': 'v1',
      'k8s.event.claimed.fieldpath': 'spec.containers{web}',
    });
    assert.equal(record.body, 'fake warning');
  });

  it('events.k8s.io/v1: the same for a regarding object in another namespace', () => {
    const record = map(forgedEventsV1());
    assert.deepEqual(record.resource, { 'k8s.cluster.name': 'c1', 'k8s.namespace.name': 'attacker' });
    assert.equal(record.attributes['eventrouter.identity.mismatch'], true);
    assert.equal(record.attributes['k8s.event.claimed.namespace'], 'victim');
    assert.equal(record.attributes['k8s.event.claimed.name'], 'web-7d9f-abcde');
    assert.equal(record.attributes['k8s.object.resource_version'], undefined);
  });

  it('gives no node to an event about a Node from outside default and kube-system, and marks it', () => {
    const raw = { ...forgedCore(), involvedObject: { kind: 'Node', name: 'node-a', uid: 'node-a', apiVersion: 'v1' } };
    const record = map(raw);
    assert.deepEqual(record.resource, { 'k8s.cluster.name': 'c1', 'k8s.namespace.name': 'attacker' });
    assert.equal(record.attributes['eventrouter.identity.mismatch'], true);
    assert.equal(record.attributes['k8s.event.claimed.kind'], 'Node');
    assert.equal(record.attributes['k8s.event.claimed.namespace'], undefined);
  });

  it('attributes an event about a Node in default to the node, unmarked', () => {
    const raw = { ...forgedCore(), metadata: { name: 'n.1', namespace: 'default', uid: 'n-uid' }, involvedObject: { kind: 'Node', name: 'node-a', uid: 'node-a', apiVersion: 'v1' } };
    const record = map(raw);
    assert.equal(record.resource['k8s.node.name'], 'node-a');
    assert.equal(record.resource['k8s.object.kind'], 'Node');
    assert.equal(record.resource['k8s.namespace.name'], 'default');
    assert.equal(record.attributes['eventrouter.identity.mismatch'], undefined);
    assert.equal(record.attributes['k8s.event.claimed.kind'], undefined);
  });

  it('attributes an event about an object in its own namespace as before, unmarked', () => {
    const raw = forgedCore();
    (raw['metadata'] as Record<string, unknown>)['namespace'] = 'victim';
    const record = map(raw);
    assert.equal(record.resource['k8s.namespace.name'], 'victim');
    assert.equal(record.resource['k8s.pod.name'], 'web-7d9f-abcde');
    assert.equal(record.resource['k8s.container.name'], 'web');
    assert.equal(record.attributes['k8s.object.resource_version'], '123');
    assert.equal(record.attributes['eventrouter.identity.mismatch'], undefined);
  });
});
