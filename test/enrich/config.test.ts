import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichConfigSchema } from '../../src/enrich/config.ts';
import { problems, undescribedKeys } from '../support/schema-probe.ts';

describe('enrich config', () => {
  it('defaults to owner and service.* enrichment with a bounded cache and lookup rate', () => {
    assert.deepEqual(enrichConfigSchema.parse(undefined), {
      owners: true,
      serviceName: true,
      labels: [],
      annotations: [],
      cacheSize: 10_000,
      cacheTtl: 300_000,
      qps: 20,
      deadline: 2000,
    });
  });

  it('takes the smallest cache and any positive rate, with durations in milliseconds', () => {
    assert.deepEqual(enrichConfigSchema.parse({ cacheSize: 1, qps: 0.5, cacheTtl: '30s', deadline: '250ms', labels: ['app*'] }), {
      ...enrichConfigSchema.parse({}),
      cacheSize: 1,
      qps: 0.5,
      cacheTtl: 30_000,
      deadline: 250,
      labels: ['app*'],
    });
  });

  it('refuses an empty or fractional cache, a rate of zero, a bad duration and an unknown key, each by its key', () => {
    assert.deepEqual(problems(enrichConfigSchema, { cacheSize: 0, qps: 0, deadline: '2 s', owner: false }), [
      'cacheSize: Too small: expected number to be >=1',
      'qps: Too small: expected number to be >0',
      'deadline: invalid duration "2 s" (use e.g. 500ms, 15s, 10m, 1h30m)',
      'owner: unknown key',
    ]);
    assert.deepEqual(problems(enrichConfigSchema, { cacheSize: 1.5, labels: 'app' }), [
      'labels: Invalid input: expected array, received string',
      'cacheSize: Invalid input: expected int, received number',
    ]);
  });

  it('describes every key', () => {
    assert.deepEqual(undescribedKeys(enrichConfigSchema), []);
    assert.ok(enrichConfigSchema.description);
  });
});
