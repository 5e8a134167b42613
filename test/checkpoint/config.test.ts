import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkpointConfigSchema } from '../../src/checkpoint/config.ts';
import { SAVE_TIMEOUT_MS } from '../../src/checkpoint/checkpoint-committer.ts';
import { problems, undescribedKeys } from '../support/schema-probe.ts';

describe('checkpoint config', () => {
  it('defaults to a file store written after every acknowledged batch, with the committer\'s save timeout', () => {
    assert.deepEqual(checkpointConfigSchema.parse(undefined), {
      store: 'file',
      path: '/var/lib/eventrouter/checkpoint.json',
      configMapName: 'eventrouter-checkpoint',
      namespace: '',
      interval: 0,
      timeout: SAVE_TIMEOUT_MS,
    });
  });

  it('writes a ConfigMap at most once a second by default (each write is an API request), as configured otherwise', () => {
    assert.equal(checkpointConfigSchema.parse({ store: 'configmap' }).interval, 1000);
    assert.equal(checkpointConfigSchema.parse({ store: 'configmap', interval: '0' }).interval, 0, 'an explicit 0 is kept, not replaced by the default');
    assert.equal(checkpointConfigSchema.parse({ store: 'file', interval: '250ms' }).interval, 250);
    assert.equal(checkpointConfigSchema.parse({ store: 'none' }).interval, 0);
  });

  it('refuses an unknown store, a bad duration, a wrong type and an unknown key, each by its key, all at once', () => {
    assert.deepEqual(problems(checkpointConfigSchema, { store: 'redis', interval: '1 minute', timeout: 15, path: 3, pathh: 'x' }), [
      'store: Invalid option: expected one of "file"|"configmap"|"none"',
      'path: Invalid input: expected string, received number',
      'interval: invalid duration "1 minute" (use e.g. 500ms, 15s, 10m, 1h30m)',
      'timeout: expected a duration such as 10s (a string with a unit: ms, s, m, h), not 15',
      'pathh: unknown key',
    ]);
  });

  it('refuses a save timeout of 0 (every save would time out), by its key', () => {
    assert.deepEqual(problems(checkpointConfigSchema, { timeout: '0' }), ['timeout: must be above 0 (every save would time out)']);
    assert.equal(checkpointConfigSchema.parse({ timeout: '1ms' }).timeout, 1);
  });

  it('describes every key', () => {
    assert.deepEqual(undescribedKeys(checkpointConfigSchema), []);
    assert.ok(checkpointConfigSchema.description);
  });
});
