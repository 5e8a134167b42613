import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedLabel, OTHER } from '../../src/telemetry/bounded-label.ts';

describe('bounded metric labels', () => {
  it('keeps known values, then a capped set, then answers other; truncates every value', () => {
    const label = new BoundedLabel({ known: ['Normal'], cap: 2, maxLength: 5 });
    assert.equal(label.value('Normal'), 'Norma');
    assert.equal(label.value('a'), 'a');
    assert.equal(label.value(undefined), '');
    assert.equal(label.value('b'), OTHER);
    assert.equal(label.value('a'), 'a', 'an admitted value stays admitted');
    assert.equal(label.value('Normal'), 'Norma', 'known values do not use the cap');
  });
});
