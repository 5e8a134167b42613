import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import type { EventRecord } from '../../src/model/event-record.ts';
import { RecordFilter, compileRule } from '../../src/rules/record-filter.ts';
import { podEvent } from '../support/harness.ts';

/** An event about a pod, in the namespace of the object it names (as the API server keeps it; see identity.ts). */
function record(overrides: Record<string, unknown> = {}): EventRecord {
  const namespace = (overrides['involvedObject'] as { namespace?: string } | undefined)?.namespace ?? 'default';
  return mapEvent(normalizeEvent(podEvent(overrides, namespace)), 'ADDED');
}

describe('route rules', () => {
  it('drops by the issue\'s many-star glob against an object named 5,000 dashes, and goes on', () => {
    const route = new RecordFilter([], [{ name: '*-*-*-*-*-controller' }]);
    const hostile = record({ involvedObject: { kind: 'Pod', name: '-'.repeat(5000), namespace: 'default' } });
    assert.equal(route.accepts(hostile), true);
    assert.equal(route.accepts(record({ involvedObject: { kind: 'Pod', name: 'a-b-c-d-e-controller', namespace: 'default' } })), false);
  });

  it('runs a /regex/ rule with nested quantifiers in linear time (RE2), with the right answer', () => {
    const rule = compileRule({ message: '/^(a|aa)+$/' });
    assert.equal(rule(record({ message: `${'a'.repeat(4000)}!` })), false);
    assert.equal(rule(record({ message: 'aaaa' })), true);
  });

  it('matches the event message', () => {
    const rule = compileRule({ message: '*OOMKilled*' });
    assert.equal(rule(record({ message: 'Container app was OOMKilled (exit 137)' })), true);
    assert.equal(rule(record({ message: 'Pulled image' })), false);
    assert.equal(rule(record({ message: undefined })), false);
  });

  it('matches annotations and labels that enrichment copied onto the resource', () => {
    const rule = compileRule({ annotations: { 'team.example.com/owner': 'pay*' }, labels: { tier: 'backend' } });
    const r = record();
    assert.equal(rule(r), false, 'absent annotation');
    r.resource['k8s.pod.annotation.team.example.com/owner'] = 'payments';
    assert.equal(rule(r), false, 'label still absent');
    r.resource['k8s.deployment.label.tier'] = 'backend';
    assert.equal(rule(r), true);
    r.resource['k8s.pod.annotation.team.example.com/owner'] = 'search';
    assert.equal(rule(r), false);
  });

  it('accepts every record when it has no rules', () => {
    assert.equal(new RecordFilter([], []).accepts(record()), true);
  });

  it('accepts a record that matches any of its match rules, and no other', () => {
    const route = new RecordFilter([{ reason: 'BackOff' }, { type: 'Warning' }], []);
    assert.equal(route.accepts(record({ reason: 'BackOff', type: 'Normal' })), true);
    assert.equal(route.accepts(record({ reason: 'Failed', type: 'Warning' })), true);
    assert.equal(route.accepts(record({ reason: 'Pulled', type: 'Normal' })), false);
  });

  it('drops a record that a drop rule matches, even when a match rule matches it too', () => {
    const route = new RecordFilter([{ type: 'Warning' }], [{ namespace: 'kube-*' }]);
    assert.equal(route.accepts(record({ type: 'Warning' })), true);
    assert.equal(route.accepts(record({ type: 'Warning', involvedObject: { kind: 'Pod', name: 'dns', namespace: 'kube-system' } })), false);
  });

  it('requires every condition of one rule to hold', () => {
    const rule = compileRule({ kind: 'Pod', reason: 'Back*' });
    assert.equal(rule(record({ reason: 'BackOff' })), true);
    assert.equal(rule(record({ reason: 'Pulled' })), false);
    assert.equal(rule(record({ reason: 'BackOff', involvedObject: { kind: 'Node', name: 'n1' } })), false);
  });

  it('matches globs on the namespace, kind, name, reason and reporting controller', () => {
    const r = record({ reason: 'FailedScheduling', involvedObject: { kind: 'Pod', name: 'web-7f9c', namespace: 'shop' }, source: { component: 'default-scheduler' } });
    assert.equal(compileRule({ namespace: 'sh?p' })(r), true);
    assert.equal(compileRule({ kind: 'P*' })(r), true);
    assert.equal(compileRule({ name: 'web-*' })(r), true);
    assert.equal(compileRule({ reason: 'Failed*' })(r), true);
    assert.equal(compileRule({ reportingController: '*scheduler' })(r), true);
    assert.equal(compileRule({ name: 'api-*' })(r), false);
  });

  it('matches /regex/ rules unanchored unless anchored', () => {
    assert.equal(compileRule({ reason: '/Back/' })(record({ reason: 'BackOff' })), true);
    assert.equal(compileRule({ reason: '/^Off/' })(record({ reason: 'BackOff' })), false);
  });

  it('passes a minCount rule only for events that occurred at least that often', () => {
    const rule = compileRule({ minCount: 3 });
    assert.equal(rule(record({ count: 2 })), false);
    assert.equal(rule(record({ count: 3 })), true);
    assert.equal(rule(record({ count: undefined })), false, 'no count is one occurrence');
  });
});
