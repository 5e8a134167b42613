import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, DEFAULT_CARDINALITY_LIMIT, OVERFLOW_ATTRIBUTES } from '../../src/telemetry/counter.ts';
import { testMeter } from '../support/meter-reader.ts';

function counter(options: { cardinalityLimit?: number; onOverflow?: (n: number) => void } = {}) {
  const { meter, points } = testMeter();
  const c = new Counter<'sink' | 'outcome'>(meter, { name: 'x_total', help: 'x', labelNames: ['sink', 'outcome'], ...options });
  return { c, points: () => points('x_total') };
}

describe('counter', () => {
  it('adds per label set and publishes each series with its labels in labelNames order', async () => {
    const { c, points } = counter();
    c.inc({ outcome: 'ok', sink: 'a' });
    c.inc({ sink: 'a', outcome: 'ok' }, 4);
    c.inc({ sink: 'b', outcome: 'failed' });
    const got = await points();
    assert.deepEqual(
      got.map((p) => [Object.keys(p.attributes), p.attributes, p.value]),
      [
        [['sink', 'outcome'], { sink: 'a', outcome: 'ok' }, 5],
        [['sink', 'outcome'], { sink: 'b', outcome: 'failed' }, 1],
      ],
    );
  });

  it('sums the series that match the labels given, and every series when none is given', () => {
    const { c } = counter();
    c.inc({ sink: 'a', outcome: 'ok' }, 2);
    c.inc({ sink: 'a', outcome: 'failed' }, 3);
    c.inc({ sink: 'b', outcome: 'ok' }, 7);
    assert.equal(c.value({ sink: 'a' }), 5);
    assert.equal(c.value({ outcome: 'ok' }), 9);
    assert.equal(c.value({ sink: 'a', outcome: 'failed' }), 3);
    assert.equal(c.value({ sink: 'nope' }), 0);
    assert.equal(c.value(), 12);
  });

  it('declares a series at 0 that is published before its first count, and leaves an existing one as it is', async () => {
    const { c, points } = counter();
    c.declare({ sink: 'a', outcome: 'failed' });
    assert.deepEqual(await points(), [{ attributes: { sink: 'a', outcome: 'failed' }, value: 0 }]);
    c.inc({ sink: 'a', outcome: 'failed' }, 2);
    c.declare({ sink: 'a', outcome: 'failed' });
    assert.equal(c.value({ sink: 'a' }), 2);
  });

  it('asks `add` for labels only for a series it has not seen yet', () => {
    const { c } = counter();
    let asked = 0;
    const labels = () => (asked++, { sink: 's', outcome: 'o' });
    c.add('key', labels);
    c.add('key', labels, 3);
    assert.equal(asked, 1);
    assert.equal(c.value({ sink: 's' }), 4);
  });

  it('counts new label sets past its limit in one overflow series, keeping a place for it, and tells how much went there', async () => {
    const overflowed: number[] = [];
    const { c, points } = counter({ cardinalityLimit: 3, onOverflow: (n) => overflowed.push(n) });
    c.inc({ sink: 'a', outcome: 'ok' });
    c.inc({ sink: 'b', outcome: 'ok' });
    // Two series and the overflow's place: the limit of 3 is reached.
    c.inc({ sink: 'c', outcome: 'ok' }, 2);
    c.inc({ sink: 'd', outcome: 'ok' }, 5);
    // A series that exists still counts in its own place.
    c.inc({ sink: 'a', outcome: 'ok' });
    assert.deepEqual(overflowed, [2, 5]);
    const got = await points();
    assert.equal(got.length, 3);
    assert.deepEqual(got.at(-1), { attributes: OVERFLOW_ATTRIBUTES, value: 7 });
    assert.equal(c.value({ sink: 'a' }), 2);
    // The overflow series has no sink: it is in the total only.
    assert.equal(c.value({ sink: 'c' }), 0);
    assert.equal(c.value(), 10);
  });

  it('does not make an overflow series for a declaration past its limit', async () => {
    const overflowed: number[] = [];
    const { c, points } = counter({ cardinalityLimit: 2, onOverflow: (n) => overflowed.push(n) });
    c.declare({ sink: 'a', outcome: 'ok' });
    c.declare({ sink: 'b', outcome: 'ok' });
    assert.deepEqual(overflowed, []);
    assert.deepEqual((await points()).map((p) => p.attributes), [{ sink: 'a', outcome: 'ok' }]);
  });

  it('takes a limit below 1 as 1: every count goes to the overflow series', () => {
    const { c } = counter({ cardinalityLimit: 0 });
    c.inc({ sink: 'a', outcome: 'ok' }, 3);
    assert.equal(c.value({ sink: 'a' }), 0);
    assert.equal(c.value(), 3);
  });

  it('keeps the SDK default of series when no limit is given', () => {
    const overflowed: number[] = [];
    const { c } = counter({ onOverflow: (n) => overflowed.push(n) });
    for (let i = 0; i < DEFAULT_CARDINALITY_LIMIT; i++) c.inc({ sink: String(i), outcome: 'ok' });
    assert.deepEqual(overflowed, [1]);
    assert.equal(c.value({ sink: String(DEFAULT_CARDINALITY_LIMIT - 2) }), 1);
    assert.equal(c.value({ sink: String(DEFAULT_CARDINALITY_LIMIT - 1) }), 0);
  });
});
