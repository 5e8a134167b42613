import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { testElector } from '../support/lease-elector.ts';

const LEASES = '/apis/coordination.k8s.io/v1/leases';
const BOUND = { timeout: 30_000 };

/**
 * Whoever may write the Lease (or a misbehaving API server) can leave garbage in its spec. A
 * candidate must still be able to lead: before, `spec: null` threw on every attempt (no replica
 * ever led) and a string duration made the Lease never expire (every replica a standby forever).
 */
describe('a Lease with garbage in its spec', () => {
  let api: FakeApiServer;
  afterEach(async () => api?.stop(), BOUND);

  const elector = (identity: string) => testElector(api.url, identity);


  const garbage: Array<[string, unknown]> = [
    ['spec: null', null],
    ['spec: a string', 'x'],
    ['spec: an array', [1, 2]],
    ['a string duration', { holderIdentity: 'ghost', leaseDurationSeconds: 'forever', renewTime: '2026-01-01T00:00:00.000000Z' }],
    ['a negative duration', { holderIdentity: 'ghost', leaseDurationSeconds: -5 }],
    ['a fractional duration and numeric holder', { holderIdentity: 42, leaseDurationSeconds: 1.5, leaseTransitions: 'many' }],
    ['an object holder and null times', { holderIdentity: { a: 1 }, acquireTime: null, renewTime: 7, leaseTransitions: -1 }],
  ];

  for (const [what, spec] of garbage) {
    it(`is taken over and written back well-formed (${what})`, BOUND, async () => {
      api = new FakeApiServer();
      await api.start();
      api.create(`${LEASES}`, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l', namespace: 'ns' }, spec });
      assert.equal(await elector('me').tryAcquireOrRenew(), true);
      const written = api.get(LEASES, 'ns', 'l') as unknown as { spec: Record<string, unknown> };
      assert.equal(written.spec['holderIdentity'], 'me');
      assert.equal(written.spec['leaseDurationSeconds'], 15);
      assert.equal(typeof written.spec['renewTime'], 'string');
      assert.ok(Number.isInteger(written.spec['leaseTransitions']) && (written.spec['leaseTransitions'] as number) >= 0);
      // And the holder renews it, while another candidate respects it.
      assert.equal(await elector('me').tryAcquireOrRenew(), true);
      assert.equal(await elector('other').tryAcquireOrRenew(), false);
    });
  }

  it('a well-formed, unexpired Lease held by another candidate is still respected', BOUND, async () => {
    api = new FakeApiServer();
    await api.start();
    const now = new Date().toISOString().replace('Z', '000Z');
    api.create(LEASES, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l', namespace: 'ns' }, spec: { holderIdentity: 'ghost', leaseDurationSeconds: 3600, renewTime: now } });
    assert.equal(await elector('me').tryAcquireOrRenew(), false);
  });
});
