import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventsPath } from '../../src/source/events-path.ts';

describe('events path', () => {
  it('names the Events of every namespace for each API', () => {
    assert.equal(eventsPath('core/v1', ''), '/api/v1/events');
    assert.equal(eventsPath('events.k8s.io/v1', ''), '/apis/events.k8s.io/v1/events');
  });

  it("names one namespace's Events for each API", () => {
    assert.equal(eventsPath('core/v1', 'kube-system'), '/api/v1/namespaces/kube-system/events');
    assert.equal(eventsPath('events.k8s.io/v1', 'default'), '/apis/events.k8s.io/v1/namespaces/default/events');
  });

  it('escapes a namespace that is not a valid name, so that it cannot reach another path', () => {
    assert.equal(eventsPath('core/v1', '../../secrets'), '/api/v1/namespaces/..%2F..%2Fsecrets/events');
    assert.equal(eventsPath('core/v1', 'a?watch=1'), '/api/v1/namespaces/a%3Fwatch%3D1/events');
  });
});
