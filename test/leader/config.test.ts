import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leaderElectionConfigSchema } from '../../src/leader/config.ts';
import { problems, undescribedKeys } from '../support/schema-probe.ts';

describe('leader election config', () => {
  it('is off by default, with client-go\'s lease timings (15s, 10s, 2s)', () => {
    assert.deepEqual(leaderElectionConfigSchema.parse(undefined), {
      enabled: false,
      leaseName: 'eventrouter',
      leaseNamespace: '',
      identity: '',
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2000,
    });
    assert.ok(leaderElectionConfigSchema.parse({}).renewDeadline < leaderElectionConfigSchema.parse({}).leaseDuration, 'the defaults pass the renewDeadline < leaseDuration check');
  });

  it('reads the timings as durations', () => {
    const config = leaderElectionConfigSchema.parse({ enabled: true, leaseDuration: '1m', renewDeadline: '40s', retryPeriod: '500ms' });
    assert.deepEqual([config.enabled, config.leaseDuration, config.renewDeadline, config.retryPeriod], [true, 60_000, 40_000, 500]);
  });

  it('refuses a string for a flag, a number for a duration and an unknown key, each by its key', () => {
    assert.deepEqual(problems(leaderElectionConfigSchema, { enabled: 'yes', leaseDuration: 15, lease: 'x' }), [
      'enabled: Invalid input: expected boolean, received string',
      'leaseDuration: expected a duration such as 10s (a string with a unit: ms, s, m, h), not 15',
      'lease: unknown key',
    ]);
  });

  it('refuses a retry period of 0 (attempts without pause), by its key', () => {
    assert.deepEqual(problems(leaderElectionConfigSchema, { retryPeriod: '0' }), [
      'retryPeriod: must be above 0 (acquire and renew attempts would follow each other without pause)',
    ]);
  });

  it('describes every key', () => {
    assert.deepEqual(undescribedKeys(leaderElectionConfigSchema), []);
    assert.ok(leaderElectionConfigSchema.description);
  });
});
