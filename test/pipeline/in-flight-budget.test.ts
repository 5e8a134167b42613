import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InFlightBudget } from '../../src/pipeline/in-flight-budget.ts';

describe('in-flight budget', () => {
  it('makes a record wait while the bytes in flight would exceed the budget, and admits it once some are released', async () => {
    const budget = new InFlightBudget(1000);
    await budget.acquire(600);
    let admitted = false;
    const second = budget.acquire(600).then(() => (admitted = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(admitted, false);
    budget.release(600);
    await second;
    assert.equal(budget.usedBytes, 600);
  });

  it('admits a record larger than the whole budget when nothing else is in flight', async () => {
    const budget = new InFlightBudget(1000);
    await budget.acquire(5000);
    assert.equal(budget.usedBytes, 5000);
  });
});
