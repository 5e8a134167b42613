import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiGroup, builtInKind } from '../../src/model/kinds.ts';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';

describe('built-in kinds', () => {
  it('reads the API group of an apiVersion', () => {
    assert.equal(apiGroup('apps/v1'), 'apps');
    assert.equal(apiGroup('v1'), '');
    assert.equal(apiGroup(undefined), undefined);
  });

  it('knows a kind by name and group, and not a CRD that reuses the name in its own group', () => {
    assert.equal(builtInKind('Deployment', 'apps/v1')?.nameAttr, 'k8s.deployment.name');
    assert.equal(builtInKind('Deployment', 'argoproj.io/v1alpha1'), undefined);
    assert.equal(builtInKind('Pod', undefined)?.uidAttr, 'k8s.pod.uid');
    assert.equal(builtInKind('toString', 'v1'), undefined, 'no inherited property passes for a kind');
    assert.equal(builtInKind('Service', 'v1')?.uidAttr, undefined, 'semconv has no k8s.service.uid');
  });

  it('gives an event about a Deployment of an old cluster (extensions/v1beta1) the same attributes as the owner chain does', () => {
    const event = normalizeEvent({
      metadata: { name: 'web.1', namespace: 'shop', uid: 'e1' },
      involvedObject: { kind: 'Deployment', apiVersion: 'extensions/v1beta1', name: 'web', namespace: 'shop', uid: 'd1' },
      reason: 'ScalingReplicaSet',
    });
    const record = mapEvent(event, 'ADDED');
    assert.equal(record.resource['k8s.deployment.name'], 'web');
    assert.equal(record.resource['k8s.deployment.uid'], 'd1');
    assert.equal(builtInKind('Deployment', 'extensions/v1beta1')?.api?.plural, 'deployments');
  });
});
