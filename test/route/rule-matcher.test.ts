import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import type { EventRecord } from '../../src/model/event-record.ts';
import { MAX_PATTERN_INPUT, compilePattern, patternProblem } from '../../src/util/pattern.ts';
import { Route, compileRule } from '../../src/route/rule-matcher.ts';
import { podEvent } from '../support/harness.ts';

function record(overrides: Record<string, unknown> = {}): EventRecord {
  return mapEvent(normalizeEvent(podEvent(overrides)), 'ADDED');
}

describe('route rules', () => {
  it('drops by the issue\'s many-star glob against an object named 5,000 dashes, and goes on', () => {
    const route = new Route([], [{ name: '*-*-*-*-*-controller' }]);
    const hostile = record({ involvedObject: { kind: 'Pod', name: '-'.repeat(5000), namespace: 'default' } });
    assert.equal(route.accepts(hostile), true);
    assert.equal(route.accepts(record({ involvedObject: { kind: 'Pod', name: 'a-b-c-d-e-controller', namespace: 'default' } })), false);
  });

  it('runs a /regex/ with nested quantifiers in linear time (RE2), with the right answer', () => {
    // 4000, not 5000: a field is matched by its first 4096 characters, where `$` would then match.
    const match = compilePattern('/(a+)+$/');
    assert.equal(match(`${'a'.repeat(4000)}b`), false);
    assert.equal(match('xaaa'), true);
    const rule = compileRule({ message: '/^(a|aa)+$/' });
    assert.equal(rule(record({ message: `${'a'.repeat(4000)}!` })), false);
  });

  it('keeps RegExp semantics for ordinary regexes: unanchored unless anchored', () => {
    assert.equal(compilePattern('/Back/')('BackOff'), true);
    assert.equal(compilePattern('/^Off/')('BackOff'), false);
    assert.equal(compilePattern('/^(Failed|BackOff)$/')('BackOff'), true);
    assert.equal(compilePattern('/\\d{3}/')('exit 137'), true);
  });

  it('matches only the first 4096 characters of a field', () => {
    const long = `${'x'.repeat(MAX_PATTERN_INPUT)}needle`;
    assert.equal(compilePattern('*needle*')(long), false);
    assert.equal(compilePattern('/needle/')(long), false);
    assert.equal(compilePattern('x*')(long), true);
  });

  it('refuses regexes RE2 cannot run linearly, with a readable reason', () => {
    assert.match(patternProblem('/(?=a)b/') ?? '', /invalid regular expression \/\(\?=a\)b\/ \(RE2 syntax\)/);
    assert.match(patternProblem('/(a/') ?? '', /missing closing \)/);
    assert.equal(patternProblem('/ok.*/'), undefined);
    assert.equal(patternProblem('plain-(glob'), undefined);
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
});
