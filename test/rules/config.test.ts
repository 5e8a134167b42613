import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ruleList, ruleSchema, throttleSchema } from '../../src/rules/config.ts';
import { problems, undescribedKeys } from '../support/schema-probe.ts';

describe('rules config', () => {
  it('a rule takes each condition as a pattern, labels and annotations as key → pattern, and a count', () => {
    const rule = { namespace: 'kube-*', kind: 'Pod', name: '/^web-/', reason: 'BackOff', type: 'Warning', reportingController: 'kubelet', message: '*OOMKilled*', labels: { app: 'web*' }, annotations: { team: '/^a/' }, minCount: 0 };
    assert.deepEqual(ruleSchema.parse(rule), rule);
    assert.deepEqual(ruleSchema.parse({}), {}, 'no condition is set unless written');
  });

  it('refuses a bad regular expression, a negative or fractional count and an unknown condition, each by its key', () => {
    const found = problems(ruleSchema, { reason: '/(?!x)/', labels: { app: '/(/' }, minCount: -1, namespaces: 'a' });
    assert.equal(found.length, 4, found.join('\n'));
    assert.match(found[0] ?? '', /^reason: invalid regular expression \/\(\?!x\)\/ \(RE2 syntax\)/);
    assert.match(found[1] ?? '', /^labels\.app: invalid regular expression \/\(\/ \(RE2 syntax\)/);
    assert.equal(found[2], 'minCount: Too small: expected number to be >=0');
    assert.equal(found[3], 'namespaces: unknown key');
    assert.deepEqual(problems(ruleSchema, { minCount: 1.5 }), ['minCount: Invalid input: expected int, received number']);
  });

  it('a rule list is empty by default, carries its own description, and names the rule at fault', () => {
    const list = ruleList('Where these rules apply.');
    assert.deepEqual(list.parse(undefined), []);
    assert.equal(list.description, 'Where these rules apply.');
    assert.deepEqual(problems(z.object({ drop: list }), { drop: [{ kind: 'Pod' }, { kind: 1 }] }), ['drop[1].kind: Invalid input: expected string, received number']);
  });

  it('throttle: a limit of at least 1 per interval (default 1m); the limit is required', () => {
    assert.deepEqual(throttleSchema.parse({ limit: 1 }), { limit: 1, interval: 60_000 });
    assert.deepEqual(throttleSchema.parse({ limit: 5, interval: '10s' }), { limit: 5, interval: 10_000 });
    assert.deepEqual(problems(throttleSchema, { limit: 0, interval: '1 min' }), [
      'limit: Too small: expected number to be >=1',
      'interval: invalid duration "1 min" (use e.g. 500ms, 15s, 10m, 1h30m)',
    ]);
    assert.deepEqual(problems(throttleSchema, {}), ['limit: Invalid input: expected number, received undefined']);
  });

  it('describes every key of a rule and of the throttle', () => {
    assert.deepEqual(undescribedKeys(ruleSchema), []);
    assert.deepEqual(undescribedKeys(throttleSchema), []);
  });
});
