import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventRecord } from '../../src/model/event-record.ts';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { ATTR_EVENTROUTER_THROTTLE_SUPPRESSED } from '../../src/model/attribute-names.ts';
import { Throttle } from '../../src/rules/throttle.ts';
import { podEvent } from '../support/harness.ts';

const MINUTE = 60_000;

/** A record about pod `pod` with `reason`. */
function record(pod = 'web-1', reason = 'BackOff'): EventRecord {
  return mapEvent(normalizeEvent(podEvent({ reason, involvedObject: { kind: 'Pod', name: pod, namespace: 'default', uid: `uid-${pod}` } })), 'ADDED');
}

/** How many of `n` records of one key, all at `now`, the throttle lets through. */
function admitted(throttle: Throttle, n: number, now: number, pod = 'web-1', reason = 'BackOff'): Array<EventRecord | undefined> {
  return Array.from({ length: n }, () => throttle.admit(record(pod, reason), now));
}

describe('throttle', () => {
  it('lets through at most the limit per interval for one object and reason', () => {
    const out = admitted(new Throttle(3, MINUTE), 10, 0);
    assert.equal(out.filter(Boolean).length, 3);
    assert.deepEqual(out.map((r) => r !== undefined), [true, true, true, false, false, false, false, false, false, false]);
  });

  it('returns the record itself, unchanged, while nothing was suppressed', () => {
    const throttle = new Throttle(3, MINUTE);
    const r = record();
    assert.equal(throttle.admit(r, 0), r);
    assert.equal(r.attributes[ATTR_EVENTROUTER_THROTTLE_SUPPRESSED], undefined);
  });

  it('opens a new window once the interval has passed', () => {
    const throttle = new Throttle(2, MINUTE);
    admitted(throttle, 5, 0);
    assert.notEqual(throttle.admit(record(), MINUTE), undefined);
  });

  it('carries the suppressed count on the next record that passes, once, on a copy', () => {
    const throttle = new Throttle(2, MINUTE);
    admitted(throttle, 5, 0); // 2 pass, 3 suppressed
    const next = record();
    const passed = throttle.admit(next, MINUTE);
    assert.equal(passed?.attributes[ATTR_EVENTROUTER_THROTTLE_SUPPRESSED], 3);
    assert.equal(next.attributes[ATTR_EVENTROUTER_THROTTLE_SUPPRESSED], undefined, 'the original is not changed');
    assert.equal(throttle.admit(record(), MINUTE)?.attributes[ATTR_EVENTROUTER_THROTTLE_SUPPRESSED], undefined);
  });

  it('adds up the suppressed count over windows in which nothing passed', () => {
    const throttle = new Throttle(1, MINUTE);
    admitted(throttle, 3, 0); // 1 passes, 2 suppressed
    admitted(throttle, 1, MINUTE); // passes, carries 2
    admitted(throttle, 4, MINUTE); // 4 suppressed
    assert.equal(throttle.admit(record(), 2 * MINUTE)?.attributes[ATTR_EVENTROUTER_THROTTLE_SUPPRESSED], 4);
  });

  it('keeps a separate window per involved object and per reason', () => {
    const throttle = new Throttle(1, MINUTE);
    assert.notEqual(throttle.admit(record('web-1', 'BackOff'), 0), undefined);
    assert.equal(throttle.admit(record('web-1', 'BackOff'), 0), undefined);
    assert.notEqual(throttle.admit(record('web-2', 'BackOff'), 0), undefined);
    assert.notEqual(throttle.admit(record('web-1', 'Pulled'), 0), undefined);
  });
});
