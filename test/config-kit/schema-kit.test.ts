import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { duration, durationOr, durationText, listenAddress, pattern, positiveDuration, stringList, toMs } from '../../src/config-kit/schema-kit.ts';
import { LISTEN_HINT } from '../../src/config-kit/addresses.ts';
import { DURATION_PATTERN, durationOrPattern } from '../../src/util/duration.ts';
import { jsonSchemaOf, problems } from '../support/schema-probe.ts';

/** One key `k` of the given schema, as a component's config would hold it. */
const keyed = (schema: z.ZodType) => z.object({ k: schema }).strict();

describe('schema kit (the building blocks of every component config)', () => {
  it('duration: applies the default as written, reads Go-style durations in milliseconds', () => {
    const schema = keyed(duration('5m'));
    assert.deepEqual(schema.parse({}), { k: 300_000 });
    assert.deepEqual(schema.parse({ k: '1h30m' }), { k: 5_400_000 });
    assert.deepEqual(schema.parse({ k: '500ms' }), { k: 500 });
    assert.deepEqual(schema.parse({ k: '0' }), { k: 0 });
  });

  it('duration: refuses text that is not a duration and a bare number, naming the key and what to write', () => {
    assert.deepEqual(problems(keyed(duration('5m')), { k: '5min' }), ['k: invalid duration "5min" (use e.g. 500ms, 15s, 10m, 1h30m)']);
    assert.deepEqual(problems(keyed(duration('5m')), { k: '-1s' }), ['k: invalid duration "-1s" (use e.g. 500ms, 15s, 10m, 1h30m)']);
    assert.deepEqual(problems(keyed(duration('5m')), { k: 10 }), ['k: expected a duration such as 10s (a string with a unit: ms, s, m, h), not 10']);
  });

  it('durationText / toMs: no default, the same reading and the same problem', () => {
    const schema = keyed(durationText().transform(toMs));
    assert.deepEqual(schema.parse({ k: '2s' }), { k: 2000 });
    assert.equal(problems(schema, {}).length, 1, 'a required duration that is missing is a problem');
    assert.match(problems(schema, {})[0] ?? '', /^k: /);
    assert.deepEqual(problems(schema, { k: '2 s' }), ['k: invalid duration "2 s" (use e.g. 500ms, 15s, 10m, 1h30m)']);
  });

  it('duration: carries the duration pattern in the JSON Schema, so editors and helm refuse what start-up refuses', () => {
    const node = jsonSchemaOf(keyed(duration('5m'))).properties?.['k'];
    assert.equal(node?.['pattern'], DURATION_PATTERN);
    assert.equal(node?.['default'], '5m', 'the default is shown as a user writes it');
  });

  it('positiveDuration: as duration, and refuses 0 saying what 0 would do', () => {
    const schema = keyed(positiveDuration('1s', 'retries without pause'));
    assert.deepEqual(schema.parse({}), { k: 1000 });
    assert.deepEqual(schema.parse({ k: '1ms' }), { k: 1 }, 'the smallest duration above 0');
    assert.deepEqual(problems(schema, { k: '0' }), ['k: must be above 0 (retries without pause)']);
    assert.deepEqual(problems(schema, { k: '0ms' }), ['k: must be above 0 (retries without pause)']);
    assert.deepEqual(problems(schema, { k: 'x' }), ['k: invalid duration "x" (use e.g. 500ms, 15s, 10m, 1h30m)'], 'one problem for a bad text, not two');
    assert.equal(jsonSchemaOf(schema).properties?.['k']?.['pattern'], DURATION_PATTERN);
  });

  it('durationOr: exactly the word, or a duration; anything else names both', () => {
    const schema = keyed(durationOr('all', 'all'));
    assert.deepEqual(schema.parse({}), { k: 'all' });
    assert.deepEqual(schema.parse({ k: '10m' }), { k: 600_000 });
    assert.deepEqual(problems(schema, { k: 'All' }), ['k: use "all" or a duration such as 10m']);
    assert.deepEqual(problems(schema, { k: 10 }), ['k: expected "all" or a duration such as 10m (a string with a unit: ms, s, m, h), not 10']);
    assert.equal(jsonSchemaOf(schema).properties?.['k']?.['pattern'], durationOrPattern('all'));
    assert.deepEqual(keyed(durationOr('all', '1h')).parse({}), { k: 3_600_000 }, 'a duration default is read too');
  });

  it('stringList: empty by default, strings only', () => {
    assert.deepEqual(keyed(stringList()).parse({}), { k: [] });
    assert.deepEqual(keyed(stringList()).parse({ k: ['a', 'b*'] }), { k: ['a', 'b*'] });
    assert.deepEqual(problems(keyed(stringList()), { k: ['a', 1] }), ['k[1]: Invalid input: expected string, received number']);
  });

  it('pattern: takes globs and RE2 regular expressions, refuses look-around with the reason', () => {
    for (const text of ['*', 'kube-*', 'a?c', '/^kube-(system|public)$/', '']) assert.deepEqual(problems(keyed(pattern()), { k: text }), [], text);
    const [lookahead] = problems(keyed(pattern()), { k: '/^(?=a)/' });
    assert.match(lookahead ?? '', /^k: invalid regular expression \/\^\(\?=a\)\/ \(RE2 syntax\): .*look-around/);
    const [unbalanced] = problems(keyed(pattern()), { k: '/(a/' });
    assert.match(unbalanced ?? '', /^k: invalid regular expression \/\(a\/ \(RE2 syntax\)/);
  });

  it('listenAddress: host:port or "" (not served); anything else gets the hint', () => {
    for (const text of ['', '0.0.0.0:8080', '127.0.0.1:0', '[::1]:65535', ':9090']) assert.deepEqual(problems(keyed(listenAddress()), { k: text }), [], text);
    for (const text of ['8080', '127.0.0.1:65536', 'http://0.0.0.0:8080']) {
      assert.deepEqual(problems(keyed(listenAddress()), { k: text }), [`k: "${text}": ${LISTEN_HINT}`]);
    }
  });
});
