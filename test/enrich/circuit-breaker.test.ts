import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from '../../src/enrich/circuit-breaker.ts';

describe('circuit breaker', () => {
  it('opens after the threshold of failures in a row, lets one probe through after the cooldown, and closes on its success', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ threshold: 3, cooldownMs: 1000, now: () => now });
    assert.equal(breaker.failure(), false);
    assert.equal(breaker.failure(), false);
    assert.equal(breaker.allows(), true);
    assert.equal(breaker.failure(), true, 'the third failure opens it');
    assert.equal(breaker.allows(), false);
    now = 1001;
    assert.equal(breaker.allows(), true, 'one probe after the cooldown');
    assert.equal(breaker.allows(), false, 'only one');
    breaker.success();
    assert.equal(breaker.allows(), true);
    assert.equal(breaker.open, false);
  });

  it('re-opens when the probe fails', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ threshold: 1, cooldownMs: 1000, now: () => now });
    breaker.failure();
    now = 1500;
    assert.equal(breaker.allows(), true);
    breaker.failure();
    assert.equal(breaker.allows(), false);
    assert.equal(breaker.open, true);
  });

  it('a success resets the count of failures in a row', () => {
    const breaker = new CircuitBreaker({ threshold: 2, cooldownMs: 1000 });
    breaker.failure();
    breaker.success();
    assert.equal(breaker.failure(), false);
    assert.equal(breaker.allows(), true);
  });
});
