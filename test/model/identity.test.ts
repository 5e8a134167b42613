import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAttributable, isClusterScopedKind } from '../../src/model/identity.ts';
import type { NormalizedEvent, ObjectRef } from '../../src/model/normalized-event.ts';

function event(namespace: string, regarding: ObjectRef): NormalizedEvent {
  return { apiVersion: 'v1', name: 'e', namespace, uid: 'u', resourceVersion: '1', regarding, eventTime: '2026-01-01T00:00:00.000000Z' };
}

const POD = { kind: 'Pod', name: 'web-0', apiVersion: 'v1' };
const NODE = { kind: 'Node', name: 'node-a', apiVersion: 'v1' };

describe('event identity (who an event may be attributed to)', () => {
  it('trusts an event about an object in its own namespace', () => {
    assert.equal(isAttributable(event('shop', { ...POD, namespace: 'shop' })), true);
  });

  it('does not trust an event naming an object in another namespace (what core/v1 lets through once eventTime is set)', () => {
    assert.equal(isAttributable(event('attacker', { ...POD, namespace: 'victim' })), false);
    // Not even from default or kube-system: those hold events about cluster-scoped objects only.
    assert.equal(isAttributable(event('default', { ...POD, namespace: 'victim' })), false);
    assert.equal(isAttributable(event('kube-system', { ...POD, namespace: 'victim' })), false);
  });

  it('trusts an event about a cluster-scoped object only in default or kube-system, as the API server requires', () => {
    assert.equal(isAttributable(event('default', NODE)), true);
    assert.equal(isAttributable(event('kube-system', NODE)), true);
    assert.equal(isAttributable(event('attacker', NODE)), false);
    // A CRD's cluster-scoped object is known by its empty namespace.
    assert.equal(isAttributable(event('kube-system', { kind: 'ClusterIssuer', name: 'le', apiVersion: 'cert-manager.io/v1' })), true);
    assert.equal(isAttributable(event('attacker', { kind: 'ClusterIssuer', name: 'le', apiVersion: 'cert-manager.io/v1' })), false);
  });

  it('does not trust a built-in cluster-scoped kind given a namespace to pass the equality check', () => {
    assert.equal(isAttributable(event('attacker', { ...NODE, namespace: 'attacker' })), false);
    assert.equal(isAttributable(event('attacker', { kind: 'Namespace', name: 'victim', apiVersion: 'v1', namespace: 'attacker' })), false);
    assert.equal(isAttributable(event('attacker', { kind: 'ClusterRole', name: 'admin', apiVersion: 'rbac.authorization.k8s.io/v1', namespace: 'attacker' })), false);
    assert.equal(isAttributable(event('default', { ...NODE, namespace: 'default' })), true);
  });

  it('knows built-in cluster-scoped kinds by their group: a CRD reusing the name is namespaced', () => {
    assert.equal(isClusterScopedKind('Node', 'v1'), true);
    assert.equal(isClusterScopedKind('Node', undefined), true);
    assert.equal(isClusterScopedKind('Node', 'example.com/v1'), false);
    assert.equal(isClusterScopedKind('Pod', 'v1'), false);
    assert.equal(isAttributable(event('team', { kind: 'Node', name: 'n', namespace: 'team', apiVersion: 'example.com/v1' })), true);
  });

  it('puts a namespaced object with no namespace in the event\'s own: trusted where the API server accepts it', () => {
    // core/v1 validation: no involved namespace means default (old-style) or default/kube-system (eventTime set).
    assert.equal(isAttributable(event('default', POD)), true);
    assert.equal(isAttributable(event('attacker', POD)), false);
  });
});
