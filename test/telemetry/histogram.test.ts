import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Histogram as HistogramValue } from '@opentelemetry/sdk-metrics';
import { Histogram } from '../../src/telemetry/histogram.ts';
import { testMeter } from '../support/meter-reader.ts';

describe('histogram', () => {
  it('counts each observation in the bucket of the given upper bounds, per label set', async () => {
    const { meter, points } = testMeter();
    const h = new Histogram<'sink'>(meter, { name: 'd_seconds', help: 'd', labelNames: ['sink'], buckets: [0.1, 1, 10] });
    for (const v of [0.05, 0.1, 0.5, 3, 30]) h.observe({ sink: 'a' }, v);
    h.observe({ sink: 'b' }, 2);
    const got = await points('d_seconds');
    assert.deepEqual(got.map((p) => p.attributes), [{ sink: 'a' }, { sink: 'b' }]);
    const a = got[0]!.value as HistogramValue;
    assert.deepEqual(a.buckets.boundaries, [0.1, 1, 10]);
    // le=0.1 holds 0.05 and 0.1 (upper bounds are inclusive); 30 is past the last bound.
    assert.deepEqual(a.buckets.counts, [2, 1, 1, 1]);
    assert.equal(a.count, 5);
    assert.equal(a.sum, 33.65);
    assert.deepEqual((got[1]!.value as HistogramValue).buckets.counts, [0, 0, 1, 0]);
  });
});
