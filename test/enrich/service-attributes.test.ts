import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyServiceAttributes, type WorkloadMetadata } from '../../src/enrich/service-attributes.ts';
import type { AttributeMap } from '../../src/model/event-record.ts';

const ANNOTATION = 'resource.opentelemetry.io/';

/** The service.* attributes applyServiceAttributes sets on a copy of `resource`. */
function service(resource: AttributeMap, metadata?: WorkloadMetadata): AttributeMap {
  const out = { ...resource };
  applyServiceAttributes(out, metadata);
  return Object.fromEntries(Object.entries(out).filter(([key]) => key.startsWith('service.')));
}

const container: AttributeMap = {
  'k8s.namespace.name': 'shop',
  'k8s.pod.name': 'cart-7d9f-abcde',
  'k8s.container.name': 'app',
  'k8s.replicaset.name': 'cart-7d9f',
  'k8s.deployment.name': 'cart',
};

describe('service.* attributes (semantic conventions, k8s rules)', () => {
  it('names a container event by its deployment, with namespace and instance id, and no version without one', () => {
    assert.deepEqual(service(container), {
      'service.name': 'cart',
      'service.namespace': 'shop',
      'service.instance.id': 'shop.cart-7d9f-abcde.app',
    });
  });

  it('takes the name from the annotation first, then app.kubernetes.io/instance, then app.kubernetes.io/name', () => {
    const labels = { 'app.kubernetes.io/instance': 'cart-eu', 'app.kubernetes.io/name': 'cart-name' };
    assert.equal(service(container, { annotations: { [`${ANNOTATION}service.name`]: 'checkout' }, labels })['service.name'], 'checkout');
    assert.equal(service(container, { labels })['service.name'], 'cart-eu');
    assert.equal(service(container, { labels: { 'app.kubernetes.io/name': 'cart-name' } })['service.name'], 'cart-name');
  });

  it('falls back along the workload order: replicaset before statefulset before pod', () => {
    assert.equal(service({ 'k8s.namespace.name': 'a', 'k8s.pod.name': 'p', 'k8s.replicaset.name': 'rs' })['service.name'], 'rs');
    assert.equal(service({ 'k8s.namespace.name': 'a', 'k8s.pod.name': 'db-0', 'k8s.statefulset.name': 'db' })['service.name'], 'db');
    assert.equal(service({ 'k8s.namespace.name': 'a', 'k8s.pod.name': 'solo' })['service.name'], 'solo');
  });

  it('takes the version from the annotation, then app.kubernetes.io/version, then the container image tag or digest', () => {
    const images = { app: 'registry.example:5000/shop/cart:1.4.2' };
    assert.equal(service(container, { images })['service.version'], '1.4.2');
    assert.equal(service(container, { images, labels: { 'app.kubernetes.io/version': '1.4' } })['service.version'], '1.4');
    assert.equal(service(container, { images, annotations: { [`${ANNOTATION}service.version`]: 'v9' } })['service.version'], 'v9');
    assert.equal(service({ ...container, 'k8s.container.name': 'sidecar' }, { images })['service.version'], undefined);
  });

  it('gives a pod-level event no instance id (no container to name) unless annotated', () => {
    const pod = { 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'cart-1', 'k8s.deployment.name': 'cart' };
    assert.equal(service(pod)['service.instance.id'], undefined);
    assert.equal(service(pod, { annotations: { [`${ANNOTATION}service.instance.id`]: 'i-1' } })['service.instance.id'], 'i-1');
  });

  it('sets nothing for an object that does not run as a service (a Node)', () => {
    assert.deepEqual(service({ 'k8s.node.name': 'node-1' }), {});
  });

  it('keeps values already present, and never sets an empty one', () => {
    assert.deepEqual(service({ ...container, 'service.name': 'given', 'service.namespace': 'ns-given' }), {
      'service.name': 'given',
      'service.namespace': 'ns-given',
      'service.instance.id': 'shop.cart-7d9f-abcde.app',
    });
    assert.equal(service({ 'k8s.namespace.name': 'a', 'k8s.pod.name': 'p' }, { labels: { 'app.kubernetes.io/version': '' } })['service.version'], undefined);
  });

  it('namespaces the service by the annotation before k8s.namespace.name', () => {
    assert.equal(service(container, { annotations: { [`${ANNOTATION}service.namespace`]: 'team-a' } })['service.namespace'], 'team-a');
  });
});
