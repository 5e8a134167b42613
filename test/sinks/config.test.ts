import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { sinkCommonShape } from '../../src/sinks/config.ts';
import { SINK_QUEUE_DEFAULTS } from '../../src/sinks/sink-defaults.ts';
import { problems, undescribedKeys } from '../support/schema-probe.ts';

/** The keys every sink entry has, as the root schema composes them with a kind's own. */
const common = z.object(sinkCommonShape).strict();

describe('sink config (the keys every sink kind has)', () => {
  it('applies the queue, batch and retry defaults that a sink without an entry gets (SINK_QUEUE_DEFAULTS)', () => {
    const entry = common.parse({ name: 'a' });
    assert.deepEqual(entry, { name: 'a', match: [], drop: [], ...SINK_QUEUE_DEFAULTS });
    assert.equal('delivery' in entry, false, 'unset: decided by the sink\'s place (deliveryMode)');
    assert.equal('throttle' in entry, false);
  });

  it('takes names of letters, digits, "_", "-" and "."; anything else is refused by its key', () => {
    for (const name of ['otlp', 'a.b-c_d', 'A1']) assert.equal(common.parse({ name }).name, name);
    assert.deepEqual(problems(common, { name: 'my sink' }), ['name: use letters, digits, "_", "-" and "."']);
    assert.deepEqual(problems(common, { name: 'a/b' }), ['name: use letters, digits, "_", "-" and "."']);
    assert.deepEqual(problems(common, { name: '' }), ['name: Too small: expected string to have >=1 characters', 'name: use letters, digits, "_", "-" and "."']);
    assert.deepEqual(problems(common, {}), ['name: Invalid input: expected string, received undefined']);
  });

  it('takes the smallest queue and batch (1 record, 1 KiB) and refuses below', () => {
    const smallest = { name: 'a', queueSize: 1, queueBytes: 1024, maxBatchSize: 1, maxBatchBytes: 1024 };
    assert.deepEqual(problems(common, smallest), []);
    assert.deepEqual(problems(common, { name: 'a', queueSize: 0, queueBytes: 1023, maxBatchSize: 0, maxBatchBytes: 1023 }), [
      'queueSize: Too small: expected number to be >=1',
      'queueBytes: Too small: expected number to be >=1024',
      'maxBatchSize: Too small: expected number to be >=1',
      'maxBatchBytes: Too small: expected number to be >=1024',
    ]);
    assert.deepEqual(problems(common, { name: 'a', queueSize: 10.5 }), ['queueSize: Invalid input: expected int, received number']);
  });

  it('reads the durations, the delivery mode, routes and a throttle; refuses each wrong value by its key', () => {
    const entry = common.parse({ name: 'a', delivery: 'best-effort', batchTimeout: '200ms', maxElapsedTime: '1m', match: [{ type: 'Warning' }], throttle: { limit: 2 } });
    assert.deepEqual([entry.delivery, entry.batchTimeout, entry.maxElapsedTime, entry.match, entry.throttle], ['best-effort', 200, 60_000, [{ type: 'Warning' }], { limit: 2, interval: 60_000 }]);
    assert.deepEqual(problems(common, { name: 'a', delivery: 'at-least-once', initialBackoff: 1, maxBackoff: '30 s', drop: [{ kind: '/(?=x)/' }], throttle: { limit: 0 }, retries: 3 }).map((p) => p.replace(/ \(RE2 syntax\).*/, '')), [
      'drop[0].kind: invalid regular expression /(?=x)/',
      'delivery: Invalid option: expected one of "required"|"best-effort"',
      'initialBackoff: expected a duration such as 10s (a string with a unit: ms, s, m, h), not 1',
      'maxBackoff: invalid duration "30 s" (use e.g. 500ms, 15s, 10m, 1h30m)',
      'throttle.limit: Too small: expected number to be >=1',
      'retries: unknown key',
    ]);
  });

  it('refuses a first retry delay of 0 (it doubles to 0: a failing export retried without pause); other durations may be 0', () => {
    assert.deepEqual(problems(common, { name: 'a', initialBackoff: '0' }), [
      'initialBackoff: must be above 0 (a delay of 0 doubles to 0: a failing export would be retried without pause)',
    ]);
    assert.deepEqual(problems(common, { name: 'a', batchTimeout: '0', maxBackoff: '0', maxElapsedTime: '0' }), []);
  });

  it('describes every key', () => {
    assert.deepEqual(undescribedKeys(common), []);
  });
});
