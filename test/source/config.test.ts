import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_APIS, sourceConfigSchema } from '../../src/source/config.ts';
import { SOURCE_BACKOFF_DEFAULTS } from '../../src/source/backoff.ts';
import { problems, undescribedKeys } from '../support/schema-probe.ts';

describe('source config', () => {
  it('defaults to every core/v1 Event of every namespace, with the backoff the source falls back on', () => {
    assert.deepEqual(sourceConfigSchema.parse(undefined), {
      api: 'core/v1',
      namespaces: [],
      fieldSelector: '',
      labelSelector: '',
      backfill: 'all',
      pageSize: 500,
      watchTimeout: 300_000,
      inactivityTimeout: 180_000,
      watchCoalesce: 50,
      minBackoff: SOURCE_BACKOFF_DEFAULTS.minBackoff,
      maxBackoff: SOURCE_BACKOFF_DEFAULTS.maxBackoff,
      dedupeCacheSize: 20_000,
      emit: { added: true, modified: 'occurrence', deleted: false },
    });
    assert.equal(EVENT_APIS[0], 'core/v1');
  });

  it('fills the emit keys left out of a partial emit', () => {
    assert.deepEqual(sourceConfigSchema.parse({ emit: { deleted: true } }).emit, { added: true, modified: 'occurrence', deleted: true });
  });

  it('takes both Event APIs, "all" or a duration for backfill, and pageSize from 1 to 10000', () => {
    for (const api of EVENT_APIS) assert.equal(sourceConfigSchema.parse({ api }).api, api);
    assert.equal(sourceConfigSchema.parse({ backfill: '10m' }).backfill, 600_000);
    assert.equal(sourceConfigSchema.parse({ pageSize: 1 }).pageSize, 1);
    assert.equal(sourceConfigSchema.parse({ pageSize: 10_000 }).pageSize, 10_000);
    assert.equal(sourceConfigSchema.parse({ dedupeCacheSize: 100 }).dedupeCacheSize, 100);
  });

  it('refuses values past each boundary, by their keys, all at once', () => {
    assert.deepEqual(problems(sourceConfigSchema, { api: 'events/v1', backfill: 'none', pageSize: 10_001, dedupeCacheSize: 99, emit: { modified: 'some' } }), [
      'api: Invalid option: expected one of "core/v1"|"events.k8s.io/v1"',
      'backfill: use "all" or a duration such as 10m',
      'pageSize: Too big: expected number to be <=10000',
      'dedupeCacheSize: Too small: expected number to be >=100',
      'emit.modified: Invalid option: expected one of "occurrence"|"all"|"none"',
    ]);
    assert.deepEqual(problems(sourceConfigSchema, { pageSize: 0, watchTimeout: 300, emit: { updated: true }, namespace: 'a' }), [
      'pageSize: Too small: expected number to be >=1',
      'watchTimeout: expected a duration such as 10s (a string with a unit: ms, s, m, h), not 300',
      'emit.updated: unknown key',
      'namespace: unknown key',
    ]);
  });

  it('refuses a first backoff and an inactivity timeout of 0 (retries without pause, watches cut as they open), by their keys', () => {
    assert.deepEqual(problems(sourceConfigSchema, { minBackoff: '0', inactivityTimeout: '0s', maxBackoff: '0', watchTimeout: '0' }), [
      'inactivityTimeout: must be above 0 (every watch would be cut as soon as it opens)',
      'minBackoff: must be above 0 (a delay of 0 doubles to 0: failed lists and watches would be retried without pause)',
    ]);
    assert.equal(sourceConfigSchema.parse({ minBackoff: '1ms' }).minBackoff, 1);
  });

  it('takes a watch coalescing wait from 0 to 1s, and refuses a longer one by its key', () => {
    assert.equal(sourceConfigSchema.parse({ watchCoalesce: '0' }).watchCoalesce, 0);
    assert.equal(sourceConfigSchema.parse({ watchCoalesce: '1s' }).watchCoalesce, 1000);
    assert.deepEqual(problems(sourceConfigSchema, { watchCoalesce: '1.5s' }), ['watchCoalesce: must be at most 1s (every event would wait that long before it is read)']);
  });

  it('describes every key, those of emit too', () => {
    assert.deepEqual(undescribedKeys(sourceConfigSchema), []);
    assert.ok(sourceConfigSchema.description);
  });
});
