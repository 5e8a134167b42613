import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareResourceVersions, isNewerThan } from '../../src/source/resource-version.ts';

describe('resourceVersion comparison', () => {
  it('compares integer resourceVersions numerically, not as strings', () => {
    assert.equal(compareResourceVersions('9', '10'), -1);
    assert.equal(compareResourceVersions('100', '100'), 0);
    assert.equal(compareResourceVersions('abc', '10'), undefined);
    assert.equal(isNewerThan('10', '9'), true);
    assert.equal(isNewerThan('9', '10'), false);
    assert.equal(isNewerThan('x', '10'), true, 'undecidable: deliver (at-least-once)');
  });

  it('agrees with BigInt order for any two integers (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 0n, max: 10n ** 30n }), (a, b) => {
        assert.equal(compareResourceVersions(String(a), String(b)), a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });
});
