/**
 * The throttle remembers a window per (involved object, reason). Whoever may create an Event
 * chooses the object's name (kube-apiserver v1.37 stores a 900 KB involvedObject.name), so the
 * keys, not only their number, must be bounded: the records die, the keys stay.
 */
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { Throttle } from '../../src/rules/throttle.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('throttle memory', () => {
  it('keeps a bounded number of bytes of keys for 200 objects with 500,000-character names', () => {
    const throttle = new Throttle(5, 60_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) {
      const name = `${i}-`.padEnd(500_000, 'n');
      const record = mapEvent(normalizeEvent({ metadata: { name: `e-${i}`, namespace: 'ns', uid: `u-${i}` }, involvedObject: { kind: 'Pod', name, namespace: 'ns' }, reason: 'R' }), 'ADDED');
      assert.ok(throttle.admit(record) !== undefined);
    }
    gc();
    const retainedMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    console.log(`throttle after 200 records about objects with 500,000-character names: ${retainedMb.toFixed(1)} MB retained`);
    assert.ok(retainedMb < 20, `${retainedMb.toFixed(1)} MB retained`);
  });

  it('still throttles objects with ordinary names', () => {
    const throttle = new Throttle(2, 60_000);
    const record = () => mapEvent(normalizeEvent({ metadata: { name: 'e', namespace: 'ns', uid: 'u' }, involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'ns' }, reason: 'R' }), 'ADDED');
    const admitted = Array.from({ length: 5 }, () => throttle.admit(record(), 1000)).filter((r) => r !== undefined).length;
    assert.equal(admitted, 2);
  });
});
