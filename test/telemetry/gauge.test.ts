import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Gauge } from '../../src/telemetry/gauge.ts';
import { testMeter } from '../support/meter-reader.ts';

describe('gauge', () => {
  it('without labels publishes one value, 0 until set, then the last value set', async () => {
    const { meter, points } = testMeter();
    const g = new Gauge(meter, { name: 'g', help: 'g' });
    assert.deepEqual(await points('g'), [{ attributes: {}, value: 0 }]);
    g.set(3);
    g.set(1.5);
    assert.deepEqual(await points('g'), [{ attributes: {}, value: 1.5 }]);
  });

  it('with labels publishes nothing until set, then the last value of each label set', async () => {
    const { meter, points } = testMeter();
    const g = new Gauge<'sink'>(meter, { name: 'g', help: 'g', labelNames: ['sink'] });
    assert.deepEqual(await points('g'), []);
    g.set({ sink: 'a' }, 1);
    g.set({ sink: 'b' }, 2);
    g.set({ sink: 'a' }, 5);
    assert.deepEqual(await points('g'), [
      { attributes: { sink: 'a' }, value: 5 },
      { attributes: { sink: 'b' }, value: 2 },
    ]);
  });

  it('calls `collect` at every collection, before the values are read', async () => {
    const { meter, points } = testMeter();
    let depth = 0;
    let calls = 0;
    new Gauge<'sink'>(meter, { name: 'g', help: 'g', labelNames: ['sink'], collect: (gauge) => (calls++, gauge.set({ sink: 'q' }, depth)) });
    depth = 7;
    assert.deepEqual(await points('g'), [{ attributes: { sink: 'q' }, value: 7 }]);
    depth = 2;
    assert.deepEqual(await points('g'), [{ attributes: { sink: 'q' }, value: 2 }]);
    assert.equal(calls, 2);
  });

  it('with `collect` reads 0 for a label set that collection did not set, not its last value for ever', async () => {
    const { meter, points } = testMeter();
    let sinks = ['a', 'b'];
    new Gauge<'sink'>(meter, { name: 'g', help: 'g', labelNames: ['sink'], collect: (gauge) => sinks.forEach((sink) => gauge.set({ sink }, 3)) });
    const values = async () => Object.fromEntries((await points('g')).map((p) => [p.attributes['sink'], p.value]));
    assert.deepEqual(await values(), { a: 3, b: 3 });
    sinks = ['b'];
    assert.deepEqual(await values(), { a: 0, b: 3 });
    sinks = ['a', 'b'];
    assert.deepEqual(await values(), { a: 3, b: 3 });
  });

  it('without `collect` keeps every label set it was given', async () => {
    const { meter, points } = testMeter();
    const g = new Gauge<'scope'>(meter, { name: 'g', help: 'g', labelNames: ['scope'] });
    g.set({ scope: 'a' }, 1);
    await points('g');
    g.set({ scope: 'b' }, 2);
    assert.deepEqual((await points('g')).map((p) => p.attributes['scope']), ['a', 'b']);
  });
});
